#include "reverify/postgres/postgres_store.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/store_codec.hpp"
#include "postgres_connection.hpp"
#include "postgres_sql.hpp"

namespace reverify::postgres {

using detail::Param;
using detail::QueryResult;
using detail::StatementId;

namespace {

using reverify::detail::parse_i64;
using reverify::detail::to_u32;

// Serialises concurrent schema creation by several processes ("reverify" in ASCII).
constexpr long long schema_lock_key = 0x7265766572696679LL;

Param text(std::string_view value) { return Param{std::string(value), false}; }
Param number(std::int64_t value) { return Param{std::to_string(value), false}; }
Param boolean(bool value) { return Param{std::string(value ? "t" : "f"), false}; }
Param bytes(const std::optional<Digest>& digest) {
  if (!digest) return Param{std::nullopt, true};
  return Param{std::string(reinterpret_cast<const char*>(digest->data()), digest->size()), true};
}

std::string_view cell(const PGresult* result, int row, int column) {
  return std::string_view(PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column)));
}
bool is_null(const PGresult* result, int row, int column) { return PQgetisnull(result, row, column) == 1; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in text form with bytea_output = 'hex': "\x" then two hex digits per byte.
bool parse_digest(std::string_view text, Digest& out) noexcept {
  if (text.size() != 2 + 2 * out.size() || text[0] != '\\' || text[1] != 'x') return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = hex_value(text[2 + 2 * i]);
    const int low = hex_value(text[3 + 2 * i]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return true;
}

/// Reads typed cells, remembering whether any was malformed.
class Reader {
 public:
  Reader(const PGresult* result, int row) noexcept : result_(result), row_(row) {}
  std::int64_t integer(int column) {
    std::int64_t value = 0;
    if (!parse_i64(cell(result_, row_, column), value)) ok_ = false;
    return value;
  }
  bool flag(int column) { return cell(result_, row_, column) == "t"; }
  std::string string(int column) { return std::string(cell(result_, row_, column)); }
  std::optional<Digest> digest(int column) {
    if (is_null(result_, row_, column)) return std::nullopt;
    Digest value{};
    if (!parse_digest(cell(result_, row_, column), value)) ok_ = false;
    return value;
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  const PGresult* result_;
  int row_;
  bool ok_ = true;
};

}  // namespace

struct PostgresStore::Impl {
  Impl(const std::string& conninfo, PostgresOptions o)
      : options(o), pool("postgres", o.pool_size, o.pool_wait_timeout, [conninfo, o] {
          return detail::Connection::open(conninfo, o);
        }) {}

  PostgresOptions options;
  detail::ConnectionPool pool;

  // One statement. A failure that broke a connection which had served before (a server
  // restart) drops the idle connections and is retried once on a fresh one.
  [[nodiscard]] Result<QueryResult> execute(StatementId id, const std::vector<Param>& params,
                                            std::string_view operation) {
    for (int round = 0;; ++round) {
      auto lease = detail::acquire_prepared(pool, operation, options.schema);
      if (!lease) return fail(lease.error());
      const bool reused = (*lease)->reused();
      auto result = (*lease)->execute(id, params, operation);
      if (result || !(*lease)->broken()) return result;
      pool.drop_idle();
      if (!reused || round > 0) return result;
    }
  }

  [[nodiscard]] Result<void> create_or_check_schema() {
    constexpr std::string_view op = "connect (schema)";
    auto lease = pool.acquire(op);
    if (!lease) return fail(lease.error());
    const std::string& schema = options.schema;
    if (options.create_schema) {
      std::string script = "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(schema_lock_key) + "); ";
      script += detail::with_schema(detail::schema_sql(), schema);
      script += "; COMMIT;";
      auto created = (*lease)->run_script(script, op);
      if (!created) {
        (void)(*lease)->run_script("ROLLBACK", op);
        return fail(created.error());
      }
    }
    auto version =
        (*lease)->run_script(detail::with_schema("SELECT max(version) FROM :\"schema\".schema_version", schema), op);
    if (!version) return fail(version.error());
    std::int64_t found = 0;
    if (PQntuples(version->get()) != 1 || is_null(version->get(), 0, 0) ||
        !parse_i64(cell(version->get(), 0, 0), found) || found != schema_version) {
      return fail(Errc::invalid_configuration, "postgres connect: schema \"" + schema + "\" has version " +
                                                   std::to_string(found) + ", this build needs " +
                                                   std::to_string(schema_version));
    }
    return {};
  }
};

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

const std::string& PostgresStore::schema() const noexcept { return impl_->options.schema; }

Result<std::shared_ptr<PostgresStore>> PostgresStore::connect(const std::string& conninfo, PostgresOptions options) {
  if (!detail::valid_schema_name(options.schema)) {
    return fail(Errc::invalid_configuration,
                "postgres connect: schema must be 1..63 characters from [a-z0-9_], not starting with a digit");
  }
  if (options.pool_size == 0)
    return fail(Errc::invalid_configuration, "postgres connect: pool_size must be at least 1");
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return fail(Errc::invalid_configuration, "postgres connect: timeouts must be positive");
  }
  auto impl = std::make_unique<Impl>(conninfo, std::move(options));
  if (auto ready = impl->create_or_check_schema(); !ready) return fail(ready.error());
  {
    // Prepares the statements: fail now, not later.
    auto lease = detail::acquire_prepared(impl->pool, "connect", impl->options.schema);
    if (!lease) return fail(lease.error());
  }
  return std::shared_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Result<bool> PostgresStore::insert(const VerificationRecord& record, bool retire_previous) {
  constexpr std::string_view op = "insert";
  std::vector<Param> params = {
      text(record.id),
      text(record.user_id),
      number(static_cast<std::int64_t>(record.kind)),
      number(static_cast<std::int64_t>(record.template_type)),
      text(record.identifier),
      text(record.identifier_key),
      text(record.purpose),
      bytes(record.binding_digest),
      bytes(record.code_digest),
      number(record.pepper_id),
      number(record.attempts),
      number(record.use_count),
      number(to_unix_ms(record.created_at)),
      number(to_unix_ms(record.expires_at)),
      number(to_unix_ms(record.code_expires_at)),
      boolean(record.verified),
      boolean(record.retired),
  };
  const bool takes_slot = retire_previous && record.is_code();
  if (takes_slot) params.push_back(text(record.code_slot()));
  auto result = impl_->execute(takes_slot ? StatementId::insert_taking_slot : StatementId::insert_plain, params, op);
  if (!result) return fail(result.error());
  if (!takes_slot) return PQntuples(result->get()) == 1;
  return PQntuples(result->get()) == 1 && cell(result->get(), 0, 0) == "1";
}

Result<std::optional<VerificationRecord>> PostgresStore::find(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "find";
  auto result = impl_->execute(StatementId::find, {text(id), number(to_unix_ms(now))}, op);
  if (!result) return fail(result.error());
  if (PQntuples(result->get()) == 0) return std::optional<VerificationRecord>{};
  Reader row(result->get(), 0);
  VerificationRecord record;
  record.id = std::string(id);
  record.user_id = row.string(0);
  record.kind = static_cast<RecordKind>(row.integer(1));
  record.template_type = static_cast<TemplateType>(row.integer(2));
  record.identifier = row.string(3);
  record.identifier_key = row.string(4);
  record.purpose = row.string(5);
  record.binding_digest = row.digest(6);
  record.code_digest = row.digest(7);
  record.pepper_id = to_u32(row.integer(8));
  record.attempts = to_u32(row.integer(9));
  record.use_count = to_u32(row.integer(10));
  record.created_at = from_unix_ms(row.integer(11));
  record.expires_at = from_unix_ms(row.integer(12));
  record.code_expires_at = from_unix_ms(row.integer(13));
  record.verified = row.flag(14);
  record.retired = row.flag(15);
  if (!row.ok()) return fail(detail::postgres_error(op, "malformed record row"));
  return std::optional<VerificationRecord>(std::move(record));
}

Result<AttemptResult> PostgresStore::spend_attempt(std::string_view id, std::uint32_t max_attempts, Timestamp now) {
  constexpr std::string_view op = "spend_attempt";
  auto result =
      impl_->execute(StatementId::spend_attempt,
                     {text(id), number(to_unix_ms(now)), number(std::min<std::uint32_t>(max_attempts, INT32_MAX))}, op);
  if (!result) return fail(result.error());
  AttemptResult answer;
  if (PQntuples(result->get()) == 0) return answer;  // absent
  Reader row(result->get(), 0);
  const bool live = row.flag(0);
  const bool retired = row.flag(1);
  const bool verified = row.flag(2);
  const std::int64_t attempts = row.integer(3);
  if (!row.ok()) return fail(detail::postgres_error(op, "malformed reply"));
  if (!live || retired) return answer;
  answer.attempts = to_u32(attempts);
  if (verified) {
    answer.status = AttemptStatus::already_verified;
    return answer;
  }
  if (is_null(result->get(), 0, 6)) {
    answer.status = AttemptStatus::exhausted;
    return answer;
  }
  answer.status = AttemptStatus::spent;
  answer.attempts = to_u32(row.integer(6));
  answer.code_digest = row.digest(4);
  answer.pepper_id = to_u32(row.integer(5));
  if (!row.ok()) return fail(detail::postgres_error(op, "malformed reply"));
  return answer;
}

Result<bool> PostgresStore::mark_verified(std::string_view id, Timestamp now) {
  auto result = impl_->execute(StatementId::mark_verified, {text(id), number(to_unix_ms(now))}, "mark_verified");
  if (!result) return fail(result.error());
  return PQntuples(result->get()) == 1;
}

Result<bool> PostgresStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  auto result = impl_->execute(StatementId::use, {text(id), number(to_unix_ms(now)), number(max_uses)}, "use");
  if (!result) return fail(result.error());
  return PQntuples(result->get()) == 1;
}

