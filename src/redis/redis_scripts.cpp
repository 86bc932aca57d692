#include "redis_scripts.hpp"

#include <array>

namespace reverify::redis::detail {
namespace {

// Record hashes: u user id, k kind, t template, i identifier, ik identifier key, p purpose,
// b binding digest, c code digest (both absent when unset), pe pepper id, a attempts, n use count,
// ca created, ea expires, ce code expires (ms since the epoch), v verified, r retired ("0"/"1").
// "now" always comes from the caller's Clock: the scripts never read the server's clock.
// Window keys are sorted sets (score = event time, member unique); block keys hold the end (ms).

// Adds one event at `at`. The client's random member almost never exists already; when it does
// (same key, same member) ZADD adds nothing, so lengthen it until it is new: every event counts.
constexpr const char* add_event_lua = R"lua(
local function add_event(key, at, member)
  while redis.call('ZADD', key, at, member) == 0 do member = member .. '+' end
end
)lua";

// Counts one failure of a lock key. ARGV[1] now, ARGV[2] window ms, ARGV[3] failures that block,
// ARGV[4] block duration ms, ARGV[5] event member, ARGV[6] TTL margin ms.
// Returns the failures in the window and the block's end, or false when this one blocks nothing.
constexpr const char* count_failure_lua = R"lua(
local function count_failure(window_key, block_key)
  local now = tonumber(ARGV[1])
  local window = tonumber(ARGV[2])
  local margin = tonumber(ARGV[6])
  redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - window)
  add_event(window_key, ARGV[1], ARGV[5])
  redis.call('PEXPIRE', window_key, window + margin)
  local failures = redis.call('ZCARD', window_key)
  if failures < tonumber(ARGV[3]) then return failures, false end
  local duration = tonumber(ARGV[4])
  local block_end = now + duration
  local current = tonumber(redis.call('GET', block_key))
  if current and current >= block_end then return failures, current end
  redis.call('SET', block_key, block_end, 'PX', duration + margin)
  return failures, block_end
end
)lua";

// KEYS[1] record. ARGV[1] TTL ms, ARGV[2..] field/value pairs. Returns 1 if inserted, 0 if the id exists.
constexpr const char* insert_lua = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua";

// KEYS[1] record, KEYS[2] send window, KEYS[3] code slot (absent: retire nothing).
// ARGV[1] now, ARGV[2] window ms, ARGV[3] limit, ARGV[4] event member, ARGV[5] window TTL ms,
// ARGV[6] record TTL ms, ARGV[7] record key prefix, ARGV[8] record id, ARGV[9..] field/value pairs.
// Returns {status, sends, oldest send or false}.
constexpr const char* open_code_lua = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return {2, 0, false} end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
local sends = redis.call('ZCARD', KEYS[2])
if sends >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {1, sends, tonumber(first[2]) or false}
end
local oldest = now
if sends > 0 then oldest = tonumber(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]) end
add_event(KEYS[2], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if KEYS[3] then
  local previous = redis.call('GET', KEYS[3])
  if previous then
    local previous_key = ARGV[7] .. previous
    if redis.call('HGET', previous_key, 'v') == '0' then redis.call('HSET', previous_key, 'r', '1') end
  end
  redis.call('SET', KEYS[3], ARGV[8], 'PX', ARGV[6])
end
return {0, sends + 1, oldest}
)lua";

// KEYS[1] record, KEYS[2] send window. ARGV[1] event time. Deletes the record and one event
// stamped exactly then.
constexpr const char* cancel_code_lua = R"lua(
redis.call('DEL', KEYS[1])
local m = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if m[1] then redis.call('ZREM', KEYS[2], m[1]) end
return 1
)lua";

// KEYS[1] record, KEYS[2] lock window, KEYS[3] lock block. ARGV[1..6] as count_failure,
// ARGV[7] user id, ARGV[8] kind, ARGV[9] identifier key, ARGV[10] max attempts, ARGV[11] nonce,
// ARGV[12..] pepper id / offered digest pairs.
// Returns {status, attempts, failures, block end or false}.
//
// Lua's string equality is not constant-time (strings are interned by content: hash, then memcmp
// against equal-length strings), so timing could tell how far an offered digest matches the stored
// one. Both sides are blinded with a fresh client-chosen 32-byte nonce and only
// SHA-1(nonce .. digest) values are compared: how far those match says nothing about the digests.
constexpr const char* check_code_lua = R"lua(
local f = redis.call('HMGET', KEYS[1], 'ea', 'r', 'u', 'k', 'v', 'ik', 'ce', 'a', 'pe', 'c')
local now = tonumber(ARGV[1])
if not f[1] or tonumber(f[1]) <= now or f[2] == '1' or f[3] ~= ARGV[7] or f[4] ~= ARGV[8] then
  return {0, 0, 0, false}
end
local attempts = tonumber(f[8])
if f[5] == '1' then return {1, attempts, 0, false} end
if f[6] ~= ARGV[9] then return {2, attempts, 0, false} end
if now > tonumber(f[7]) then return {3, attempts, 0, false} end
local blocked = tonumber(redis.call('GET', KEYS[3]))
if blocked and blocked > now then return {4, attempts, 0, blocked} end
if attempts >= tonumber(ARGV[10]) then
  local failures, block_end = count_failure(KEYS[2], KEYS[3])
  return {5, attempts, failures, block_end}
end
local offered
for i = 12, #ARGV - 1, 2 do
  if ARGV[i] == f[9] then
    offered = ARGV[i + 1]
    break
  end
end
if not offered then return {6, attempts, 0, false} end
attempts = attempts + 1
if f[10] and redis.sha1hex(ARGV[11] .. f[10]) == redis.sha1hex(ARGV[11] .. offered) then
  redis.call('HSET', KEYS[1], 'a', attempts, 'v', '1')
  return {8, attempts, 0, false}
end
redis.call('HSET', KEYS[1], 'a', attempts)
local failures, block_end = count_failure(KEYS[2], KEYS[3])
return {7, attempts, failures, block_end}
)lua";

// KEYS[1] record. ARGV[1] now, ARGV[2] max uses (0 = no limit). Returns 1 if a use was counted.
constexpr const char* use_lua = R"lua(
local f = redis.call('HMGET', KEYS[1], 'ea', 'r', 'v', 'n')
if not f[1] or tonumber(f[1]) <= tonumber(ARGV[1]) or f[2] == '1' or f[3] ~= '1' then return 0 end
local uses = tonumber(f[4])
local max_uses = tonumber(ARGV[2])
if (max_uses ~= 0 and uses >= max_uses) or uses >= 4294967295 then return 0 end
redis.call('HINCRBY', KEYS[1], 'n', 1)
return 1
)lua";

// KEYS[1] lock window, KEYS[2] lock block. ARGV as count_failure. Returns {failures, block end or false}.
constexpr const char* count_failure_main_lua = R"lua(
local failures, block_end = count_failure(KEYS[1], KEYS[2])
return {failures, block_end}
)lua";

std::array<std::string, script_count> build_sources() {
  const std::string failure = std::string(add_event_lua) + count_failure_lua;
  return {
      insert_lua, std::string(add_event_lua) + open_code_lua, cancel_code_lua, failure + check_code_lua,
      use_lua,    failure + count_failure_main_lua,
  };
}

}  // namespace

const std::string& script_source(ScriptId id) {
  static const std::array<std::string, script_count> sources = build_sources();
  return sources[static_cast<std::size_t>(id)];
}

}  // namespace reverify::redis::detail
