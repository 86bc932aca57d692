#include "sqlite_purge.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace reverify::sqlite::detail {
namespace {

constexpr std::size_t max_rows = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());

std::int64_t as_limit(std::size_t rows) { return static_cast<std::int64_t>(std::min(rows, max_rows)); }

// One table's scan. `Table` supplies the three statements (from the first row; after the
// cursor; up to and including where the scan began) and reads a row into the cursor.
template <class Table>
Result<void> scan_table(Connection& connection, Table& table, std::size_t budget, std::size_t wanted,
                        std::size_t& examined, std::string_view operation) {
  const bool began_midway = table.started();
  const typename Table::Position began = table.position();
  // Pass 0 runs from the cursor (or the first row) to the end; pass 1, after a wrap, from the
  // first row up to where pass 0 began.
  for (int pass = 0; pass < 2; ++pass) {
    const std::size_t rows = budget - examined;
    if (rows == 0) return {};
    const bool from_start = pass == 1 || !table.started();
    auto select = connection.prepare(
        from_start ? (pass == 1 ? table.up_to_sql : table.from_start_sql) : table.after_sql, operation);
    if (!select) return fail(select.error());
    int next = 1;
    if (pass == 1) {
      next = table.bind_position(*select, began);
    } else if (!from_start) {
      next = table.bind_position(*select, table.position());
    }
    select->bind(next, as_limit(rows));
    std::size_t seen = 0;
    for (;;) {
      auto row = select->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      ++seen;
      ++examined;
      table.take(*select);
      if (table.found() >= wanted) return {};
    }
    if (seen < rows) {  // the end (or, in pass 1, where pass 0 began) was reached
      if (pass == 0) {
        table.restart();
        if (!began_midway) return {};  // the whole table was examined
      }
    } else {
      return {};  // budget spent
    }
  }
  return {};
}

struct RecordTable {
  using Position = std::string;
  static constexpr const char* from_start_sql = "SELECT id, expires_at FROM reverify_records ORDER BY id LIMIT ?1";
  static constexpr const char* after_sql =
      "SELECT id, expires_at FROM reverify_records WHERE id > ?1 ORDER BY id LIMIT ?2";
  static constexpr const char* up_to_sql =
      "SELECT id, expires_at FROM reverify_records WHERE id <= ?1 ORDER BY id LIMIT ?2";

  PurgeCursor& cursor;
  std::vector<std::string>& out;
  std::int64_t now_ms;

  [[nodiscard]] bool started() const noexcept { return cursor.records_started; }
  [[nodiscard]] Position position() const { return cursor.record_id; }
  static int bind_position(Statement& statement, const Position& position) {
    statement.bind(1, position);
    return 2;
  }
  void take(const Statement& statement) {
    cursor.records_started = true;
    cursor.record_id = statement.column_text(0);
    if (statement.column_int(1) <= now_ms) out.push_back(cursor.record_id);
  }
  [[nodiscard]] std::size_t found() const noexcept { return out.size(); }
  void restart() noexcept { cursor.records_started = false; }
};

struct KeyTable {
  struct Position {
    std::int64_t near = 0;
    std::int64_t kind = 0;
    std::string key;
  };
  static constexpr const char* from_start_sql =
      "SELECT near, kind, key, purge_at FROM reverify_keys ORDER BY near, kind, key LIMIT ?1";
  static constexpr const char* after_sql =
      "SELECT near, kind, key, purge_at FROM reverify_keys WHERE (near, kind, key) > (?1, ?2, ?3) "
      "ORDER BY near, kind, key LIMIT ?4";
  static constexpr const char* up_to_sql =
      "SELECT near, kind, key, purge_at FROM reverify_keys WHERE (near, kind, key) <= (?1, ?2, ?3) "
      "ORDER BY near, kind, key LIMIT ?4";

  PurgeCursor& cursor;
  std::vector<std::string>& out;
  std::int64_t now_ms;

  [[nodiscard]] bool started() const noexcept { return cursor.keys_started; }
  [[nodiscard]] Position position() const { return Position{cursor.near, cursor.kind, cursor.key}; }
  static int bind_position(Statement& statement, const Position& position) {
    statement.bind(1, position.near).bind(2, position.kind).bind(3, position.key);
    return 4;
  }
  void take(const Statement& statement) {
    cursor.keys_started = true;
    cursor.near = statement.column_int(0);
    cursor.kind = statement.column_int(1);
    cursor.key = statement.column_text(2);
    // Slot rows (kind 1) carry no purge_at: they go with their holder.
    if (cursor.kind == 0 && !statement.column_is_null(3) && statement.column_int(3) <= now_ms) {
      out.push_back(cursor.key);
    }
  }
  [[nodiscard]] std::size_t found() const noexcept { return out.size(); }
  void restart() noexcept { cursor.keys_started = false; }
};

}  // namespace

Result<PurgeCandidates> scan_for_purge(Connection& connection, PurgeCursor& cursor, std::int64_t now_ms,
                                       std::size_t limit, std::string_view operation) {
  PurgeCandidates candidates;
  const std::size_t budget = limit > max_rows / purge_scan_factor ? max_rows : limit * purge_scan_factor;
  std::size_t examined = 0;
  RecordTable records{cursor, candidates.records, now_ms};
  if (auto scanned = scan_table(connection, records, budget, limit, examined, operation); !scanned) {
    return fail(scanned.error());
  }
  candidates.rows_examined = examined;
  if (candidates.records.size() < limit) {
    // A key row due for purging holds at least one item, so this many rows are enough.
    examined = 0;
    KeyTable keys{cursor, candidates.keys, now_ms};
    if (auto scanned = scan_table(connection, keys, budget, limit - candidates.records.size(), examined, operation);
        !scanned) {
      return fail(scanned.error());
    }
    candidates.rows_examined += examined;
  }
  return candidates;
}

}  // namespace reverify::sqlite::detail
