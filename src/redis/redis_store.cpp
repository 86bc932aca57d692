#include "reverify/redis/redis_store.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <utility>

#include "common/store_codec.hpp"
#include "redis_connection.hpp"
#include "redis_scripts.hpp"
#include "redis_url.hpp"

namespace reverify::redis {

using detail::Command;
using detail::Reply;
using detail::ScriptId;

namespace {

using reverify::detail::digest_from_bytes;
using reverify::detail::parse_i64;
using reverify::detail::to_u32;

// Window and block keys live this long past their last possible use: a little slack for clock
// skew between the hosts and the Redis server, and for simulated clocks in tests.
constexpr std::int64_t ttl_margin_ms = 60'000;
// A block whose end is not ahead of the server's clock (skewed or simulated caller clocks) is
// kept this long: the longest lockout a Policy allows, plus a day.
constexpr std::int64_t block_fallback_ttl_ms = 8LL * 24 * 3600 * 1000;

std::string_view reply_text(const redisReply& reply) noexcept {
  return reply.str == nullptr ? std::string_view{} : std::string_view(reply.str, reply.len);
}

std::string random_suffix() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t value = engine();
  std::string out(16, '0');
  for (auto& c : out) {
    c = hex[value & 0xF];
    value >>= 4;
  }
  return out;
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

}  // namespace

struct RedisStore::Impl {
  Impl(detail::Endpoint endpoint, RedisOptions o)
      : options(o), pool("redis", o.pool_size, o.pool_wait_timeout, [endpoint = std::move(endpoint), o] {
          return detail::Connection::open(endpoint, o);
        }) {}

  RedisOptions options;
  detail::ConnectionPool pool;
  std::array<std::string, detail::script_count> shas;

  [[nodiscard]] std::string key(char kind, std::string_view name) const {
    std::string out;
    out.reserve(options.key_prefix.size() + 2 + name.size());
    out += options.key_prefix;
    out += kind;
    out += ':';
    out += name;
    return out;
  }

  // Runs one command. A transport failure on a connection that had served before (a socket
  // left stale by a server restart) is retried once on a fresh connection.
  [[nodiscard]] Result<Reply> call(const Command& command, std::string_view operation) {
    for (int round = 0;; ++round) {
      auto lease = pool.acquire(operation);
      if (!lease) return fail(lease.error());
      const bool reused = (*lease)->reused();
      auto reply = (*lease)->run(command, operation);
      if (reply || !(*lease)->broken()) return reply;
      pool.drop_idle();
      if (!reused || round > 0) return reply;
    }
  }

  // EVALSHA, falling back to EVAL (which also caches the script) after NOSCRIPT, e.g. once
  // the server restarted or its script cache was flushed. Error replies become errors.
  [[nodiscard]] Result<Reply> eval(ScriptId id, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args, std::string_view operation) {
    auto build = [&](std::string_view verb, std::string_view script) {
      Command command;
      command.add(verb).add(script).add(static_cast<std::int64_t>(keys.size()));
      for (const auto& k : keys) command.add(k);
      for (const auto& a : args) command.add(a);
      return command;
    };
    auto reply = call(build("EVALSHA", shas[static_cast<std::size_t>(id)]), operation);
    if (!reply) return reply;
    if ((*reply)->type == REDIS_REPLY_ERROR && reply_text(**reply).substr(0, 8) == "NOSCRIPT") {
      reply = call(build("EVAL", detail::script_source(id)), operation);
      if (!reply) return reply;
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) return fail(detail::redis_error(operation, reply_text(**reply)));
    return reply;
  }

  [[nodiscard]] Result<Reply> plain(const Command& command, std::string_view operation) {
    auto reply = call(command, operation);
    if (!reply) return reply;
    if ((*reply)->type == REDIS_REPLY_ERROR) return fail(detail::redis_error(operation, reply_text(**reply)));
    return reply;
  }

