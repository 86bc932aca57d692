#include "http_server.hpp"

#include <iostream>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>

namespace reverify::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

HttpServer::HttpServer(asio::io_context& io, asio::thread_pool& pool, std::shared_ptr<const ApiRouter> router,
                       SessionLimits limits)
    : io_(io),
      pool_(pool),
      router_(std::move(router)),
      limits_(limits),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      retry_timer_(strand_) {}

tl::expected<tcp::endpoint, std::string> HttpServer::listen(const std::string& host, std::uint16_t port) {
  const std::string where = host + " port " + std::to_string(port);
  beast::error_code ec;
  tcp::resolver resolver(io_);
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return tl::unexpected("cannot resolve --listen host " + host + ": " + ec.message());

  std::string last_error;
  for (const auto& entry : results) {
    const tcp::endpoint endpoint = entry.endpoint();
    acceptor_.close(ec);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    const auto bound = ec ? tcp::endpoint() : acceptor_.local_endpoint(ec);
    if (ec) {
      last_error = ec.message();
      continue;
    }
    return bound;
  }
  acceptor_.close(ec);
  return tl::unexpected("cannot listen on " + where + ": " + last_error);
}

void HttpServer::start() {
  asio::post(strand_, [this] { accept(); });
}

void HttpServer::stop() {
  asio::post(strand_, [this] {
    beast::error_code ignored;
    retry_timer_.cancel();
    acceptor_.close(ignored);
  });
}

void HttpServer::accept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand, so sessions run in parallel on the I/O threads.
  acceptor_.async_accept(asio::make_strand(io_), beast::bind_front_handler(&HttpServer::on_accept, this));
}

void HttpServer::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: wait a little instead of spinning.
    std::cerr << "reverify-server: accept failed: " << ec.message() << '\n';
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<HttpSession>(std::move(socket), router_, pool_, limits_)->start();
  accept();
}

}  // namespace reverify::server
