#include "redis_connection.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

#include <array>
#include <utility>
#include <vector>

namespace reverify::redis::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds duration) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((duration.count() % 1000) * 1000);
  return tv;
}

}  // namespace

Error redis_error(std::string_view operation, std::string_view cause) {
  std::string message = "redis ";
  message += operation;
  message += ": ";
  message += cause;
  return Error(Errc::store_unavailable, std::move(message));
}

Result<std::unique_ptr<Connection>> Connection::open(const Endpoint& endpoint, const RedisOptions& options) {
  redisContext* raw =
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(options.connect_timeout));
  if (raw == nullptr) return fail(redis_error("connect", "cannot allocate a connection"));
  std::unique_ptr<Connection> connection(new Connection(raw));
  if (raw->err != 0) return fail(redis_error("connect", raw->errstr));
  if (redisSetTimeout(raw, to_timeval(options.command_timeout)) != REDIS_OK) {
    return fail(redis_error("connect", "cannot set the command timeout"));
  }
  redisEnableKeepAlive(raw);

  // AUTH and SELECT run under the connect timeout's spirit: they are the connection's setup.
  auto setup = [&](const Command& command, std::string_view what) -> Result<void> {
    auto reply = connection->run(command, what);
    if (!reply) return fail(reply.error());
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      // The server's own words ("WRONGPASS …", "ERR DB index is out of range"): no secrets.
      return fail(redis_error(what, std::string_view((*reply)->str, (*reply)->len)));
    }
    return {};
  };
  if (!endpoint.password.empty()) {
    Command auth;
    auth.add("AUTH");
    if (!endpoint.user.empty()) auth.add(endpoint.user);
    auth.add(endpoint.password);
    if (auto done = setup(auth, "connect (AUTH)"); !done) return fail(done.error());
  }
  if (endpoint.database != 0) {
    Command select;
    select.add("SELECT").add(std::int64_t{endpoint.database});
    if (auto done = setup(select, "connect (SELECT)"); !done) return fail(done.error());
  }
  connection->used_ = false;
  return connection;
}

bool Connection::still_open() noexcept {
  char byte = 0;
  const auto peeked = ::recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  broken_ = true;
  return false;
}

Result<Reply> Connection::run(const Command& command, std::string_view operation) {
  if (broken_) return fail(redis_error(operation, "connection is broken"));
  const auto& args = command.args();
  // Up to `inline_args` arguments (every command of this store but a long UNLINK) need no
  // allocation for hiredis's argument arrays.
  constexpr std::size_t inline_args = 32;
  std::array<const char*, inline_args> inline_argv{};
  std::array<std::size_t, inline_args> inline_lengths{};
  std::vector<const char*> heap_argv;
  std::vector<std::size_t> heap_lengths;
  const char** argv = inline_argv.data();
  std::size_t* lengths = inline_lengths.data();
  if (args.size() > inline_args) {
    heap_argv.resize(args.size());
    heap_lengths.resize(args.size());
    argv = heap_argv.data();
    lengths = heap_lengths.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lengths[i] = args[i].size();
  }
  used_ = true;
  auto* reply =
      static_cast<redisReply*>(redisCommandArgv(context_.get(), static_cast<int>(args.size()), argv, lengths));
  if (reply == nullptr) {
    broken_ = true;
    const char* cause = context_->err != 0 ? context_->errstr : "no reply";
    if (context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      cause = "command timed out";
      timed_out_ = true;
    }
    return fail(redis_error(operation, cause));
  }
  answered_ = std::chrono::steady_clock::now();
  return Reply(reply);
}

}  // namespace reverify::redis::detail
