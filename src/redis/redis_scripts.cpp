#include "redis_scripts.hpp"

#include <array>

namespace reverify::redis::detail {
namespace {

// A record is ONE string value (see record_format in redis_scripts.hpp), written with one SET … PX
// and changed in place with SETRANGE, which keeps the TTL. Its fixed head, 0-based offsets:
//   0 format byte "\1", 1 retired "0"/"1", 2 verified "0"/"1", 3 attempts, 7 use count,
//   11 pepper id (4 bytes each, big-endian), 15 expires, 23 code expires, 31 created
//   (8-byte big-endian signed ms since the epoch), 39 kind, 40 template (1 byte each);
// then, each as a 4-byte big-endian length and the bytes: user id, identifier key, code digest,
// identifier, purpose, binding digest (an absent digest is empty).
// "now" always comes from the caller's Clock: the scripts never read the server's clock.
// Window keys are sorted sets (score = event time, member unique); block keys hold the end (ms).
// No script defines a function: a `local function` is a new closure on every call.

// Reads the record's head and the strings check_code compares; a value of another shape is a
// script error (store_unavailable), never an answer.
constexpr const char* unpack_check_lua = R"lua(
local fm, r, v, a, n, pe, ea, ce, ca, k, t, u, ik, c =
  struct.unpack('>c1c1c1I4I4c4i8i8i8c1c1I4c0I4c0I4c0', s)
if fm ~= '\1' or (r ~= '0' and r ~= '1') or (v ~= '0' and v ~= '1') then
  return redis.error_reply('malformed record')
end
)lua";

// Counts one failure of a lock key (window WK, block BK, both set by the including script).
// ARGV[1] now, ARGV[2] window ms, ARGV[3] failures that block, ARGV[4] block duration ms,
// ARGV[5] event member, ARGV[6] TTL margin ms; `now` is tonumber(ARGV[1]). Leaves `failures`
// and `block_end` (false when this one blocks nothing); an empty window is not trimmed, and the
// count is the trimmed count plus the one added (ZCARD once, not after the add). The client's
// random member almost never exists already; when it does ZADD NX adds nothing (and leaves that
// event's time alone), so lengthen it until it is new: every event counts.
constexpr const char* count_failure_lua = R"lua(
local failures = redis.call('ZCARD', WK)
if failures > 0 then failures = failures - redis.call('ZREMRANGEBYSCORE', WK, '-inf', now - tonumber(ARGV[2])) end
local member = ARGV[5]
while redis.call('ZADD', WK, 'NX', ARGV[1], member) == 0 do member = member .. '+' end
redis.call('PEXPIRE', WK, tonumber(ARGV[2]) + tonumber(ARGV[6]))
failures = failures + 1
local block_end = false
if failures >= tonumber(ARGV[3]) then
  local duration = tonumber(ARGV[4])
  block_end = now + duration
  local current = tonumber(redis.call('GET', BK))
  if current and current >= block_end then
    block_end = current
  else
    redis.call('SET', BK, block_end, 'PX', duration + tonumber(ARGV[6]))
  end
end
)lua";

// KEYS[1] record. ARGV[1] TTL ms, ARGV[2] the record value. Returns 1 if inserted, 0 if the id exists.
constexpr const char* insert_lua = R"lua(
if redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1], 'NX') then return 1 end
return 0
)lua";

// KEYS[1] record, KEYS[2] send window, KEYS[3] code slot (absent: retire nothing).
// ARGV[1] now, ARGV[2] window ms, ARGV[3] limit, ARGV[4] window TTL ms, ARGV[5] record TTL ms,
// ARGV[6] record key prefix, ARGV[7] record id (random and unique: also the send event's
// member), ARGV[8] the record value. Returns {status, sends, oldest send or false}.
// Every read that can fail (a key of another type answers WRONGTYPE) comes before the first write:
// a script's error does not undo its earlier writes. The record is then written with SET NX (its
// answer is the id_taken test) and deleted again when the send is refused: inside the script
// nobody sees it. An empty window is not trimmed.
constexpr const char* open_code_lua = R"lua(
local previous_key = false
if KEYS[3] then
  local previous = redis.call('GET', KEYS[3])
  if previous and redis.call('GETRANGE', ARGV[6] .. previous, 2, 2) == '0' then previous_key = ARGV[6] .. previous end
end
local sends = redis.call('ZCARD', KEYS[2])
if not redis.call('SET', KEYS[1], ARGV[8], 'PX', ARGV[5], 'NX') then return {2, 0, false} end
local now = tonumber(ARGV[1])
local oldest = false
if sends > 0 then
  sends = sends - redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
  if sends > 0 then oldest = tonumber(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]) end
