#include "reverify/redis/redis_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/store_codec.hpp"
#include "redis_connection.hpp"
#include "redis_random.hpp"
#include "redis_record_codec.hpp"
#include "redis_scripts.hpp"
#include "redis_url.hpp"

namespace reverify::redis {

using detail::Command;
using detail::Reply;
using detail::ScriptId;

namespace {

using detail::random_bytes;
using detail::register_fork_handler;
using reverify::detail::parse_i64;
using reverify::detail::to_u32;

// Window and block keys live this long past their last possible use: a little slack for clock
// skew between the hosts and the Redis server, and for simulated clocks in tests.
constexpr std::int64_t ttl_margin_ms = 60'000;
// 16 random bytes blind a comparison as well as 32 do, and nonce .. digest (48 bytes) then fits
// one SHA-1 block: each of the script's two hashes compresses one block, not two.
constexpr std::size_t nonce_size = 16;

std::string_view reply_text(const redisReply& reply) noexcept {
  return reply.str == nullptr ? std::string_view{} : std::string_view(reply.str, reply.len);
}

std::string_view bytes(const Digest& digest) noexcept {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

constexpr std::size_t member_size = 8;

// A window event's sorted-set member: random, so concurrent events at one millisecond differ
// (the scripts lengthen the rare duplicate). Hex of `member_size` random bytes.
using EventMember = std::array<char, member_size * 2 + 1>;
EventMember event_member(const unsigned char* random) {
  EventMember out{};
  sodium_bin2hex(out.data(), out.size(), random, member_size);
  return out;
}
EventMember event_member() {
  std::array<unsigned char, member_size> random{};
  random_bytes(random.data(), random.size());
  return event_member(random.data());
}
std::string_view member_text(const EventMember& member) noexcept { return {member.data(), member.size() - 1}; }

std::int64_t non_negative_ms(std::chrono::milliseconds duration) noexcept {
  return std::max<std::int64_t>(duration.count(), 0);
}

// SCAN MATCH treats * ? [ ] \ as a pattern: escape them so the prefix matches only itself.
std::string glob_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Strict reply readers: anything but the expected shape is a malformed reply.
bool integer_at(const redisReply& r, std::size_t i, std::int64_t& out) noexcept {
  if (r.element[i]->type != REDIS_REPLY_INTEGER) return false;
  out = r.element[i]->integer;
  return true;
}
bool count_at(const redisReply& r, std::size_t i, std::uint32_t& out) noexcept {
  std::int64_t value = 0;
  if (!integer_at(r, i, value) || value < 0) return false;
  out = to_u32(value);
  return true;
}
bool optional_time_at(const redisReply& r, std::size_t i, std::optional<Timestamp>& out) noexcept {
  if (r.element[i]->type == REDIS_REPLY_NIL) {
    out.reset();
    return true;
  }
  std::int64_t ms = 0;
  if (!integer_at(r, i, ms)) return false;
  out = from_unix_ms(ms);
  return true;
}
bool is_array(const redisReply& r, std::size_t elements) noexcept {
  return r.type == REDIS_REPLY_ARRAY && r.elements == elements;
}

// The 4 big-endian bytes the check_code script compares with a record's pepper id.
std::array<char, 4> pepper_bytes(std::uint32_t pepper_id) noexcept {
  std::array<char, 4> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>((pepper_id >> (24 - 8 * i)) & 0xFFu);
  return out;
}

// Adds a record as the one string value the scripts read (redis_record_codec.hpp), written
// straight into the command.
void add_record(Command& command, const VerificationRecord& record) {
  command.add_built(detail::record_size(record), [&record](char* out) { return detail::write_record(record, out); });
}

std::int64_t record_ttl_ms(const VerificationRecord& record) {
  return std::max<std::int64_t>(1, to_unix_ms(record.expires_at) - to_unix_ms(record.created_at));
}

// The arguments count_failure reads as ARGV[1..6], shared by the check_code script.
void add_lockout_args(Command& command, const LockoutRule& rule, Timestamp now, const EventMember& member) {
  command.add(to_unix_ms(now))
      .add(non_negative_ms(rule.window))
      .add(std::int64_t{rule.failures})
      .add(non_negative_ms(rule.duration))
      .add(member_text(member))
      .add(ttl_margin_ms);
}

/// Whether a command that failed after it was written may be sent again on a fresh connection.
enum class Resend : std::uint8_t {
  never,           ///< it changes state: a repeat could count twice
  unless_timeout,  ///< read-only or idempotent; a timeout still ends the call (the server is slow)
};

}  // namespace

struct RedisStore::Impl {
  Impl(detail::Endpoint endpoint, RedisOptions o)
      : options(o), pool("redis", o.pool_size, o.pool_wait_timeout, [endpoint = std::move(endpoint), o] {
          return detail::Connection::open(endpoint, o);
        }) {}

