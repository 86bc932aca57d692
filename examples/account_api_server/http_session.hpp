#pragma once
/// @file
/// One HTTP/1.1 connection: reads requests, runs them on the handler pool, writes responses.

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api_router.hpp"

namespace reverify::server {

/// Limits of one connection.
struct SessionLimits {
  std::size_t max_body = 64 * 1024;       ///< larger bodies get 413 request.payload_too_large
  std::uint32_t max_header = 16 * 1024;   ///< larger headers get 431
  std::chrono::seconds idle_timeout{60};  ///< keep-alive connections idle longer are closed
  std::chrono::seconds io_timeout{30};    ///< one read or write may take this long
};

/// Serves one accepted connection with keep-alive. Handlers run on `pool` so slow password hashing
/// never blocks I/O; what the router answers from the request alone (`/health`) is answered at once,
/// so that it never waits behind hashes. The socket is only touched on its own strand. Owned by its
/// pending operations (shared_from_this); it ends when the peer closes, a timeout fires or the
/// io_context stops.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<const ApiRouter> router,
              boost::asio::thread_pool& pool, SessionLimits limits);

  /// Starts reading the first request.
  void start();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void read_header();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t bytes);
  void dispatch();
  void write(ApiResponse response, bool keep_alive, unsigned version);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void reject(unsigned status, const char* code, const char* message);
  void linger();
  void on_linger(boost::beast::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::empty_body> continue_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  std::shared_ptr<const ApiRouter> router_;
  boost::asio::thread_pool& pool_;
  SessionLimits limits_;
  std::array<char, 8192> drain_{};
  std::size_t drained_ = 0;
};

}  // namespace reverify::server
