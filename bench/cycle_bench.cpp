// One send+verify cycle on the memory store with a no-op sender, beside the primitives it cannot
// avoid: one randombytes_buf, two keyed BLAKE2b digests, one sodium_memcmp, and one hash-map
// insert, find and erase. Issue target: cycle <= 2x primitives (the issue names no size for the
// map; see docs/benchmarks.md for the reading taken); 2 threads >= 1.5x one thread.
// The cycle is measured twice: on the real clock, where the store only grows through the run, and
// at a steady state of a chosen number of records (BM_SendVerifyCycle_Population), beside the
// primitives on a map of the same size. BM_CycleOverFloor_Population takes the ratio itself, in
// turns of a few tens of milliseconds, which the VM's drift between runs does not reach;
// BM_CycleOverSameSizeFloor_Population does the same with the floor's map as large as the store,
// and BM_CycleOverFlatFloor_Population with a lean flat map that large.
//
//   ./cycle_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "flat_floor_map.hpp"
#include "reverify/reverify.hpp"

namespace {

using namespace reverify;

/// A manager for the cycle benchmarks on `store` and `clock`: records and codes live 1 s, sends
/// are never refused for their number, the hasher is cheap (the cycle verifies no password), and
/// the sender only hands each code to `keep_code`. `retire_previous` is the policy's switch (off
/// keeps Logto's behaviour: earlier codes stay live).
template <class KeepCode>
VerificationManager cycle_manager(std::chrono::seconds send_window, std::shared_ptr<Store> store,
                                  std::shared_ptr<Clock> clock, KeepCode keep_code, bool retire_previous = true) {
  Policy policy;
  policy.send_window = send_window;
  policy.send_limit = 1'000'000;
  policy.record_ttl = std::chrono::seconds(1);
  policy.code_ttl = std::chrono::seconds(1);
  policy.retire_previous_codes = retire_previous;
  Dependencies deps;
  deps.store = std::move(store);
  Argon2idParams cheap;
  cheap.ops_limit = 1;
  cheap.mem_limit = 8u << 20u;
  deps.hasher = Argon2idHasher::create(cheap).value();
  deps.sender = std::make_shared<CallbackSender>([keep_code](const CodeMessage& m) -> Result<void> {
    keep_code(m.code.reveal());
    return {};
  });
  deps.clock = std::move(clock);
  deps.peppers.peppers.push_back(Pepper::random(1));
  return VerificationManager::create(policy, std::move(deps)).value();
}

// Each benchmark thread cycles through its own 4096 recipients on the real clock, so every send
// pays for a real per-recipient window without hitting the limit: visits about 10 ms apart in a
// 1 s window leave about 100 events in it (more than the default limit of 10 ever lets a window
// hold, so this is the heavier case). Records live 1 s, but the store's opportunistic purge only
// deletes what expired 60 s before (its grace for a lagging caller's clock), so through a run of
// a few seconds the store only grows: every cycle pays for fresh memory and table growth rather
// than reuse.
struct CycleFixture {
  static thread_local std::string last_code;
  VerificationManager manager =
      cycle_manager(std::chrono::seconds(1), std::make_shared<MemoryStore>(), std::make_shared<SystemClock>(),
                    [](std::string_view code) { last_code.assign(code); });
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

/// A send and a verify request, renamed in place for each of a thread's recipients in turn. A
/// server's request was just parsed and is in cache, so the cycle should not pay for cache misses
/// on the benchmark's own fixtures (4096 prebuilt requests would).
class Requests {
 public:
  explicit Requests(int thread_index)
      : send(first_send(std::to_string(thread_index))),
        user_digits_(send.user_id.size() - 4),
        email_digits_(send.identifier.value.find('@') - 4) {
    verify.identifier = send.identifier;
    verify.user_id = send.user_id;
  }

  /// Renames both requests for the next recipient.
  void next() {
    const std::size_t recipient = next_++ % recipients;
    put_number(send.user_id, user_digits_, recipient);
    put_number(send.identifier.value, email_digits_, recipient);
    put_number(send.owned_identifiers[0].value, email_digits_, recipient);
    put_number(verify.user_id, user_digits_, recipient);
    put_number(verify.identifier.value, email_digits_, recipient);
  }

  SendCodeRequest send;
  VerifyCodeRequest verify;