Result<void> PostgresStore::retire(std::string_view id) {
  auto result = impl_->execute(StatementId::retire, {text(id)}, "retire");
  if (!result) return fail(result.error());
  return {};
}

Result<WindowResult> PostgresStore::window_add(std::string_view key, std::chrono::milliseconds window,
                                               std::uint32_t limit, Timestamp now) {
  constexpr std::string_view op = "window_add";
  auto result = impl_->execute(StatementId::window_add,
                               {text(key), number(to_unix_ms(now)), number(window.count()), number(limit)}, op);
  if (!result) return fail(result.error());
  if (PQntuples(result->get()) != 1) return fail(detail::postgres_error(op, "no row returned"));
  Reader row(result->get(), 0);
  WindowResult answer;
  answer.counted = row.flag(0);
  answer.count = to_u32(row.integer(1));
  if (!is_null(result->get(), 0, 2)) answer.oldest = from_unix_ms(row.integer(2));
  if (!row.ok()) return fail(detail::postgres_error(op, "malformed reply"));
  return answer;
}

Result<void> PostgresStore::window_remove(std::string_view key, Timestamp at) {
  auto result = impl_->execute(StatementId::window_remove, {text(key), number(to_unix_ms(at))}, "window_remove");
  if (!result) return fail(result.error());
  return {};
}

