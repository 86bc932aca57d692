#pragma once
// One hiredis connection, and a pool of them that replaces broken ones.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "common/connection_pool.hpp"
#include "redis_url.hpp"
#include "reverify/redis/redis_store.hpp"
#include "reverify/result.hpp"

namespace reverify::redis::detail {

struct ReplyDeleter {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// One command, built in place in the Redis protocol (RESP): each argument is appended as a
/// binary-safe bulk string to one buffer, which hiredis sends as is. Building a command allocates
/// that buffer once; no argument is copied into a string of its own, and hiredis does not format.
class Command {
 public:
  Command() : data_(new char[initial_capacity]) {}
  Command& add(std::string_view arg) { return add_joined({arg}); }
  Command& add(std::int64_t number);
  /// One argument: the concatenation of `parts` (e.g. a key: prefix, kind, name).
  Command& add_joined(std::initializer_list<std::string_view> parts);
  /// One argument of exactly `size` bytes, written by `fill(char* out)`, which returns the end
  /// of what it wrote (checked: anything but `out + size` is a logic error).
  template <class Fill>
  Command& add_built(std::size_t size, Fill&& fill) {
    char* out = open_argument(size);
    if (std::forward<Fill>(fill)(out) != out + size)
      throw std::logic_error("redis: command argument of the wrong size");
    return *this;
  }
  /// Replaces argument `index` (e.g. EVALSHA → EVAL and the script).
  void set(std::size_t index, std::string_view arg);
  /// The whole command in RESP, valid until the command changes.
  [[nodiscard]] std::string_view resp() const;

 private:
  // Room before the arguments for "*<count>\r\n", written right-aligned by resp().
  static constexpr std::size_t header_room = 24;
  static constexpr std::size_t initial_capacity = 1024;
  // Appends "$<size>\r\n", room for `size` bytes, and "\r\n"; returns where the bytes go.
  char* open_argument(std::size_t size);
  // Makes `size_ + more` bytes fit, keeping the contents.
  void reserve_more(std::size_t more);
  std::unique_ptr<char[]> data_;  // [header_room][arguments…], `size_` bytes used
  std::size_t size_ = header_room;
  std::size_t capacity_ = initial_capacity;
  std::size_t count_ = 0;
};

/// `store_unavailable` "redis <operation>: <cause>".
[[nodiscard]] Error redis_error(std::string_view operation, std::string_view cause);

/// One open connection. Not thread-safe: the pool lends it to one thread at a time. Once a
/// transport error happened it is `broken` and must be discarded (hiredis cannot reuse it).
class Connection {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Connection>> open(const Endpoint& endpoint, const RedisOptions& options);

  /// Sends the command and reads its reply. An error reply is returned as a reply (the caller
  /// decides); a transport failure (refused, reset, timeout) is an error and breaks the connection.
  [[nodiscard]] Result<Reply> run(const Command& command, std::string_view operation);

  /// False, breaking the connection, when the server closed or reset it (or sent bytes nobody
  /// asked for) while it sat idle. Writes nothing, so a failed probe is safe to answer by
  /// reconnecting and sending the command there.
  [[nodiscard]] bool still_open() noexcept;

  /// True when the server answered on this connection less than `recent_answer` ago. The
  /// caller then skips the `still_open` probe: a server that closed it since (a restart within
  /// that time; Redis's own idle `timeout` is at least 1 s) makes the next command fail on the
  /// dead socket, which never reached a server, so it is store_unavailable and counted nowhere.
  [[nodiscard]] bool recently_answered() const noexcept {
    return std::chrono::steady_clock::now() - answered_ < recent_answer;
  }
  static constexpr std::chrono::milliseconds recent_answer{500};

  [[nodiscard]] bool broken() const noexcept { return broken_; }
  /// True once the connection has served a command (a failure on it may be a stale socket).
  [[nodiscard]] bool reused() const noexcept { return used_; }
  /// True when the last `run` failed by timing out: the server may have run the command.
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const noexcept { redisFree(context); }
  };
  explicit Connection(redisContext* context) noexcept : context_(context) {}
  std::unique_ptr<redisContext, ContextDeleter> context_;
  bool broken_ = false;
  bool used_ = false;
  bool timed_out_ = false;
  std::chrono::steady_clock::time_point answered_{};
};

/// Up to `pool_size` connections, opened on demand; broken ones are dropped when returned.
using ConnectionPool = reverify::detail::ConnectionPool<Connection>;

}  // namespace reverify::redis::detail