 private:
  /// The thread's request for recipient 0000 (the last four digits of each name are renamed).
  static SendCodeRequest first_send(const std::string& thread) {
    SendCodeRequest request;
    request.user_id = "user-" + thread + "-0000";
    request.identifier = Identifier::email("user" + thread + "-0000@example.com");
    request.owned_identifiers = {request.identifier};
    return request;
  }

  std::size_t user_digits_;
  std::size_t email_digits_;
  std::size_t next_ = 0;
};

/// One send+verify cycle; false (with the benchmark skipped) when either step fails.
bool cycle(benchmark::State& state, const VerificationManager& manager, Requests& r, const std::string& last_code) {
  auto sent = manager.send_code(r.send);
  if (!sent) {
    state.SkipWithError(std::string(sent.error().string_code()).c_str());
    return false;
  }
  r.verify.record_id = sent->record_id;
  r.verify.code = SecretString(last_code);
  auto verified = manager.verify_code(r.verify);
  if (!verified) {
    state.SkipWithError(std::string(verified.error().string_code()).c_str());
    return false;
  }
  benchmark::DoNotOptimize(verified);
  return true;
}

void BM_SendVerifyCycle(benchmark::State& state) {
  auto& f = fixture();
  Requests r(state.thread_index());
  for (auto _ : state) {
    r.next();
    if (!cycle(state, f.manager, r, CycleFixture::last_code)) break;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendVerifyCycle)->Threads(1)->Threads(2)->UseRealTime();

/// The simulated time of the calling thread: each thread sets and reads its own, so that two
/// threads share no written cache line for it.
thread_local std::int64_t simulated_now_ms = 0;

/// Simulated time for the steady-state runs, read at the real clock's cost: each reading also
/// reads the system clock (and drops it), so the cycle pays what it pays on SystemClock.
class SimulatedClock final : public Clock {
 public:
  [[nodiscard]] Timestamp now() override {
    benchmark::DoNotOptimize(real_.now());
    return from_unix_ms(simulated_now_ms);
  }

 private:
  SystemClock real_;
};

// The same cycle at a steady state: records expire as fast as they are made, as in a server's
// store, and the store's size is set by `population`. Time is simulated (a SimulatedClock set
// before each cycle), because on the real clock this benchmark makes records far faster than any
// server: the store keeps a record until 60 s after it expires (the grace of its opportunistic
// purge), so a steady state at 400 000 cycles a second would hold 24 million records. Each cycle
// moves the clock on by (record lifetime + 60 s) / population, so records expire as fast as they
// are made. The count settles above `population` (1.3 to 1.9 times it at the sizes run), as the
// opportunistic purge reaches an expired record only when its sweep comes by; it is measured and
// reported at the start (`records_at_start`) and end (`records`) of each timed run. The send
// window is scaled so that each recipient carries about 40 window events. With two threads each
// runs its own recipients and keeps its own simulated time; the two take the cycles' times in
// turn, so the store turns over at the same rate as with one thread. Google Benchmark gives every
// thread as many cycles, so their times end equal; in between, the faster thread runs ahead by
// its lead in cycles.
struct PopulationFixture {
  static constexpr std::int64_t start_ms = 1'700'000'000'000;
  static constexpr std::int64_t kept_ms = 61'000;  // record lifetime (1 s) + the store's grace (60 s)
  static constexpr std::int64_t window_visits = 40;

  std::int64_t population;
  bool retire_previous;
  std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
  std::shared_ptr<SimulatedClock> clock = std::make_shared<SimulatedClock>();
  static thread_local std::string last_code;
  VerificationManager manager = build();
  Requests requests{0};  // thread 0's, kept from one timed run to the next
  std::int64_t cycles = 0;

  PopulationFixture(std::int64_t records, bool retire) : population(records), retire_previous(retire) {}
  // The sender holds `this`: the fixture stays where it was made.
  PopulationFixture(const PopulationFixture&) = delete;
  PopulationFixture& operator=(const PopulationFixture&) = delete;
  PopulationFixture(PopulationFixture&&) = delete;
  PopulationFixture& operator=(PopulationFixture&&) = delete;
  ~PopulationFixture() = default;

  [[nodiscard]] VerificationManager build() const {
    // Each recipient comes back every `recipients` cycles; its window spans `window_visits` of them.
    const std::int64_t window_ms = window_visits * static_cast<std::int64_t>(recipients) * kept_ms / population;
    const std::chrono::seconds window(std::clamp<std::int64_t>((window_ms + 500) / 1000, 1, std::int64_t{24} * 3600));
    return cycle_manager(
        window, store, clock, [](std::string_view code) { last_code.assign(code); }, retire_previous);
  }

  /// The simulated time of cycle `n` of all threads together.
  [[nodiscard]] std::int64_t time_of(std::int64_t n) const noexcept { return start_ms + n * kept_ms / population; }

  /// Moves the clock on to cycle `n` and runs it with `r`; false (benchmark skipped) when it fails.
  bool run_cycle(benchmark::State& state, std::int64_t n, Requests& r) const {
    simulated_now_ms = time_of(n);
    r.next();
    return cycle(state, manager, r, last_code);
  }

  /// The next cycle of a single thread (the warm-up).
  bool next_cycle(benchmark::State& state) { return run_cycle(state, cycles++, requests); }

  /// Brings the store to its steady state once (twice the population and at least 500 000
  /// cycles, then every recipient once more), untimed; false when a cycle failed.
  bool warm_up(benchmark::State& state) {
    // The purge's lag settles more slowly than the population turns over when the store is
    // small (a 5 000 store stood at 7 700 records after 2N cycles, at 9 600 later): at least
    // 500 000 cycles, whatever the size.
    const std::int64_t warm_up_cycles =
        std::max<std::int64_t>(2 * population, 500'000) + static_cast<std::int64_t>(recipients);
    while (cycles < warm_up_cycles) {
      if (!next_cycle(state)) return false;
    }
    return true;
  }
};

thread_local std::string PopulationFixture::last_code;

/// The steady-state fixture for `records`, retiring earlier codes (the default policy) or not.
PopulationFixture& population_fixture(std::int64_t records, bool retire_previous = true) {
  static std::mutex mutex;  // both threads of a two-thread run look their fixture up
  const std::lock_guard<std::mutex> lock(mutex);
  static std::map<std::pair<std::int64_t, bool>, std::unique_ptr<PopulationFixture>> fixtures;
  auto& f = fixtures[{records, retire_previous}];
  if (!f) f = std::make_unique<PopulationFixture>(records, retire_previous);
  return *f;
}

/// The steady-state sizes every population benchmark runs (the store settles at 1.3 to 1.9 times
/// each: 9 600 to 1.26 million records).
constexpr std::array<std::int64_t, 4> populations = {5'000, 20'000, 200'000, 1'000'000};

/// Registers one run per population (as the benchmark's only, or first, argument).
void over_populations(benchmark::internal::Benchmark* b) {
  for (const std::int64_t population : populations) b->Arg(population);
}

// Populations from what one server instance holds (a few sends a second, records living 10
// minutes: a few thousand) to a million; one thread, and two at the largest size to see how a
// large store at a steady state scales (the real-clock run above only grows).
void BM_SendVerifyCycle_Population(benchmark::State& state) {
  auto& f = population_fixture(state.range(0));
  const auto threads = static_cast<std::int64_t>(state.threads());
  const auto thread = static_cast<std::int64_t>(state.thread_index());
  // Thread 0 warms the store up while the others wait at the timed loop's start. Every thread
  // must reach that loop: a failed warm-up skips the run, and the loop then runs no cycle.
  if (thread == 0) f.warm_up(state);
  // The fixture outlives each call (Google Benchmark calls this once per trial run and per
  // repetition), so the count is taken at the start of this call's timed loop, not after warm-up.
  const std::size_t records_at_start = thread == 0 ? f.store->record_count() : 0;
  Requests own(static_cast<int>(thread));
  Requests& r = thread == 0 ? f.requests : own;
  std::int64_t first = 0;  // read once the loop has started: thread 0 has finished its warm-up then
  std::int64_t mine = 0;
  for (auto _ : state) {
    if (mine == 0) first = f.cycles;
    if (!f.run_cycle(state, first + mine++ * threads + thread, r)) break;
  }
  state.SetItemsProcessed(state.iterations());
  if (thread != 0 || state.error_occurred()) return;
  // Thread 0 reports for the run (Google Benchmark adds the threads' counters up). Every thread
  // ran as many cycles, so this is where all their times ended.
  f.cycles = first + mine * threads;
  state.counters["records_at_start"] = static_cast<double>(records_at_start);
  state.counters["records"] = static_cast<double>(f.store->record_count());
}
BENCHMARK(BM_SendVerifyCycle_Population)->Apply(over_populations)->UseRealTime();
BENCHMARK(BM_SendVerifyCycle_Population)->Arg(1'000'000)->Threads(2)->UseRealTime();

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

/// The floor, once: what any implementation of the cycle has to do, with nothing else, on `map`
/// (`key` is the digest key): a `std::unordered_map<std::string, Row>` or a `FlatFloor` (flat_floor_map.hpp).
template <class Map>
void primitives_once(const std::array<unsigned char, 32>& key, Map& map) {
  std::array<unsigned char, 64> random{};
  randombytes_buf(random.data(), random.size());
  std::string id(reinterpret_cast<const char*>(random.data()), 21);
  const std::string code(reinterpret_cast<const char*>(random.data()) + 21, 6);
  Row row{};
  keyed_digest(key.data(), id, code, row.digest.data());
  auto inserted = map.emplace(id, row);
  auto found = map.find(id);  // never null: the id was just inserted
  std::array<unsigned char, 32> offered{};
  keyed_digest(key.data(), id, code, offered.data());
  benchmark::DoNotOptimize(sodium_memcmp(offered.data(), found->second.digest.data(), 32));
  map.erase(inserted.first);
}

std::array<unsigned char, 32> random_digest_key() {
  std::array<unsigned char, 32> key{};
  randombytes_buf(key.data(), key.size());
  return key;
}

void run_primitives(benchmark::State& state, std::unordered_map<std::string, Row>& map) {
  const auto key = random_digest_key();
  for (auto _ : state) primitives_once(key, map);
  state.SetItemsProcessed(state.iterations());
}

void BM_Primitives(benchmark::State& state) {
  thread_local std::unordered_map<std::string, Row> map;
  run_primitives(state, map);
}
BENCHMARK(BM_Primitives)->Threads(1)->Threads(2)->UseRealTime();

/// Adds random 21-byte keys to `map` until it holds `size` entries.
template <class Map>
void fill(Map& map, std::size_t size) {
  std::array<unsigned char, 21> raw{};
  while (map.size() < size) {
    randombytes_buf(raw.data(), raw.size());
    map.emplace(std::string(reinterpret_cast<const char*>(raw.data()), raw.size()), Row{});
  }
}

/// A map of `size` random 21-byte keys.
std::unordered_map<std::string, Row> filled_map(std::size_t size) {
  std::unordered_map<std::string, Row> filled;
  fill(filled, size);
  return filled;
}

// The same floor with a map large enough that its lookups miss the cache, as the store's do
// (the store holds a million records or more within a run; see the fixture's comment).
// BM_Primitives' map holds one entry and always hits.
constexpr std::size_t steady_state_records = 200'000;

void BM_Primitives_SteadyState(benchmark::State& state) {
  thread_local std::unordered_map<std::string, Row> map = filled_map(steady_state_records);
  run_primitives(state, map);
}
BENCHMARK(BM_Primitives_SteadyState)->Threads(1)->Threads(2)->UseRealTime();

using FlatFloor = reverify::bench::FlatFloorMap<21, Row>;
static_assert(sizeof(FlatFloor::Entry) == 64, "one cache line per entry");

/// A map of as many entries as the warmed-up store `f` (the default policy's fixture for `records`)
/// holds, measured so that the purge's lag is matched too; made once per size and map type.
template <class Map>
Map& store_sized_map(std::int64_t records, const PopulationFixture& f) {
  static std::map<std::int64_t, std::unique_ptr<Map>> maps;
  auto& map = maps[records];
  if (!map) {
    const std::size_t size = f.store->record_count();
    if constexpr (std::is_same_v<Map, FlatFloor>) {
      map = std::make_unique<Map>(size + 1);  // it never grows: room for the floor's own entry too
    } else {
      map = std::make_unique<Map>();
    }
    fill(*map, size);
  }
  return *map;
}

// The floor on a map of as many entries as BM_SendVerifyCycle_Population's store holds at its
// steady state for the same argument.
void BM_Primitives_Population(benchmark::State& state) {
  auto& f = population_fixture(state.range(0));
  if (!f.warm_up(state)) return;
  auto& map = store_sized_map<std::unordered_map<std::string, Row>>(state.range(0), f);
  run_primitives(state, map);
  state.counters["records"] = static_cast<double>(map.size());
}
BENCHMARK(BM_Primitives_Population)->Apply(over_populations)->UseRealTime();

// The ratio itself, taken in turns: each iteration is a round of `turn` steady-state cycles, then
// `turn` runs of the floor on a one-entry map (BM_Primitives'), each turn timed on its own. Runs
// of separate benchmarks minutes apart see the VM at different speeds (on 2026-11-28 the floor
// alone took 1.39 to 1.80 us from run to run); turns a few tens of milliseconds long see it
// alike, so their ratio moves far less. `cycle_ns` and `floor_ns` are the means over the run,
// `ratio` their quotient. The floor's map holds one entry (always in cache); the same turns
// against maps as large as the store follow below. The second argument is the policy's
// retire_previous_codes (0 keeps Logto's behaviour).
// A turn is long enough for the cycle to win its caches back: with turns of 1 024, each floor
// turn (system calls into the kernel's RNG) cooled the large stores' cycle by about 0.15 us
// against the same cycle run without a break (BM_SendVerifyCycle_Population); with 16 384 the
// two agree.
constexpr int turn = 16'384;

/// Alternates turns of `f`'s cycle and of the floor on `floor_map`, and sets the counters.
template <class Map>
void cycle_over_floor(benchmark::State& state, PopulationFixture& f, Map& floor_map) {
  const auto key = random_digest_key();
  std::chrono::steady_clock::duration cycles{};
  std::chrono::steady_clock::duration floors{};
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < turn && !state.error_occurred(); ++i) f.next_cycle(state);
    const auto middle = std::chrono::steady_clock::now();
    for (int i = 0; i < turn; ++i) primitives_once(key, floor_map);
    cycles += middle - start;
    floors += std::chrono::steady_clock::now() - middle;
    if (state.error_occurred()) break;
  }
  if (state.error_occurred()) return;
  const double runs = static_cast<double>(state.iterations()) * turn;
  const double cycle_ns = static_cast<double>(std::chrono::nanoseconds(cycles).count()) / runs;
  const double floor_ns = static_cast<double>(std::chrono::nanoseconds(floors).count()) / runs;
  state.counters["cycle_ns"] = cycle_ns;
  state.counters["floor_ns"] = floor_ns;
  state.counters["ratio"] = cycle_ns / floor_ns;
  state.counters["records"] = static_cast<double>(f.store->record_count());
}

void BM_CycleOverFloor_Population(benchmark::State& state) {
  auto& f = population_fixture(state.range(0), state.range(1) != 0);
  if (!f.warm_up(state)) return;
  std::unordered_map<std::string, Row> one_entry;
  cycle_over_floor(state, f, one_entry);
}
BENCHMARK(BM_CycleOverFloor_Population)
    ->ArgNames({"records", "retire"})
    ->ArgsProduct({{populations.begin(), populations.end()}, {1, 0}})
    ->UseRealTime();

// The same turns with the floor's map as large as the store (BM_Primitives_Population's), for
// the reading of the target that charges the floor the memory latency any store of that size
// pays. A floor turn touches some 16 000 of the map's entries, a few MB: little beside the
// store, so it hardly cools the store for the next cycle turn (the cycle turns take about as long
// as beside the one-entry floor). Default policy only.
void BM_CycleOverSameSizeFloor_Population(benchmark::State& state) {
  auto& f = population_fixture(state.range(0));
  if (!f.warm_up(state)) return;
  cycle_over_floor(state, f, store_sized_map<std::unordered_map<std::string, Row>>(state.range(0), f));
}
BENCHMARK(BM_CycleOverSameSizeFloor_Population)->ArgNames({"records"})->Apply(over_populations)->UseRealTime();

// The same turns against a lean map as large as the store: flat (keys and rows inline, one cache
// line an entry, at most half full), so the floor's insert is a short probe run from one random
// line of a table of the store's size, its find reads what the insert loaded, and its erase reads
// on to the next free slot. std::unordered_map pays more (a bucket, a node and its allocation).
void BM_CycleOverFlatFloor_Population(benchmark::State& state) {
  auto& f = population_fixture(state.range(0));
  if (!f.warm_up(state)) return;
  cycle_over_floor(state, f, store_sized_map<FlatFloor>(state.range(0), f));
}
BENCHMARK(BM_CycleOverFlatFloor_Population)->ArgNames({"records"})->Apply(over_populations)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
