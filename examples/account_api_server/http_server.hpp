#pragma once
/// @file
/// The listening socket: accepts connections and hands each to an HttpSession.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <tl/expected.hpp>

#include "api_router.hpp"
#include "http_session.hpp"

namespace reverify::server {

/// Accepts connections on one address. Not copyable; must outlive the io_context's run() calls.
/// `listen` and `start` are called once from the main thread; `stop` from any thread.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, boost::asio::thread_pool& pool, std::shared_ptr<const ApiRouter> router,
             SessionLimits limits = {});
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Resolves `host` and binds and listens (backlog: the system maximum). Returns the bound
  /// endpoint (its real port when `port` is 0). Errors: one line naming the address.
  [[nodiscard]] tl::expected<boost::asio::ip::tcp::endpoint, std::string> listen(const std::string& host,
                                                                                 std::uint16_t port);
  /// Starts accepting (the io_context must be run for anything to happen).
  void start();
  /// Closes the listening socket; open connections are left to the io_context's shutdown.
  void stop();

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<const ApiRouter> router_;
  SessionLimits limits_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
};

}  // namespace reverify::server