end
if sends >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return {1, sends, oldest}
end
local member = ARGV[7]
while redis.call('ZADD', KEYS[2], 'NX', ARGV[1], member) == 0 do member = member .. '+' end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if KEYS[3] then
  if previous_key then redis.call('SETRANGE', previous_key, 1, '1') end
  redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[5])
end
return {0, sends + 1, oldest or now}
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
// ARGV[7] user id, ARGV[8] kind (1 byte), ARGV[9] identifier key, ARGV[10] max attempts,
// ARGV[11] nonce, ARGV[12..] pepper id (4 bytes, big-endian) / offered digest pairs.
// Returns {status, attempts, failures, block end or false}.
//
// Lua's string equality is not constant-time (strings are interned by content: hash, then memcmp
// against equal-length strings), so timing could tell how far an offered digest matches the stored
// one. Both sides are blinded with a fresh client-chosen 16-byte nonce and only
// SHA-1(nonce .. digest) values are compared: how far those match says nothing about the digests.
// (nonce .. digest is 48 bytes, one SHA-1 block with its padding.)
constexpr const char* check_code_head_lua = R"lua(
local s = redis.call('GET', KEYS[1])
if not s then return {0, 0, 0, false} end
)lua";
constexpr const char* check_code_body_lua = R"lua(
local now = tonumber(ARGV[1])
if ea <= now or r == '1' or u ~= ARGV[7] or k ~= ARGV[8] then return {0, 0, 0, false} end
if v == '1' then return {1, a, 0, false} end
if ik ~= ARGV[9] then return {2, a, 0, false} end
if now > ce then return {3, a, 0, false} end
local blocked = tonumber(redis.call('GET', KEYS[3]))
if blocked and blocked > now then return {4, a, 0, blocked} end
local status = 5
if a < tonumber(ARGV[10]) then
  local offered
  for i = 12, #ARGV - 1, 2 do
    if ARGV[i] == pe then
      offered = ARGV[i + 1]
      break
    end
  end
  if not offered then return {6, a, 0, false} end
  a = a + 1
  if c ~= '' and redis.sha1hex(ARGV[11] .. c) == redis.sha1hex(ARGV[11] .. offered) then
    redis.call('SETRANGE', KEYS[1], 2, '1' .. struct.pack('>I4', a))
    return {8, a, 0, false}
  end
  redis.call('SETRANGE', KEYS[1], 3, struct.pack('>I4', a))
  status = 7
end
local WK, BK = KEYS[2], KEYS[3]
)lua";
constexpr const char* check_code_tail_lua = R"lua(
return {status, a, failures, block_end}
)lua";

// KEYS[1] record. ARGV[1] now, ARGV[2] max uses (0 = no limit). Returns 1 if a use was counted.
constexpr const char* use_lua = R"lua(
local s = redis.call('GET', KEYS[1])
if not s then return 0 end
local fm, r, v, a, n, pe, ea = struct.unpack('>c1c1c1I4I4c4i8', s)
if fm ~= '\1' or (r ~= '0' and r ~= '1') or (v ~= '0' and v ~= '1') then
  return redis.error_reply('malformed record')
end
if ea <= tonumber(ARGV[1]) or r == '1' or v ~= '1' then return 0 end
local max_uses = tonumber(ARGV[2])
if (max_uses ~= 0 and n >= max_uses) or n >= 4294967295 then return 0 end
redis.call('SETRANGE', KEYS[1], 7, struct.pack('>I4', n + 1))
return 1
)lua";

// KEYS[1] lock window, KEYS[2] lock block. ARGV as count_failure. Returns {failures, block end or false}.
constexpr const char* count_failure_head_lua = R"lua(
local now = tonumber(ARGV[1])
local WK, BK = KEYS[1], KEYS[2]
)lua";
constexpr const char* count_failure_tail_lua = R"lua(
return {failures, block_end}
)lua";

std::array<std::string, script_count> build_sources() {
  return {
      insert_lua,
      open_code_lua,
      cancel_code_lua,
      std::string(check_code_head_lua) + unpack_check_lua + check_code_body_lua + count_failure_lua +
          check_code_tail_lua,
      use_lua,
      std::string(count_failure_head_lua) + count_failure_lua + count_failure_tail_lua,
  };
}

}  // namespace

const std::string& script_source(ScriptId id) {
  static const std::array<std::string, script_count> sources = build_sources();
  return sources[static_cast<std::size_t>(id)];
}

}  // namespace reverify::redis::detail
