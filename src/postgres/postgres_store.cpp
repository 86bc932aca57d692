#include "reverify/postgres/postgres_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
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
using reverify::detail::record_kind_from;
using reverify::detail::template_type_from;
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
Param null_text() { return Param{std::nullopt, false}; }
std::int64_t millis(std::chrono::milliseconds span) { return std::max<std::int64_t>(span.count(), 0); }

// The record's columns in the order of the insert statement and of open_code's first parameters.
std::vector<Param> record_params(const VerificationRecord& record) {
  return {
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
}

std::string_view cell(const PGresult* result, int row, int column) {
  return {PQgetvalue(result, row, column), static_cast<std::size_t>(PQgetlength(result, row, column))};
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
  RecordKind kind(int column) {
    const auto value = record_kind_from(integer(column));
    if (!value) ok_ = false;
    return value.value_or(RecordKind::password);
  }
  TemplateType template_type(int column) {
    const auto value = template_type_from(integer(column));
    if (!value) ok_ = false;
    return value.value_or(TemplateType::user_permission_validation);
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

  // A connection with the statements prepared. A pooled connection that the server has closed
  // (a restart) is dropped with the other idle ones before anything is sent on it.
  [[nodiscard]] Result<detail::ConnectionPool::Lease> acquire(std::string_view operation) {
    for (int round = 0;; ++round) {
      {
        auto lease = detail::acquire_prepared(pool, operation, options.schema);
        if (!lease || !(*lease)->reused() || (*lease)->alive() || round >= 2) return lease;
      }
      pool.drop_idle();
    }
  }

  // One statement. When the connection breaks while it runs, the server may or may not have
  // committed it: only a statement whose second run changes nothing more is resent.
  [[nodiscard]] Result<QueryResult> execute(StatementId id, const std::vector<Param>& params,
                                            std::string_view operation) {
    for (int round = 0;; ++round) {
      auto lease = acquire(operation);
      if (!lease) return fail(lease.error());
      const bool reused = (*lease)->reused();
      auto result = (*lease)->execute(id, params, operation);
      if (result || !(*lease)->broken()) return result;
      pool.drop_idle();
      if (!detail::statement_source(id).resend_safe || !reused || round > 0) return result;
    }
  }

  [[nodiscard]] Result<void> create_or_check_schema() {
    constexpr std::string_view op = "connect (schema)";
    auto lease = pool.acquire(op);
    if (!lease) return fail(lease.error());
    const std::string& schema = options.schema;
    if (options.create_schema) {
      auto created = create_schema(**lease);
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
      return fail(version_error(found));
    }
    return {};
  }

  [[nodiscard]] Error version_error(std::int64_t found) const {
    return {Errc::invalid_configuration, "postgres connect: schema \"" + options.schema + "\" has version " +
                                             std::to_string(found) + ", this build needs " +
                                             std::to_string(schema_version)};
  }

  // Creates the schema, or migrates a version 1 or 2 schema, in one transaction that several processes
  // starting at once take in turn. A newer schema is left untouched: replacing its functions with
  // this build's would break the processes that use it.
  [[nodiscard]] Result<void> create_schema(detail::Connection& connection) const {
    constexpr std::string_view op = "connect (schema)";
    const std::string& schema = options.schema;
    auto begun =
        connection.run_script("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(schema_lock_key) + ")", op);
    if (!begun) return fail(begun.error());
    auto exists = connection.run_script(
        detail::with_schema("SELECT to_regclass(':\"schema\".schema_version') IS NOT NULL", schema), op);
    if (!exists) return fail(exists.error());
    if (PQntuples(exists->get()) == 1 && cell(exists->get(), 0, 0) == "t") {
      auto version = connection.run_script(
          detail::with_schema("SELECT coalesce(max(version), 0) FROM :\"schema\".schema_version", schema), op);
      if (!version) return fail(version.error());
      std::int64_t found = 0;
      if (PQntuples(version->get()) == 1) (void)parse_i64(cell(version->get(), 0, 0), found);
      if (found > schema_version) return fail(version_error(found));
    }
    auto created = connection.run_script(detail::with_schema(detail::schema_sql(), schema) + ";\nCOMMIT", op);
    if (!created) return fail(created.error());
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
  if (auto parsed = detail::check_conninfo(conninfo); !parsed) return fail(parsed.error());
  if (sodium_init() < 0) return fail(Errc::store_unavailable, "postgres connect: libsodium failed to initialise");
  auto impl = std::make_unique<Impl>(conninfo, std::move(options));
  if (auto ready = impl->create_or_check_schema(); !ready) return fail(ready.error());
  {
    // Prepares the statements: fail now, not later.
    auto lease = detail::acquire_prepared(impl->pool, "connect", impl->options.schema);
    if (!lease) return fail(lease.error());
  }
  return std::shared_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Result<bool> PostgresStore::insert(const VerificationRecord& record) {
  auto result = impl_->execute(StatementId::insert, record_params(record), "insert");
  if (!result) return fail(result.error());
  return PQntuples(result->get()) == 1;
}

Result<OpenResult> PostgresStore::open_code(const VerificationRecord& record, const SendLimit& limit,
                                            bool retire_previous, Timestamp now) {
  constexpr std::string_view op = "open_code";
  std::vector<Param> params = record_params(record);
  params.push_back(retire_previous && record.is_code() ? text(record.code_slot()) : null_text());
  params.push_back(text(limit.key));
  params.push_back(number(millis(limit.window)));
  params.push_back(number(limit.limit));
  params.push_back(number(to_unix_ms(now)));
  auto result = impl_->execute(StatementId::open_code, params, op);
  if (!result) return fail(result.error());
  if (PQntuples(result->get()) != 1) return fail(detail::postgres_error(op, "no row returned"));
  Reader row(result->get(), 0);
  const std::int64_t status = row.integer(0);
  OpenResult answer;
  answer.sends = to_u32(row.integer(1));
  if (!is_null(result->get(), 0, 2)) answer.oldest = from_unix_ms(row.integer(2));
  if (!row.ok() || status < 0 || status > 2) return fail(detail::postgres_error(op, "malformed reply"));
  constexpr OpenStatus statuses[] = {OpenStatus::opened, OpenStatus::rate_limited, OpenStatus::id_taken};
  answer.status = statuses[status];
  return answer;
}

Result<void> PostgresStore::cancel_code(std::string_view id, std::string_view send_key, Timestamp at) {
  auto result =
      impl_->execute(StatementId::cancel_code, {text(id), text(send_key), number(to_unix_ms(at))}, "cancel_code");
  if (!result) return fail(result.error());
  return {};
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
  record.kind = row.kind(1);
  record.template_type = row.template_type(2);
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

Result<CheckResult> PostgresStore::check_code(const CodeCheck& check) {
  constexpr std::string_view op = "check_code";
  std::string pepper_ids = "{";
  std::string digests;
  digests.reserve(check.offered.size() * Digest().size());
  for (const OfferedDigest& offered : check.offered) {
    if (pepper_ids.size() > 1) pepper_ids += ',';
    pepper_ids += std::to_string(offered.pepper_id);
    digests.append(reinterpret_cast<const char*>(offered.digest.data()), offered.digest.size());
  }
  pepper_ids += '}';
  std::string nonce(32, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  const LockoutRule& lockout = check.lockout;
  auto result = impl_->execute(
      StatementId::check_code,
      {text(check.record_id), text(check.user_id), number(static_cast<std::int64_t>(check.kind)),
       text(check.identifier_key), Param{std::move(pepper_ids), false}, Param{std::move(digests), true},
       Param{std::move(nonce), true}, number(check.max_attempts), text(lockout.key), number(millis(lockout.window)),
       number(lockout.failures), number(millis(lockout.duration)), number(to_unix_ms(check.now))},
      op);
  if (!result) return fail(result.error());
  if (PQntuples(result->get()) != 1) return fail(detail::postgres_error(op, "no row returned"));
  Reader row(result->get(), 0);
  const std::int64_t status = row.integer(0);
  CheckResult answer;
  answer.attempts = to_u32(row.integer(1));
  answer.failures = to_u32(row.integer(2));
  if (!is_null(result->get(), 0, 3)) answer.blocked_until = from_unix_ms(row.integer(3));
  constexpr CheckStatus statuses[] = {
      CheckStatus::not_found,      CheckStatus::already_verified, CheckStatus::identifier_mismatch,
      CheckStatus::code_expired,   CheckStatus::blocked,          CheckStatus::exhausted,
      CheckStatus::unknown_pepper, CheckStatus::mismatch,         CheckStatus::verified,
  };
  if (!row.ok() || status < 0 || status >= static_cast<std::int64_t>(std::size(statuses))) {
    return fail(detail::postgres_error(op, "malformed reply"));
  }
  answer.status = statuses[status];
  return answer;
}

Result<bool> PostgresStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  auto result = impl_->execute(StatementId::use, {text(id), number(to_unix_ms(now)), number(max_uses)}, "use");
  if (!result) return fail(result.error());
  return PQntuples(result->get()) == 1;
}

Result<FailureResult> PostgresStore::count_failure(const LockoutRule& rule, Timestamp now) {
  constexpr std::string_view op = "count_failure";
  auto result = impl_->execute(StatementId::count_failure,
                               {text(rule.key), number(millis(rule.window)), number(rule.failures),
                                number(millis(rule.duration)), number(to_unix_ms(now))},
                               op);
  if (!result) return fail(result.error());
  if (PQntuples(result->get()) != 1) return fail(detail::postgres_error(op, "no row returned"));
  Reader row(result->get(), 0);
  FailureResult answer;
  answer.failures = to_u32(row.integer(0));
  if (!is_null(result->get(), 0, 1)) answer.blocked_until = from_unix_ms(row.integer(1));
  if (!row.ok()) return fail(detail::postgres_error(op, "malformed reply"));
  return answer;
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
