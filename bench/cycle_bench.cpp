// One send+verify cycle on the memory store with a no-op sender, beside the primitives it cannot
// avoid: one randombytes_buf, two keyed BLAKE2b digests, one sodium_memcmp, and one hash-map
// insert, find and erase. Issue target: cycle <= 2x primitives; 2 threads >= 1.5x one thread.
//
//   ./cycle_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <string>
#include <unordered_map>
#include <vector>

#include "reverify/reverify.hpp"

namespace {

using namespace reverify;

// Each benchmark thread cycles through its own 4096 recipients on the real clock, so every send
// pays for a real per-recipient window (a few dozen events, as in production) without hitting
// the limit. Records live 1 s, but the store's opportunistic purge only deletes what expired 60 s
// before (its grace for a lagging caller's clock), so through a run of a few seconds the store
// only grows: every cycle pays for fresh memory and table growth rather than reuse.
struct CycleFixture {
  VerificationManager manager = build();
  static thread_local std::string last_code;

  static VerificationManager build() {
    Policy policy;
    policy.send_window = std::chrono::seconds(1);
    policy.send_limit = 1'000'000;
    policy.record_ttl = std::chrono::seconds(1);
    policy.code_ttl = std::chrono::seconds(1);
    Dependencies deps;
    deps.store = std::make_shared<MemoryStore>();
    Argon2idParams cheap;
    cheap.ops_limit = 1;
    cheap.mem_limit = 8u << 20u;
    deps.hasher = Argon2idHasher::create(cheap).value();
    deps.sender = std::make_shared<CallbackSender>([](const CodeMessage& m) -> Result<void> {
      last_code.assign(m.code.reveal());
      return {};
    });
    deps.clock = std::make_shared<SystemClock>();
    deps.peppers.peppers.push_back(Pepper::random(1));
    return VerificationManager::create(policy, std::move(deps)).value();
  }
};
thread_local std::string CycleFixture::last_code;

CycleFixture& fixture() {
  static CycleFixture f;
  return f;
}

constexpr std::size_t recipients = 4096;

/// Writes `n` as four decimal digits at `at` (the recipient number inside a fixed-width name).
void put_number(std::string& s, std::size_t at, std::size_t n) {
  for (std::size_t i = 4; i-- > 0; n /= 10) s[at + i] = static_cast<char>('0' + n % 10);
}

// One request object per thread, renamed in place for each recipient: a server's request was just
// parsed and is in cache, so the cycle should not pay for cache misses on the benchmark's own
// fixtures (4096 prebuilt requests would).
void BM_SendVerifyCycle(benchmark::State& state) {
  auto& f = fixture();
  const std::string thread = std::to_string(state.thread_index());
  SendCodeRequest send;
  send.user_id = "user-" + thread + "-0000";
  send.identifier = Identifier::email("user" + thread + "-0000@example.com");
  send.owned_identifiers = {send.identifier};
  const std::size_t user_digits = send.user_id.size() - 4;
  const std::size_t email_digits = send.identifier.value.find('@') - 4;
  VerifyCodeRequest verify;
  verify.identifier = send.identifier;
  verify.user_id = send.user_id;
  std::size_t next = 0;
  for (auto _ : state) {
    const std::size_t recipient = next++ % recipients;
    put_number(send.user_id, user_digits, recipient);
    put_number(send.identifier.value, email_digits, recipient);
    put_number(send.owned_identifiers[0].value, email_digits, recipient);
    put_number(verify.user_id, user_digits, recipient);
    put_number(verify.identifier.value, email_digits, recipient);
    auto sent = f.manager.send_code(send);
    if (!sent) state.SkipWithError(std::string(sent.error().string_code()).c_str());
    verify.record_id = sent->record_id;
    verify.code = SecretString(CycleFixture::last_code);
    auto verified = f.manager.verify_code(verify);
    if (!verified) state.SkipWithError(std::string(verified.error().string_code()).c_str());
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendVerifyCycle)->Threads(1)->Threads(2)->UseRealTime();

struct Row {
  std::array<unsigned char, 32> digest;
  std::uint32_t attempts;
};

void keyed_digest(const unsigned char* key, const std::string& id, const std::string& code, unsigned char* out) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key, 32, 32);
  const unsigned char prefix[8] = {};
  crypto_generichash_update(&st, prefix, sizeof prefix);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>("reverify.code.v1"), 16);
  crypto_generichash_update(&st, prefix, sizeof prefix);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(id.data()), id.size());
  crypto_generichash_update(&st, prefix, sizeof prefix);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(code.data()), code.size());
  crypto_generichash_final(&st, out, 32);
}

/// The floor: what any implementation of the cycle has to do, with nothing else, on `map`.
void run_primitives(benchmark::State& state, std::unordered_map<std::string, Row>& map) {
  std::array<unsigned char, 32> key{};
  randombytes_buf(key.data(), key.size());
  std::array<unsigned char, 64> random{};
  for (auto _ : state) {
    randombytes_buf(random.data(), random.size());
    std::string id(reinterpret_cast<const char*>(random.data()), 21);
    const std::string code(reinterpret_cast<const char*>(random.data()) + 21, 6);
    Row row{};
    keyed_digest(key.data(), id, code, row.digest.data());
    auto inserted = map.emplace(id, row);
    auto found = map.find(id);
    std::array<unsigned char, 32> offered{};
    keyed_digest(key.data(), id, code, offered.data());
    benchmark::DoNotOptimize(sodium_memcmp(offered.data(), found->second.digest.data(), 32));
    map.erase(inserted.first);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Primitives(benchmark::State& state) {
  thread_local std::unordered_map<std::string, Row> map;
  run_primitives(state, map);
}
BENCHMARK(BM_Primitives)->Threads(1)->Threads(2)->UseRealTime();

// The same floor with a map large enough that its lookups miss the cache, as the store's do
// (the store holds a million records or more within a run; see the fixture's comment).
// BM_Primitives' map holds one entry and always hits.
constexpr std::size_t steady_state_records = 200'000;

void BM_Primitives_SteadyState(benchmark::State& state) {
  thread_local std::unordered_map<std::string, Row> map = [] {
    std::unordered_map<std::string, Row> filled;
    std::array<unsigned char, 21> raw{};
    while (filled.size() < steady_state_records) {
      randombytes_buf(raw.data(), raw.size());
      filled.emplace(std::string(reinterpret_cast<const char*>(raw.data()), raw.size()), Row{});
    }
    return filled;
  }();
  run_primitives(state, map);
}
BENCHMARK(BM_Primitives_SteadyState)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
