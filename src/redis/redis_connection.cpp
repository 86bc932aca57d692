#include "redis_connection.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace reverify::redis::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds duration) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((duration.count() % 1000) * 1000);
  return tv;
}

}  // namespace

Command& Command::add(std::int64_t number) {
  std::array<char, 24> digits{};
  auto* const end = std::to_chars(digits.data(), digits.data() + digits.size(), number).ptr;
  return add(std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
}

Command& Command::add_joined(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  char* out = open_argument(size);
  for (std::string_view part : parts) {
    if (!part.empty()) std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return *this;
}

char* Command::open_argument(std::size_t size) {
  std::array<char, 24> head{};
  head[0] = '$';
  char* end = std::to_chars(head.data() + 1, head.data() + head.size() - 2, size).ptr;
  *end++ = '\r';
  *end++ = '\n';
  const auto head_size = static_cast<std::size_t>(end - head.data());
  reserve_more(head_size + size + 2);
  char* out = data_.get() + size_;
  std::memcpy(out, head.data(), head_size);
  out += head_size;
  out[size] = '\r';
  out[size + 1] = '\n';
  size_ += head_size + size + 2;
  ++count_;
  return out;
}

void Command::reserve_more(std::size_t more) {
  if (capacity_ - size_ >= more) return;
  const std::size_t capacity = std::max(capacity_ * 2, size_ + more);
  std::unique_ptr<char[]> data(new char[capacity]);
  std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

void Command::set(std::size_t index, std::string_view arg) {
  if (index >= count_) throw std::out_of_range("redis: no such command argument");
  // Walk the bulk strings ("$<size>\r\n<bytes>\r\n") to argument `index`, then rebuild the
  // arguments from there on (a rare path: EVALSHA → EVAL after NOSCRIPT).
  const std::string_view all(data_.get(), size_);
  std::size_t begin = header_room;
  for (std::size_t i = 0; i < index; ++i) {
    const std::size_t line_end = all.find('\r', begin + 1);
    std::size_t size = 0;
    std::from_chars(all.data() + begin + 1, all.data() + line_end, size);
    begin = line_end + 2 + size + 2;
  }
  const std::size_t line_end = all.find('\r', begin + 1);
  std::size_t size = 0;
  std::from_chars(all.data() + begin + 1, all.data() + line_end, size);
  const std::string rest(all.substr(line_end + 2 + size + 2));
  const std::size_t count = count_;
  size_ = begin;
  add(arg);
  reserve_more(rest.size());
  std::memcpy(data_.get() + size_, rest.data(), rest.size());
  size_ += rest.size();
  count_ = count;
}

std::string_view Command::resp() const {
  std::array<char, header_room> header{};
  header[0] = '*';
  char* end = std::to_chars(header.data() + 1, header.data() + header.size() - 2, count_).ptr;
  *end++ = '\r';
  *end++ = '\n';
  const auto length = static_cast<std::size_t>(end - header.data());
  char* start = data_.get() + header_room - length;
  std::memcpy(start, header.data(), length);
  return {start, size_ - (header_room - length)};
}

Error redis_error(std::string_view operation, std::string_view cause) {
  std::string message = "redis ";
  message += operation;
  message += ": ";
  message += cause;
  return {Errc::store_unavailable, std::move(message)};
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
  used_ = true;
  // The command goes straight to the socket (no copy into hiredis's output buffer, which stays
  // empty, so redisGetReply only reads). The socket's send timeout is the command timeout. This
  // holds for plain TCP only, the one transport this store opens: TLS (hiredis_ssl) would have
  // to write through hiredis.
  std::string_view pending = command.resp();
  while (!pending.empty()) {
    const auto sent = ::send(context_->fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      pending.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else {
      broken_ = true;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        timed_out_ = true;
        return fail(redis_error(operation, "command timed out"));
      }
      return fail(redis_error(operation, "connection lost while sending"));
    }
  }
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK) raw = nullptr;
  auto* reply = static_cast<redisReply*>(raw);
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
