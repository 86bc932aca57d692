#pragma once
// The connection pool shared by the SQLite, Redis and PostgreSQL stores (header-only, never
// installed).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reverify/result.hpp"

namespace reverify::detail {

/// Up to `size` connections of type `Connection`, opened on demand through `connect`. A
/// connection whose `broken()` is true when its lease ends is closed instead of kept idle.
/// Thread safety: every member may be called from any thread; a lent connection belongs to the
/// lease's thread alone. Ownership: the pool owns idle connections and must outlive its leases.
template <class Connection>
class ConnectionPool {
 public:
  /// Opens one connection; its error becomes the cause of the failed `acquire`.
  using Connect = std::function<Result<std::unique_ptr<Connection>>()>;

  /// `backend` ("redis", "postgres", …) starts the wait-timeout message. Without a
  /// `wait_timeout`, `acquire` waits until a connection is free.
  ConnectionPool(std::string backend, std::size_t size, std::optional<std::chrono::milliseconds> wait_timeout,
                 Connect connect)
      : backend_(std::move(backend)), size_(size), wait_timeout_(wait_timeout), connect_(std::move(connect)) {}

  /// A borrowed connection, given back (or dropped if broken) when the lease dies.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_) pool_->release(std::move(connection_));
    }
    Connection* operator->() const noexcept { return connection_.get(); }
    Connection& operator*() const noexcept { return *connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  /// An idle connection, or a new one while fewer than `size` are open. Errors:
  /// `store_unavailable` when none frees up within `wait_timeout` ("<backend> <operation>: …")
  /// or when connecting fails (the connect error's message, then "(during <operation>)").
  [[nodiscard]] Result<Lease> acquire(std::string_view operation) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto ready = [&] { return !idle_.empty() || open_ < size_; };
    if (!wait_timeout_) {
      available_.wait(lock, ready);
    } else if (!available_.wait_for(lock, *wait_timeout_, ready)) {
      std::string message = backend_;
      message += ' ';
      message += operation;
      message += ": no free pooled connection within pool_wait_timeout";
      return fail(Errc::store_unavailable, std::move(message));
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Result<Lease>(tl::in_place, *this, std::move(connection));
    }
    ++open_;
    lock.unlock();
    auto connection = connect_();
    if (!connection) {
      {
        std::lock_guard<std::mutex> relock(mutex_);
        --open_;
      }
      available_.notify_one();
      std::string message = connection.error().message();
      message += " (during ";
      message += operation;
      message += ")";
      return fail(Errc::store_unavailable, std::move(message));
    }
    return Result<Lease>(tl::in_place, *this, std::move(*connection));
  }

  /// Closes every idle connection (after a server restart they are all dead).
  void drop_idle() noexcept {
    std::vector<std::unique_ptr<Connection>> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      dropped.swap(idle_);
      open_ -= dropped.size();
    }
    available_.notify_all();
  }

 private:
  void release(std::unique_ptr<Connection> connection) noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (connection->broken()) {
        --open_;
      } else {
        idle_.push_back(std::move(connection));
      }
    }
    available_.notify_one();
  }

  const std::string backend_;
  const std::size_t size_;
  const std::optional<std::chrono::milliseconds> wait_timeout_;
  const Connect connect_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace reverify::detail