  RedisOptions options;
  detail::ConnectionPool pool;
  std::array<std::string, detail::script_count> shas;

  // Adds the key `<prefix><kind>:<name>` as one argument.
  Command& add_key(Command& command, char kind, std::string_view name) const {
    const std::array<char, 2> tag{kind, ':'};
    return command.add_joined({options.key_prefix, std::string_view(tag.data(), tag.size()), name});
  }

  // Runs one command. A pooled connection the server closed while it sat idle (a restart) is
  // found before anything is written and replaced. After a failure once written, only a
  // `Resend::unless_timeout` command is sent once more, on a fresh connection, and never after a
  // timeout: the server may have run it.
  [[nodiscard]] Result<Reply> call(const Command& command, std::string_view operation, Resend resend) {
    std::size_t stale = 0;
    bool resent = false;
    for (;;) {
      auto lease = pool.acquire(operation);
      if (!lease) return fail(lease.error());
      detail::Connection& connection = **lease;
      const bool reused = connection.reused();
      if (reused && !connection.recently_answered() && !connection.still_open()) {
        pool.drop_idle();
        if (++stale > options.pool_size)
          return fail(detail::redis_error(operation, "connections closed by the server"));
        continue;
      }
      auto reply = connection.run(command, operation);
      if (reply || !connection.broken()) return reply;
      pool.drop_idle();
      if (resend == Resend::never || resent || !reused || connection.timed_out()) return reply;
      resent = true;
    }
  }

  // A script call: EVALSHA <sha> <key count> keys… args…; the caller adds keys and args.
  [[nodiscard]] Command script(ScriptId id, std::int64_t key_count) const {
    Command command;
    command.add("EVALSHA").add(shas[static_cast<std::size_t>(id)]).add(key_count);
    return command;
  }

  // Runs a script call, sending it again as EVAL (which also caches the script) after NOSCRIPT,
  // e.g. once the server restarted or its script cache was flushed: NOSCRIPT means it did not
  // run. Scripts change state, so nothing else is resent. Error replies become errors.
  [[nodiscard]] Result<Reply> eval(ScriptId id, Command& command, std::string_view operation) {
    auto reply = call(command, operation, Resend::never);
    if (!reply) return reply;
    if ((*reply)->type == REDIS_REPLY_ERROR && reply_text(**reply).substr(0, 8) == "NOSCRIPT") {
      command.set(0, "EVAL");
      command.set(1, detail::script_source(id));
      reply = call(command, operation, Resend::never);
      if (!reply) return reply;
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) return fail(detail::redis_error(operation, reply_text(**reply)));
    return reply;
  }

  [[nodiscard]] Result<Reply> plain(const Command& command, std::string_view operation, Resend resend) {
    auto reply = call(command, operation, resend);
    if (!reply) return reply;
    if ((*reply)->type == REDIS_REPLY_ERROR) return fail(detail::redis_error(operation, reply_text(**reply)));
    return reply;
  }