  [[nodiscard]] Result<void> load_scripts() {
    for (std::size_t i = 0; i < detail::script_count; ++i) {
      Command command;
      command.add("SCRIPT").add("LOAD").add(detail::script_source(static_cast<ScriptId>(i)));
      auto reply = plain(command, "connect (SCRIPT LOAD)");
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
  auto impl = std::make_unique<Impl>(std::move(*endpoint), std::move(options));
  if (auto loaded = impl->load_scripts(); !loaded) return fail(loaded.error());
  return std::shared_ptr<RedisStore>(new RedisStore(std::move(impl)));
}

Result<bool> RedisStore::insert(const VerificationRecord& record, bool retire_previous) {
  constexpr std::string_view op = "insert";
  std::vector<std::string> keys{impl_->key('r', record.id)};
  if (retire_previous && record.is_code()) keys.push_back(impl_->key('s', record.code_slot()));
  const std::int64_t ttl = std::max<std::int64_t>(1, to_unix_ms(record.expires_at) - to_unix_ms(record.created_at));

  std::vector<std::string> args;
  args.reserve(40);
  args.push_back(std::to_string(ttl));
  args.push_back(impl_->key('r', ""));
  args.push_back(record.id);
  auto field = [&args](const char* name, std::string value) {
    args.emplace_back(name);
    args.push_back(std::move(value));
  };
  field("u", record.user_id);
  field("k", std::to_string(static_cast<int>(record.kind)));
  field("t", std::to_string(static_cast<int>(record.template_type)));
  field("i", record.identifier);
  field("ik", record.identifier_key);
  field("p", record.purpose);
  if (record.binding_digest) {
    field("b",
          std::string(reinterpret_cast<const char*>(record.binding_digest->data()), record.binding_digest->size()));
  }
  if (record.code_digest) {
    field("c", std::string(reinterpret_cast<const char*>(record.code_digest->data()), record.code_digest->size()));
  }
  field("pe", std::to_string(record.pepper_id));
  field("a", std::to_string(record.attempts));
  field("n", std::to_string(record.use_count));
  field("ca", std::to_string(to_unix_ms(record.created_at)));
  field("ea", std::to_string(to_unix_ms(record.expires_at)));
  field("ce", std::to_string(to_unix_ms(record.code_expires_at)));
  field("v", record.verified ? "1" : "0");
  field("r", record.retired ? "1" : "0");

  auto reply = impl_->eval(ScriptId::insert, keys, args, op);
  if (!reply) return fail(reply.error());
  if ((*reply)->type != REDIS_REPLY_INTEGER) return fail(detail::redis_error(op, "unexpected reply"));
  return (*reply)->integer == 1;
}

Result<std::optional<VerificationRecord>> RedisStore::find(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "find";
  Command command;
  command.add("HGETALL").add(impl_->key('r', id));
  auto reply = impl_->plain(command, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements % 2 != 0) return fail(detail::redis_error(op, "unexpected reply"));
  if (r.elements == 0) return std::optional<VerificationRecord>{};

  VerificationRecord record;
  record.id = std::string(id);
  bool has_expiry = false;
  bool bad = false;
  auto number = [&bad](std::string_view text) {
    std::int64_t value = 0;
    if (!parse_i64(text, value)) bad = true;
    return value;
  };
  auto digest = [&bad](std::string_view text) {
    auto d = digest_from_bytes(text);
    if (!d) bad = true;
    return d.value_or(Digest{});
  };
  for (std::size_t i = 0; i + 1 < r.elements; i += 2) {
    const std::string_view name = reply_text(*r.element[i]);
    const std::string_view value = reply_text(*r.element[i + 1]);
    if (name == "u")
      record.user_id = std::string(value);
    else if (name == "k")
      record.kind = static_cast<RecordKind>(number(value));
    else if (name == "t")
      record.template_type = static_cast<TemplateType>(number(value));
    else if (name == "i")
      record.identifier = std::string(value);
    else if (name == "ik")
      record.identifier_key = std::string(value);
    else if (name == "p")
      record.purpose = std::string(value);
    else if (name == "b")
      record.binding_digest = digest(value);
    else if (name == "c")
      record.code_digest = digest(value);
    else if (name == "pe")
      record.pepper_id = to_u32(number(value));
    else if (name == "a")
      record.attempts = to_u32(number(value));
    else if (name == "n")
      record.use_count = to_u32(number(value));
    else if (name == "ca")
      record.created_at = from_unix_ms(number(value));
    else if (name == "ea") {
      record.expires_at = from_unix_ms(number(value));
      has_expiry = true;
    } else if (name == "ce")
      record.code_expires_at = from_unix_ms(number(value));
    else if (name == "v")
      record.verified = value == "1";
    else if (name == "r")
      record.retired = value == "1";
  }
  if (bad || !has_expiry) return fail(detail::redis_error(op, "malformed record hash"));
  if (!record.live_at(now)) return std::optional<VerificationRecord>{};
  return std::optional<VerificationRecord>(std::move(record));
}

Result<AttemptResult> RedisStore::spend_attempt(std::string_view id, std::uint32_t max_attempts, Timestamp now) {
  constexpr std::string_view op = "spend_attempt";
  auto reply = impl_->eval(ScriptId::spend_attempt, {impl_->key('r', id)},
                           {std::to_string(to_unix_ms(now)), std::to_string(max_attempts)}, op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements < 2 || r.element[0]->type != REDIS_REPLY_INTEGER ||
      r.element[1]->type != REDIS_REPLY_INTEGER) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  AttemptResult result;
  result.attempts = to_u32(r.element[1]->integer);
  switch (static_cast<detail::SpendStatus>(r.element[0]->integer)) {
    case detail::SpendStatus::not_found:
      result.status = AttemptStatus::not_found;
      return result;
    case detail::SpendStatus::exhausted:
      result.status = AttemptStatus::exhausted;
      return result;
    case detail::SpendStatus::already_verified:
      result.status = AttemptStatus::already_verified;
      return result;
    case detail::SpendStatus::spent:
      break;
    default:
      return fail(detail::redis_error(op, "unexpected status"));
  }
  result.status = AttemptStatus::spent;
  if (r.elements >= 3 && r.element[2]->type == REDIS_REPLY_STRING) {
    result.code_digest = digest_from_bytes(reply_text(*r.element[2]));
    if (!result.code_digest) return fail(detail::redis_error(op, "malformed code digest"));
  }
  // A spent attempt names the pepper of its digest; a silent 0 would key the comparison wrongly.
  std::int64_t pepper = 0;
  if (r.elements < 4 || r.element[3]->type != REDIS_REPLY_STRING || !parse_i64(reply_text(*r.element[3]), pepper)) {
    return fail(detail::redis_error(op, "malformed pepper id"));
  }
  result.pepper_id = to_u32(pepper);
  return result;
}

namespace {
Result<bool> integer_flag(Result<Reply> reply, std::string_view op) {
  if (!reply) return fail(reply.error());
  if ((*reply)->type != REDIS_REPLY_INTEGER) return fail(detail::redis_error(op, "unexpected reply"));
  return (*reply)->integer == 1;
}
}  // namespace

Result<bool> RedisStore::mark_verified(std::string_view id, Timestamp now) {
  constexpr std::string_view op = "mark_verified";
  return integer_flag(
      impl_->eval(ScriptId::mark_verified, {impl_->key('r', id)}, {std::to_string(to_unix_ms(now))}, op), op);
}

Result<bool> RedisStore::use(std::string_view id, std::uint32_t max_uses, Timestamp now) {
  constexpr std::string_view op = "use";
  return integer_flag(impl_->eval(ScriptId::use, {impl_->key('r', id)},
                                  {std::to_string(to_unix_ms(now)), std::to_string(max_uses)}, op),
                      op);
}

Result<void> RedisStore::retire(std::string_view id) {
  constexpr std::string_view op = "retire";
  auto done = integer_flag(impl_->eval(ScriptId::retire, {impl_->key('r', id)}, {}, op), op);
  if (!done) return fail(done.error());
  return {};
}

Result<WindowResult> RedisStore::window_add(std::string_view key, std::chrono::milliseconds window, std::uint32_t limit,
                                            Timestamp now) {
  constexpr std::string_view op = "window_add";
  auto reply = impl_->eval(ScriptId::window_add, {impl_->key('w', key)},
                           {std::to_string(to_unix_ms(now)), std::to_string(window.count()), std::to_string(limit),
                            random_suffix(), std::to_string(ttl_margin_ms)},
                           op);
  if (!reply) return fail(reply.error());
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements < 2 || r.element[0]->type != REDIS_REPLY_INTEGER ||
      r.element[1]->type != REDIS_REPLY_INTEGER) {
    return fail(detail::redis_error(op, "unexpected reply"));
  }
  WindowResult result;
  result.counted = r.element[0]->integer == 1;
  result.count = to_u32(r.element[1]->integer);
  if (r.elements >= 3 && r.element[2]->type == REDIS_REPLY_STRING) {
    std::int64_t oldest = 0;
    if (!parse_i64(reply_text(*r.element[2]), oldest)) return fail(detail::redis_error(op, "malformed event time"));
    result.oldest = from_unix_ms(oldest);
  }
  return result;
}

Result<void> RedisStore::window_remove(std::string_view key, Timestamp at) {
  constexpr std::string_view op = "window_remove";
  auto done = integer_flag(
      impl_->eval(ScriptId::window_remove, {impl_->key('w', key)}, {std::to_string(to_unix_ms(at))}, op), op);
  if (!done) return fail(done.error());
  return {};
}

Result<void> RedisStore::block(std::string_view key, Timestamp until) {
  constexpr std::string_view op = "block";
  auto reply = impl_->eval(
      ScriptId::block, {impl_->key('b', key)},
      {std::to_string(to_unix_ms(until)), std::to_string(block_fallback_ttl_ms), std::to_string(ttl_margin_ms)}, op);
  if (!reply) return fail(reply.error());
  return {};
}

Result<std::optional<Timestamp>> RedisStore::blocked_until(std::string_view key, Timestamp now) {
  constexpr std::string_view op = "blocked_until";
  Command command;
  command.add("GET").add(impl_->key('b', key));
  auto reply = impl_->plain(command, op);
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
  command.add("DEL").add(impl_->key('b', key)).add(impl_->key('w', key));
  auto reply = impl_->plain(command, op);
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
    auto reply = impl_->plain(scan, op);
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
    auto removed = impl_->plain(unlink, op);
    if (!removed) return fail(removed.error());
    if ((*removed)->type == REDIS_REPLY_INTEGER) deleted += static_cast<std::size_t>((*removed)->integer);
  } while (cursor != "0");
  return deleted;
}

}  // namespace reverify::redis
