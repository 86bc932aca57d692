// Timing parity of password verification (invariant 5, issue 5): the time of a wrong password
// against each stored format, of a user with no hash and of a malformed hash, each beside a
// wrong password against a current Argon2id hash. The two are measured alternately in the same
// loop, so machine load affects both alike; counters report the medians and their ratio.
// Wall time is the parity measure (it is what a remote caller sees, and LegacyHasher pads slow
// formats with a sleep); thread CPU time is reported beside it for information.
//   password_timing_bench [--benchmark_filter=…]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "reverify/argon2id_hasher.hpp"
#ifdef REVERIFY_HAS_LEGACY
#include "reverify/legacy/legacy_hasher.hpp"
#endif

namespace {

using Clock = std::chrono::steady_clock;

// Production defaults: libsodium INTERACTIVE (2 passes, 64 MiB).
std::shared_ptr<reverify::Argon2idHasher> current() {
  static auto hasher = [] {
    auto h = reverify::Argon2idHasher::create();
    if (!h) std::abort();
    return *h;
  }();
  return hasher;
}

reverify::PasswordHasher& hasher() {
#ifdef REVERIFY_HAS_LEGACY
  static auto legacy = [] {
    auto h = reverify::legacy::LegacyHasher::create(current());
    if (!h) std::abort();
    return *h;
  }();
  return *legacy;
#else
  return *current();
#endif
}

const std::string& current_hash() {
  static const std::string stored = [] {
    auto h = current()->hash(reverify::SecretString(std::string_view("correct horse battery staple")));
    if (!h) std::abort();
    return *h;
  }();
  return stored;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

// This thread's CPU time in ms: the cost itself, less disturbed than wall time when other
// processes share the machine.
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Sample {
  double wall_ms;
  double cpu_ms;
};

Sample time_verify(const reverify::SecretString& password, std::optional<std::string_view> stored,
                   reverify::PasswordMatch expected) {
  const double cpu_start = thread_cpu_ms();
  const auto start = Clock::now();
  auto check = hasher().verify(password, stored);
  const auto stop = Clock::now();
  const double cpu_stop = thread_cpu_ms();
  if (!check || check->result != expected) std::abort();
  return {std::chrono::duration<double, std::milli>(stop - start).count(), cpu_stop - cpu_start};
}

// `stored` is verified with a wrong password (expected answer `expected`), alternating with a
// wrong password against the current Argon2id hash.
void parity(benchmark::State& state, std::optional<std::string> stored, reverify::PasswordMatch expected) {
  const reverify::SecretString wrong(std::string_view("correct horse battery stapleX"));
  std::optional<std::string_view> view;
  if (stored) view = *stored;
  (void)time_verify(wrong, current_hash(), reverify::PasswordMatch::mismatch);  // warm up
  (void)time_verify(wrong, view, expected);
  std::vector<double> subject_wall;
  std::vector<double> subject_cpu;
  std::vector<double> baseline_wall;
  std::vector<double> baseline_cpu;
  bool baseline_first = true;
  for (auto _ : state) {
    // Which of the pair runs first alternates, so neither always follows the other.
    Sample b{};
    Sample t{};
    if (baseline_first) {
      b = time_verify(wrong, current_hash(), reverify::PasswordMatch::mismatch);
      t = time_verify(wrong, view, expected);
    } else {
      t = time_verify(wrong, view, expected);
      b = time_verify(wrong, current_hash(), reverify::PasswordMatch::mismatch);
    }
    baseline_first = !baseline_first;
    baseline_wall.push_back(b.wall_ms);
    baseline_cpu.push_back(b.cpu_ms);
    subject_wall.push_back(t.wall_ms);
    subject_cpu.push_back(t.cpu_ms);
    state.SetIterationTime(t.wall_ms / 1000.0);
  }
  state.counters["wall_ms"] = median(subject_wall);
  state.counters["argon2id_wall_ms"] = median(baseline_wall);
  state.counters["ratio_wall"] = median(subject_wall) / median(baseline_wall);
  state.counters["cpu_ms"] = median(subject_cpu);
  state.counters["argon2id_cpu_ms"] = median(baseline_cpu);
  state.counters["ratio_cpu"] = median(subject_cpu) / median(baseline_cpu);
#ifdef REVERIFY_HAS_LEGACY
  // What padded answers aimed at when the case ended.
  const auto* legacy = dynamic_cast<const reverify::legacy::LegacyHasher*>(&hasher());
  if (legacy == nullptr) {
    state.SkipWithError("the hasher is not a LegacyHasher");
    return;
  }
  state.counters["target_ms"] = std::chrono::duration<double, std::milli>(legacy->timing_estimate()->target()).count();
#endif
}

#define PARITY(name, stored, expected) \
  BENCHMARK_CAPTURE(parity, name, stored, expected)->UseManualTime()->Iterations(101)->Unit(benchmark::kMillisecond)

using M = reverify::PasswordMatch;
const std::optional<std::string> none;

PARITY(argon2id_current_wrong, current_hash(), M::mismatch);
PARITY(no_hash, none, M::no_hash);
PARITY(malformed, std::optional<std::string>("not a hash at all"), M::malformed);
PARITY(argon2i_logto_m8192_t8_wrong,
       std::optional<std::string>(
           "$argon2i$v=19$m=8192,t=8,p=1$8e4Yj9eVIsdMnw/xDIGDRQ$F+hL6a7Gn97W75Snmo/uyjHrJUh2xw61Uhl1hwJnQrA"),
       M::mismatch);
#ifdef REVERIFY_HAS_LEGACY
PARITY(malformed_legacy_tuple, std::optional<std::string>("{LEGACY}[\"sha256\", [\"no password\"], \"00\"]"),
       M::malformed);
PARITY(md5_wrong, std::optional<std::string>("{MD5}9cc2ae8a1ba7a93da39b46fc1019c481"), M::mismatch);
PARITY(sha1_wrong, std::optional<std::string>("{SHA1}abf7aad6438836dbe526aa231abde2d0eef74d42"), M::mismatch);
PARITY(sha256_wrong,
       std::optional<std::string>("{SHA256}c4bbcb1fbec99d65bf59d85c8cb62ee2db963f0fe106f483d9afa73bd4e39a8a"),
       M::mismatch);
PARITY(legacy_sha3_256_wrong,
       std::optional<std::string>("{LEGACY}[\"sha3-256\", [\"@\", \"5d51ae8363b2\"], "
                                  "\"1c189989393c7b6fe7cb2b823f11956e74880cc444437f6abd5be388fbb63050\"]"),
       M::mismatch);
PARITY(legacy_pbkdf2_sha256_1000_wrong,
       std::optional<std::string>("{LEGACY}[\"pbkdf2\", [\"salt-971b2bb7\", \"1000\", \"32\", \"sha256\", \"@\"], "
                                  "\"0480283a18d7afe9de5139aca0beb261a38307c0cbc282395e5b5392bfa7115e\"]"),
       M::mismatch);
PARITY(legacy_firebase_scrypt_r8_mem14_wrong,
       std::optional<std::string>(
           "{LEGACY}[\"firebase-scrypt\",[\"nUE4ysoQW6wejMyI\","
           "\"mxN9eOwZo5oma5PwknmSxuRp1uJwrA5YJtmQ2nIVunbitLH19T9JZcnXRvpJXS/"
           "e1ogIDy9r9Gznp8YcD/ucOg==\",\"Bw==\",\"8\",\"14\",\"@\"],\"bv3H3D8ImIOf46Zw1mwLzOJvAFNfsVNk41e6tXAcMinuWs+"
           "9fv2Q97HfE7agqcgvHvB4j3I59ItjoGXSfEIbSw==\"]"),
       M::mismatch);
PARITY(bcrypt_cost4_wrong, std::optional<std::string>("$2b$04$yeIR01Hrmw2H7OG4Z0ZmkOxm/kpBDUcO.F0X/NQQ8cSqaXiZkGWhG"),
       M::mismatch);
PARITY(bcrypt_cost10_wrong, std::optional<std::string>("$2b$10$afOymwpCa4IcwqSsmhzQ7e5cnmo8ibqUTpmf7imCWj6T27arO.Px6"),
       M::mismatch);
PARITY(argon2d_m1024_t2_wrong,
       std::optional<std::string>(
           "$argon2d$v=19$m=1024,t=2,p=1$A3v3SnzBCoRUi8/86wUsqw$LFvUbjmf9oRB4DCBZi9ykuqsGL7IWMwewUe4B1YaICw"),
       M::mismatch);
PARITY(argon2i_v16_p2_wrong,
       std::optional<std::string>(
           "$argon2i$v=16$m=1024,p=2,t=2$LXMWSVPPg78L1OQXZTSUig$kpqrS9b/9vqJ3MvwAb2J5E6Lvj75EiUYnhN9dc+SFSU"),
       M::mismatch);
#endif

}  // namespace

BENCHMARK_MAIN();