  [[nodiscard]] Result<void> load_scripts() {
    for (std::size_t i = 0; i < detail::script_count; ++i) {
      Command command;
      command.add("SCRIPT").add("LOAD").add(detail::script_source(static_cast<ScriptId>(i)));
      auto reply = plain(command, "connect (SCRIPT LOAD)", Resend::unless_timeout);
      if (!reply) return fail(reply.error());
      if ((*reply)->type != REDIS_REPLY_STRING) {
        return fail(detail::redis_error("connect (SCRIPT LOAD)", "unexpected reply"));
      }
      shas[i] = std::string(reply_text(**reply));
    }
    return {};
  }
};

RedisStore::RedisStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
RedisStore::~RedisStore() = default;

const std::string& RedisStore::key_prefix() const noexcept { return impl_->options.key_prefix; }

Result<std::shared_ptr<RedisStore>> RedisStore::connect(const std::string& url, RedisOptions options) {
  auto endpoint = detail::parse_url(url);
  if (!endpoint) return fail(endpoint.error());
  if (options.pool_size == 0) return fail(Errc::invalid_configuration, "redis connect: pool_size must be at least 1");
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return fail(Errc::invalid_configuration, "redis connect: timeouts must be positive");
  }
  if (sodium_init() < 0) return fail(detail::redis_error("connect", "libsodium failed to initialise"));
  if (!register_fork_handler()) return fail(detail::redis_error("connect", "pthread_atfork failed"));
  auto impl = std::make_unique<Impl>(std::move(*endpoint), std::move(options));
  if (auto loaded = impl->load_scripts(); !loaded) return fail(loaded.error());
  return std::shared_ptr<RedisStore>(new RedisStore(std::move(impl)));
}

Result<bool> RedisStore::insert(const VerificationRecord& record) {
  constexpr std::string_view op = "insert";
  Command command = impl_->script(ScriptId::insert, 1);
  impl_->add_key(command, 'r', record.id).add(record_ttl_ms(record));
  add_record(command, record);
  auto reply = impl_->eval(ScriptId::insert, command, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_INTEGER || (r.integer != 0 && r.integer != 1)) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  return r.integer == 1;
}

Result<OpenResult> RedisStore::open_code(const VerificationRecord& record, const SendLimit& limit, bool retire_previous,
                                         Timestamp now) {
  constexpr std::string_view op = "open_code";
  const bool retires = retire_previous && record.is_code();
  const std::int64_t window = non_negative_ms(limit.window);
  Command command = impl_->script(ScriptId::open_code, retires ? 3 : 2);
  impl_->add_key(command, 'r', record.id);
  impl_->add_key(command, 'w', limit.key);
  if (retires) impl_->add_key(command, 's', record.code_slot());
  command.add(to_unix_ms(now))
      .add(window)
      .add(std::int64_t{limit.limit})
      .add(window + ttl_margin_ms)
      .add(record_ttl_ms(record));
  impl_->add_key(command, 'r', "").add(record.id);
  add_record(command, record);

  auto reply = impl_->eval(ScriptId::open_code, command, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  std::int64_t status = 0;
  OpenResult result;
  std::optional<Timestamp> oldest;
  if (!is_array(r, 3) || !integer_at(r, 0, status) || !count_at(r, 1, result.sends) ||
      !optional_time_at(r, 2, oldest)) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  switch (static_cast<detail::OpenReply>(status)) {
    case detail::OpenReply::opened:
      result.status = OpenStatus::opened;
      break;
    case detail::OpenReply::rate_limited:
      result.status = OpenStatus::rate_limited;
      break;
    case detail::OpenReply::id_taken:
      result.status = OpenStatus::id_taken;
      break;
    default:
      return fail(detail::redis_error(op, "unexpected status"));
  }
  result.oldest = oldest.value_or(Timestamp{});
  return result;
}

Result<void> RedisStore::cancel_code(std::string_view id, std::string_view send_key, Timestamp at) {
  constexpr std::string_view op = "cancel_code";
  Command command = impl_->script(ScriptId::cancel_code, 2);
  impl_->add_key(command, 'r', id);
  impl_->add_key(command, 'w', send_key).add(to_unix_ms(at));
  auto reply = impl_->eval(ScriptId::cancel_code, command, op);
  if (!reply) return fail(reply.error());
  if ((*reply)->type != REDIS_REPLY_INTEGER) return fail(detail::redis_error(op, "unexpected reply"));
  return {};
}

Result<std::optional<VerificationRecord>> RedisStore::find(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "find";
  Command command;
  impl_->add_key(command.add("GET"), 'r', id);
  auto reply = impl_->plain(command, op, Resend::unless_timeout);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  if (r.type == REDIS_REPLY_NIL) return std::optional<VerificationRecord>{};
  if (r.type != REDIS_REPLY_STRING) return fail(detail::redis_error(op, "unexpected reply"));
  VerificationRecord record;
  if (!detail::read_record(reply_text(r), record)) return fail(detail::redis_error(op, "malformed record"));
  record.id = std::string(id);
  if (!record.live_at(now)) return std::optional<VerificationRecord>{};
  return std::optional<VerificationRecord>(std::move(record));
}

Result<CheckResult> RedisStore::check_code(const CodeCheck& check) {
  constexpr std::string_view op = "check_code";
  // The blinding key of this comparison (see the check_code script), fresh per call, then the
  // failure event's member: one take from the thread's random buffer.
  std::array<unsigned char, nonce_size + member_size> random{};
  static_assert(nonce_size + member_size <= detail::RandomBuffer::capacity);
  random_bytes(random.data(), random.size());

  const char kind = static_cast<char>(check.kind);
  Command command = impl_->script(ScriptId::check_code, 3);
  impl_->add_key(command, 'r', check.record_id);
  impl_->add_key(command, 'w', check.lockout.key);
  impl_->add_key(command, 'b', check.lockout.key);
  add_lockout_args(command, check.lockout, check.now, event_member(random.data() + nonce_size));
  command.add(check.user_id)
      .add(std::string_view(&kind, 1))
      .add(check.identifier_key)
      .add(std::int64_t{check.max_attempts})
      .add(std::string_view(reinterpret_cast<const char*>(random.data()), nonce_size));
  for (const auto& offered : check.offered) {
    const auto pepper = pepper_bytes(offered.pepper_id);
    command.add(std::string_view(pepper.data(), pepper.size())).add(bytes(offered.digest));
  }

  auto reply = impl_->eval(ScriptId::check_code, command, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  std::int64_t status = 0;
  CheckResult result;
  if (!is_array(r, 4) || !integer_at(r, 0, status) || !count_at(r, 1, result.attempts) ||
      !count_at(r, 2, result.failures) || !optional_time_at(r, 3, result.blocked_until)) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  using detail::CheckReply;
  switch (static_cast<CheckReply>(status)) {
    case CheckReply::not_found:
      result.status = CheckStatus::not_found;
      break;
    case CheckReply::already_verified:
      result.status = CheckStatus::already_verified;
      break;
    case CheckReply::identifier_mismatch:
      result.status = CheckStatus::identifier_mismatch;
      break;
    case CheckReply::code_expired:
      result.status = CheckStatus::code_expired;
      break;
    case CheckReply::blocked:
      result.status = CheckStatus::blocked;
      break;
    case CheckReply::exhausted:
      result.status = CheckStatus::exhausted;
      break;
    case CheckReply::unknown_pepper:
      result.status = CheckStatus::unknown_pepper;
      break;
    case CheckReply::mismatch:
      result.status = CheckStatus::mismatch;
      break;
    case CheckReply::verified:
      result.status = CheckStatus::verified;
      break;
    default:
      return fail(detail::redis_error(op, "unexpected status"));
  }
  // Exactly exhausted and mismatch count a failure (and may start a block); blocked names its end.
  const bool counted = result.status == CheckStatus::exhausted || result.status == CheckStatus::mismatch;
  const bool end_ok = result.status == CheckStatus::blocked ? result.blocked_until.has_value()
                                                            : counted || !result.blocked_until.has_value();
  if (counted != (result.failures != 0) || !end_ok) return fail(detail::redis_error(op, "unexpected reply"));
  return result;
}

Result<bool> RedisStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  constexpr std::string_view op = "use";
  Command command = impl_->script(ScriptId::use, 1);
  impl_->add_key(command, 'r', id).add(to_unix_ms(now)).add(std::int64_t{max_uses});
  auto reply = impl_->eval(ScriptId::use, command, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_INTEGER || (r.integer != 0 && r.integer != 1)) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  return r.integer == 1;
}

Result<FailureResult> RedisStore::count_failure(const LockoutRule& rule, Timestamp now) {
  constexpr std::string_view op = "count_failure";
  Command command = impl_->script(ScriptId::count_failure, 2);
  impl_->add_key(command, 'w', rule.key);
  impl_->add_key(command, 'b', rule.key);
  add_lockout_args(command, rule, now, event_member());
  auto reply = impl_->eval(ScriptId::count_failure, command, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  FailureResult result;
  if (!is_array(r, 2) || !count_at(r, 0, result.failures) || result.failures == 0 ||
      !optional_time_at(r, 1, result.blocked_until)) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  return result;
}

Result<std::optional<Timestamp>> RedisStore::blocked_until(std::string_view key, Timestamp now) {
  constexpr std::string_view op = "blocked_until";
  Command command;
  impl_->add_key(command.add("GET"), 'b', key);
  auto reply = impl_->plain(command, op, Resend::unless_timeout);
  if (!reply) return fail(reply.error());
  if ((*reply)->type == REDIS_REPLY_NIL) return std::optional<Timestamp>{};
  std::int64_t until = 0;
  if ((*reply)->type != REDIS_REPLY_STRING || !parse_i64(reply_text(**reply), until)) {
    return fail(detail::redis_error(op, "malformed block"));
  }
  if (until <= to_unix_ms(now)) return std::optional<Timestamp>{};
  return std::optional<Timestamp>(from_unix_ms(until));
}

Result<void> RedisStore::unblock(std::string_view key) {
  constexpr std::string_view op = "unblock";
  Command command;
  impl_->add_key(command.add("DEL"), 'b', key);
  impl_->add_key(command, 'w', key);
  auto reply = impl_->plain(command, op, Resend::unless_timeout);
  if (!reply) return fail(reply.error());
  return {};
}

Result<std::size_t> RedisStore::purge_expired(Timestamp /*now*/, std::size_t /*limit*/) { return std::size_t{0}; }

Result<std::size_t> RedisStore::delete_all_keys() {
  constexpr std::string_view op = "delete_all_keys";
  const std::string pattern = glob_escape(impl_->options.key_prefix) + "*";
  std::string cursor = "0";
  std::size_t deleted = 0;
  do {
    Command scan;
    scan.add("SCAN").add(cursor).add("MATCH").add(pattern).add("COUNT").add(std::int64_t{1000});
    auto reply = impl_->plain(scan, op, Resend::unless_timeout);
    if (!reply) return fail(reply.error());
    const redisReply& r = **reply;
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 || r.element[1]->type != REDIS_REPLY_ARRAY) {
      return fail(detail::redis_error(op, "unexpected SCAN reply"));
    }
    cursor = std::string(reply_text(*r.element[0]));
    const redisReply& batch = *r.element[1];
    if (batch.elements == 0) continue;
    Command unlink;
    unlink.add("UNLINK");
    for (std::size_t i = 0; i < batch.elements; ++i) unlink.add(reply_text(*batch.element[i]));
    auto removed = impl_->plain(unlink, op, Resend::unless_timeout);
    if (!removed) return fail(removed.error());
    if ((*removed)->type == REDIS_REPLY_INTEGER) deleted += static_cast<std::size_t>((*removed)->integer);
  } while (cursor != "0");
  return deleted;
}

}  // namespace reverify::redis
