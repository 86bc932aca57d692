// MemoryStore: memory per live record (RSS and heap growth over 1e6 records) and the throughput of
// open_code / find / check_code, each beside a mutex-guarded std::unordered_map doing the same.
// Records go in through open_code with retirement on (as the manager's do), under one send key
// with a zero window, so the figure is records and their slot index, not per-recipient windows.

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "reverify/memory_store.hpp"

namespace {

using reverify::MemoryStore;
using reverify::Timestamp;
using reverify::VerificationRecord;

constexpr Timestamp t0 = reverify::from_unix_ms(1'700'000'000'000);
constexpr std::size_t memory_records = 1'000'000;
constexpr std::size_t prefilled_records = 100'000;
constexpr reverify::SendLimit no_send_limit{"send:bench", std::chrono::milliseconds(0),
                                            std::numeric_limits<std::uint32_t>::max()};

bool open(MemoryStore& store, const VerificationRecord& record) {
  auto opened = store.open_code(record, no_send_limit, true, t0);
  return opened && opened->status == reverify::OpenStatus::opened;
}

/// A 21-character [0-9a-z] id that looks random (as the manager's are) and is unique per n.
void write_id(std::string& id, std::uint64_t n) {
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::uint64_t x = n * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  x ^= x >> 29;
  id.assign(reverify::record_id_length, '0');
  std::uint64_t unique = n;
  for (std::size_t i = 0; i < 10; ++i, unique /= 36) id[i] = alphabet[unique % 36];
  for (std::size_t i = 10; i < reverify::record_id_length; ++i, x /= 36) id[i] = alphabet[x % 36];
}

/// Rewrites user id and email in place (same lengths, so no allocation).
void write_user(VerificationRecord& r, std::uint64_t n) {
  char buffer[48];
  // Both fit: at most 11 and 19 characters.
  const int user = std::snprintf(buffer, sizeof(buffer), "user-%06llu", static_cast<unsigned long long>(n % 1'000'000));
  r.user_id.assign(buffer, static_cast<std::size_t>(user));
  const int email =
      std::snprintf(buffer, sizeof(buffer), "u%06llu@example.com", static_cast<unsigned long long>(n % 1'000'000));
  r.identifier.assign(buffer, static_cast<std::size_t>(email));
  r.identifier_key.assign(buffer, static_cast<std::size_t>(email));
}

/// A typical email code record: user "user-123456", a ~20-byte email, a digest.
VerificationRecord typical_record(std::uint64_t n) {
  VerificationRecord r;
  write_id(r.id, n);
  r.kind = reverify::RecordKind::email_verification_code;
  write_user(r, n);
  reverify::Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<unsigned char>(n + i);
  r.code_digest = digest;
  r.pepper_id = 1;
  r.created_at = t0;
  r.expires_at = t0 + std::chrono::seconds(600);
  r.code_expires_at = t0 + std::chrono::seconds(600);
  return r;
}

std::size_t rss_bytes() {
  // statm: total and resident size in pages, as decimal numbers.
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  if (!(statm >> pages >> resident)) resident = 0;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t heap_bytes() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

/// Growth of RSS and of bytes held by malloc while `fill` runs, per record, into the counters.
template <class Fill>
void measure_memory(benchmark::State& state, Fill&& fill) {
  for (auto _ : state) {
    malloc_trim(0);
    const std::size_t rss_before = rss_bytes();
    const std::size_t heap_before = heap_bytes();
    auto holder = fill();
    const std::size_t rss_after = rss_bytes();
    const std::size_t heap_after = heap_bytes();
    benchmark::DoNotOptimize(holder);
    state.counters["bytes_per_record"] =
        static_cast<double>(rss_after - rss_before) / static_cast<double>(memory_records);
    state.counters["heap_bytes_per_record"] =
        static_cast<double>(heap_after - heap_before) / static_cast<double>(memory_records);
    state.PauseTiming();
    holder.reset();
    malloc_trim(0);
    state.ResumeTiming();
  }
  state.counters["records"] = static_cast<double>(memory_records);
}

void BM_MemoryStore_BytesPerRecord(benchmark::State& state) {
  measure_memory(state, [] {
    auto store = std::make_unique<MemoryStore>();
    VerificationRecord record = typical_record(0);
    for (std::uint64_t n = 0; n < memory_records; ++n) {
      write_id(record.id, n);
      write_user(record, n);
      if (!open(*store, record)) std::abort();
    }
    return store;
  });
}
BENCHMARK(BM_MemoryStore_BytesPerRecord)->Iterations(1)->Unit(benchmark::kMillisecond);

using Map = std::unordered_map<std::string, VerificationRecord>;

void BM_Baseline_UnorderedMap_BytesPerRecord(benchmark::State& state) {
  measure_memory(state, [] {
    auto map = std::make_unique<Map>();
    VerificationRecord record = typical_record(0);
    for (std::uint64_t n = 0; n < memory_records; ++n) {
      write_id(record.id, n);
      write_user(record, n);
      map->emplace(record.id, record);
    }
    return map;
  });
}
BENCHMARK(BM_Baseline_UnorderedMap_BytesPerRecord)->Iterations(1)->Unit(benchmark::kMillisecond);

// Throughput. Stores are shared by the benchmark's threads, as a server's would be.

std::vector<std::string>& prefilled_ids() {
  static std::vector<std::string> ids = [] {
    std::vector<std::string> out(prefilled_records);
    for (std::size_t n = 0; n < prefilled_records; ++n) write_id(out[n], n);
    return out;
  }();
  return ids;
}

MemoryStore& prefilled_store() {
  static MemoryStore store;
  static const bool filled = [] {
    for (std::size_t n = 0; n < prefilled_records; ++n) {
      if (!open(store, typical_record(n))) std::abort();
    }
    return true;
  }();
  (void)filled;
  return store;
}

struct LockedMap {
  std::mutex mutex;
  Map map;
};

LockedMap& prefilled_map() {
  static LockedMap locked;
  static const bool filled = [] {
    for (std::size_t n = 0; n < prefilled_records; ++n) {
      VerificationRecord r = typical_record(n);
      locked.map.emplace(r.id, r);
    }
    return true;
  }();
  (void)filled;
  return locked;
}

std::size_t next_index(std::uint64_t& state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<std::size_t>(state >> 33) % prefilled_records;
}

void BM_MemoryStore_OpenCode(benchmark::State& state) {
  static MemoryStore store;
  VerificationRecord record = typical_record(0);
  std::uint64_t n = (static_cast<std::uint64_t>(state.thread_index()) + 1) << 40;
  for (auto _ : state) {
    write_id(record.id, n++);
    benchmark::DoNotOptimize(store.open_code(record, no_send_limit, true, t0));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryStore_OpenCode)->Threads(1)->Threads(2)->UseRealTime();

void BM_Baseline_LockedMap_Insert(benchmark::State& state) {
  static LockedMap locked;
  VerificationRecord record = typical_record(0);
  std::uint64_t n = (static_cast<std::uint64_t>(state.thread_index()) + 1) << 40;
  for (auto _ : state) {
    write_id(record.id, n++);
    const std::lock_guard<std::mutex> lock(locked.mutex);
    benchmark::DoNotOptimize(locked.map.emplace(record.id, record));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_LockedMap_Insert)->Threads(1)->Threads(2)->UseRealTime();

void BM_MemoryStore_Find(benchmark::State& state) {
  MemoryStore& store = prefilled_store();
  const auto& ids = prefilled_ids();
  std::uint64_t rng = static_cast<std::uint64_t>(state.thread_index()) + 1;
  for (auto _ : state) benchmark::DoNotOptimize(store.find(ids[next_index(rng)], t0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryStore_Find)->Threads(1)->Threads(2)->UseRealTime();

void BM_Baseline_LockedMap_Find(benchmark::State& state) {
  LockedMap& locked = prefilled_map();
  const auto& ids = prefilled_ids();
  std::uint64_t rng = static_cast<std::uint64_t>(state.thread_index()) + 1;
  for (auto _ : state) {
    std::optional<VerificationRecord> copy;
    {
      const std::lock_guard<std::mutex> lock(locked.mutex);
      const auto it = locked.map.find(ids[next_index(rng)]);
      if (it != locked.map.end()) copy = it->second;
    }
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_LockedMap_Find)->Threads(1)->Threads(2)->UseRealTime();

void BM_MemoryStore_CheckCode(benchmark::State& state) {
  MemoryStore& store = prefilled_store();
  const auto& ids = prefilled_ids();
  std::uint64_t rng = static_cast<std::uint64_t>(state.thread_index()) + 1;
  reverify::CodeCheck check;
  check.kind = reverify::RecordKind::email_verification_code;
  check.offered.push_back(reverify::OfferedDigest{1, reverify::Digest{}});  // never the stored one: a mismatch
  check.max_attempts = std::numeric_limits<std::uint32_t>::max();
  check.lockout = reverify::LockoutRule{"lock:bench", std::chrono::milliseconds(0),
                                        std::numeric_limits<std::uint32_t>::max(), std::chrono::milliseconds(0)};
  check.now = t0;
  std::string user;
  std::string key;
  for (auto _ : state) {
    const std::size_t n = next_index(rng);
    VerificationRecord shape;
    write_user(shape, n);
    user = shape.user_id;
    key = shape.identifier_key;
    check.record_id = ids[n];
    check.user_id = user;
    check.identifier_key = key;
    benchmark::DoNotOptimize(store.check_code(check));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryStore_CheckCode)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
