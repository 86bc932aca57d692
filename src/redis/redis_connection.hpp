#pragma once
// One hiredis connection, and a pool of them that replaces broken ones.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/connection_pool.hpp"
#include "redis_url.hpp"
#include "reverify/redis/redis_store.hpp"
#include "reverify/result.hpp"

namespace reverify::redis::detail {

struct ReplyDeleter {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// The arguments of one command, binary-safe.
class Command {
 public:
  /// Room for every script call's arguments without growing (check_code sends 19 with two peppers).
  Command() { args_.reserve(24); }
  Command& add(std::string_view arg) {
    args_.emplace_back(arg);
    return *this;
  }
  Command& add(std::int64_t number) {
    args_.emplace_back(std::to_string(number));
    return *this;
  }
  Command& add_owned(std::string&& arg) {
    args_.push_back(std::move(arg));
    return *this;
  }
  /// Replaces argument `index` (e.g. EVALSHA → EVAL and the script).
  void set(std::size_t index, std::string_view arg) { args_.at(index) = std::string(arg); }
  [[nodiscard]] const std::vector<std::string>& args() const noexcept { return args_; }

 private:
  std::vector<std::string> args_;
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
