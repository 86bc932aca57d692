#pragma once
// The candidate search of SqliteStore::purge_expired: a bounded, resumable scan of each table.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reverify/result.hpp"
#include "sqlite_connection.hpp"

namespace reverify::sqlite::detail {

/// Rows of each table one purge_expired call examines, per item of its `limit`.
inline constexpr std::size_t purge_scan_factor = 4;

/// Where the next scan of each table resumes: after the last row examined, in key order.
struct PurgeCursor {
  bool records_started = false;  ///< false: start at the first row
  std::string record_id;
  bool keys_started = false;
  std::int64_t near = 0;  ///< a hash of the identifier (see near_of)
  std::int64_t kind = 0;
  std::string key;
};

struct PurgeCandidates {
  std::vector<std::string> records;  ///< ids of records expired at the scan
  std::vector<std::string> keys;     ///< window/block keys with something due at the scan
  std::size_t rows_examined = 0;
};

/// Examines at most `purge_scan_factor * limit` rows of reverify_records from `cursor` (wrapping
/// once around the end, never past where it began), stopping early at `limit` candidates; then,
/// if fewer than `limit` records were found, the same for reverify_keys with what is left of
/// `limit`. Advances `cursor` past the rows examined. Reads only: no lock is taken.
[[nodiscard]] Result<PurgeCandidates> scan_for_purge(Connection& connection, PurgeCursor& cursor, std::int64_t now_ms,
                                                     std::size_t limit, std::string_view operation);

}  // namespace reverify::sqlite::detail