Result<void> PostgresStore::block(std::string_view key, Timestamp until) {
  auto result = impl_->execute(StatementId::block, {text(key), number(to_unix_ms(until))}, "block");
  if (!result) return fail(result.error());
  return {};
}

Result<std::optional<Timestamp>> PostgresStore::blocked_until(std::string_view key, Timestamp now) {
  constexpr std::string_view op = "blocked_until";
  auto result = impl_->execute(StatementId::blocked_until, {text(key), number(to_unix_ms(now))}, op);
  if (!result) return fail(result.error());
  if (PQntuples(result->get()) == 0) return std::optional<Timestamp>{};
  Reader row(result->get(), 0);
  const auto until = row.integer(0);
  if (!row.ok()) return fail(detail::postgres_error(op, "malformed reply"));
  return std::optional<Timestamp>(from_unix_ms(until));
}

Result<void> PostgresStore::unblock(std::string_view key) {
  auto result = impl_->execute(StatementId::unblock, {text(key)}, "unblock");
  if (!result) return fail(result.error());
  return {};
}

Result<std::size_t> PostgresStore::purge_expired(Timestamp now, std::size_t limit) {
  constexpr std::string_view op = "purge_expired";
  const auto budget = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  auto result = impl_->execute(StatementId::purge_expired, {number(to_unix_ms(now)), number(budget)}, op);
  if (!result) return fail(result.error());
  Reader row(result->get(), 0);
  const auto deleted = row.integer(0);
  if (PQntuples(result->get()) != 1 || !row.ok()) return fail(detail::postgres_error(op, "malformed reply"));
  return static_cast<std::size_t>(std::max<std::int64_t>(0, deleted));
}

Result<void> PostgresStore::drop_schema() {
  constexpr std::string_view op = "drop_schema";
  auto lease = impl_->pool.acquire(op);
  if (!lease) return fail(lease.error());
  auto dropped =
      (*lease)->run_script(detail::with_schema("DROP SCHEMA IF EXISTS :\"schema\" CASCADE", impl_->options.schema), op);
  if (!dropped) return fail(dropped.error());
  return {};
}

}  // namespace reverify::postgres
