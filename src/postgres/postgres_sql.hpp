#pragma once
// The SQL of the PostgreSQL store: the schema and one prepared statement per operation.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace reverify::postgres::detail {

enum class StatementId : std::size_t {
  insert,
  open_code,
  cancel_code,
  find,
  check_code,
  use,
  count_failure,
  blocked_until,
  unblock,
  purge_expired,
};
inline constexpr std::size_t statement_count = 10;
inline constexpr std::size_t max_parameters = 22;

/// Parameter type OIDs.
inline constexpr unsigned bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23, text_oid = 25,
                          int8_array_oid = 1016;

/// One statement: its SQL (with :"schema" for the schema) and parameter types.
struct StatementSource {
  const char* name;  ///< the prepared statement's name
  const char* sql;
  std::size_t parameter_count;
  std::array<unsigned, max_parameters> parameter_types;
  /// Sending it twice has the effect of sending it once (reads, unblock, purge), so it may be
  /// resent after a connection broke with the outcome unknown.
  bool resend_safe;
};

[[nodiscard]] const StatementSource& statement_source(StatementId id) noexcept;

/// src/postgres/schema.sql (installed as share/reverify/postgres-schema.sql), embedded at build time.
[[nodiscard]] std::string_view schema_sql() noexcept;

/// Replaces each psql-style `:"schema"` in `sql` with the quoted schema name.
[[nodiscard]] std::string with_schema(std::string_view sql, std::string_view schema);

/// True for 1..63 characters from [a-z0-9_] not starting with a digit.
[[nodiscard]] bool valid_schema_name(std::string_view schema) noexcept;

}  // namespace reverify::postgres::detail
