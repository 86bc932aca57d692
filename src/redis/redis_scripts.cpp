#include "redis_scripts.hpp"

namespace reverify::redis::detail {
namespace {

// Record hashes: u user id, k kind, t template, i identifier, ik identifier key, p purpose,
// b binding digest, c code digest (both absent when unset), pe pepper id, a attempts, n use count,
// ca created, ea expires, ce code expires (ms since the epoch), v verified, r retired ("0"/"1").
// "now" always comes from the caller's Clock: the scripts never read the server's clock for
// visibility, only (block) to size a TTL.

// KEYS[1] record, KEYS[2] code slot (optional). ARGV[1] TTL ms, ARGV[2] record key prefix,
// ARGV[3] record id, ARGV[4..] field/value pairs. Returns 1 if inserted, 0 if the id exists.
constexpr const char* insert_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
local ttl = tonumber(ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if KEYS[2] then
  local previous = redis.call('GET', KEYS[2])
  if previous then
    local previous_key = ARGV[2] .. previous
    if redis.call('HGET', previous_key, 'v') == '0' then redis.call('HSET', previous_key, 'r', '1') end
  end
  local slot_ttl = redis.call('PTTL', KEYS[2])
  if slot_ttl > ttl then ttl = slot_ttl end
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
end
return 1
)lua";

// KEYS[1] record. ARGV[1] now, ARGV[2] max attempts.
// Returns {status, attempts[, code digest or nil, pepper id]}. `or false` keeps the slot: Lua
// would end the reply at a nil, dropping the pepper id after it.
constexpr const char* spend_attempt_script = R"lua(
local f = redis.call('HMGET', KEYS[1], 'ea', 'r', 'v', 'a', 'c', 'pe')
if not f[1] or tonumber(f[1]) <= tonumber(ARGV[1]) or f[2] == '1' then return {0, 0} end
local attempts = tonumber(f[4])
if f[3] == '1' then return {2, attempts} end
if attempts >= tonumber(ARGV[2]) then return {1, attempts} end
redis.call('HINCRBY', KEYS[1], 'a', 1)
return {3, attempts + 1, f[5] or false, f[6]}
)lua";

// KEYS[1] record. ARGV[1] now. Returns 1 for the one caller that marks it verified.
constexpr const char* mark_verified_script = R"lua(
local f = redis.call('HMGET', KEYS[1], 'ea', 'r', 'v')
if not f[1] or tonumber(f[1]) <= tonumber(ARGV[1]) or f[2] == '1' or f[3] == '1' then return 0 end
redis.call('HSET', KEYS[1], 'v', '1')
return 1
)lua";

// KEYS[1] record. ARGV[1] now, ARGV[2] max uses (0 = no limit). Returns 1 if a use was counted.
constexpr const char* use_script = R"lua(
local f = redis.call('HMGET', KEYS[1], 'ea', 'r', 'v', 'n')
if not f[1] or tonumber(f[1]) <= tonumber(ARGV[1]) or f[2] == '1' or f[3] ~= '1' then return 0 end
local max_uses = tonumber(ARGV[2])
if max_uses ~= 0 and tonumber(f[4]) >= max_uses then return 0 end
redis.call('HINCRBY', KEYS[1], 'n', 1)
return 1
)lua";

// KEYS[1] record. Marks it retired if it exists (never creates a key without a TTL).
constexpr const char* retire_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'r', '1') end
return 1
)lua";

// KEYS[1] window (sorted set, score = event time). ARGV[1] now, ARGV[2] window ms, ARGV[3] limit,
// ARGV[4] a random member suffix (events at the same millisecond stay distinct), ARGV[5] TTL
// margin ms. Returns {counted, count, oldest or nil}.
constexpr const char* window_add_script = R"lua(
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
local count = redis.call('ZCARD', KEYS[1])
local counted = 0
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1] .. ':' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[5]))
  count = count + 1
  counted = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {counted, count, oldest[2]}
)lua";

// KEYS[1] window. ARGV[1] event time. Removes one event stamped exactly then.
constexpr const char* window_remove_script = R"lua(
local m = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if m[1] then redis.call('ZREM', KEYS[1], m[1]) end
return 1
)lua";

// KEYS[1] block. ARGV[1] until, ARGV[2] TTL when `until` is not ahead of the server's clock
// (a skewed or simulated caller clock), ARGV[3] TTL margin ms. Keeps the later block.
constexpr const char* block_script = R"lua(
if redis.replicate_commands then pcall(redis.replicate_commands) end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_ms = tonumber(ARGV[1])
if current ~= nil and current >= until_ms then return 0 end
local t = redis.call('TIME')
local ttl = until_ms - (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local fallback = tonumber(ARGV[2])
if ttl < 1000 or ttl > fallback then ttl = fallback end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl + tonumber(ARGV[3]))
return 1
)lua";

constexpr std::array<const char*, script_count> sources = {
    insert_script, spend_attempt_script, mark_verified_script, use_script,
    retire_script, window_add_script,    window_remove_script, block_script,
};

}  // namespace

const char* script_source(ScriptId id) noexcept { return sources[static_cast<std::size_t>(id)]; }

}  // namespace reverify::redis::detail
