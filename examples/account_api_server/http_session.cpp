#include "http_session.hpp"

#include <iostream>
#include <string>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "json_util.hpp"
#include "one_line.hpp"

namespace reverify::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// After a response that closes the connection, read and discard what the client is still sending
// (up to this much), so closing does not reset the connection before it reads the response.
constexpr std::size_t max_linger_bytes = std::size_t{1024} * 1024;
constexpr std::chrono::seconds linger_timeout{2};

std::optional<std::string> header_value(const http::request<http::string_body>& request, beast::string_view name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string(it->value());
}

std::string path_of(beast::string_view target) {
  const auto query = target.find('?');
  return std::string(target.substr(0, query));
}

// A 5xx tells the client only the code's fixed wording; its cause goes to the operator.
void log_server_error(const ApiResponse& response, const ApiRequest& api) {
  if (response.status < 500) return;
  std::cerr << "reverify-server: " << response.status << ' ' << api.method << ' ' << api.path
            << (response.log_detail.empty() ? "" : ": ") << one_line(response.log_detail) << '\n';
}

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<const ApiRouter> router, asio::thread_pool& pool,
                         SessionLimits limits)
    : stream_(std::move(socket)),
      // Beast bounds the headers and the body's bytes, but not a chunk-extension line or a trailer
      // that never ends: without a cap of its own the buffer would grow with them until the timeout.
      buffer_(limits.max_header + limits.max_body),
      router_(std::move(router)),
      pool_(pool),
      limits_(limits) {}

void HttpSession::start() {
  asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::read_header, shared_from_this()));
}

void HttpSession::read_header() {
  parser_.emplace();
  parser_->body_limit(limits_.max_body);
  parser_->header_limit(limits_.max_header);
  stream_.expires_after(limits_.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
}

void HttpSession::on_header(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec == http::error::body_limit)
    return reject(413, "request.payload_too_large", "The request body is larger than 64 KiB.");
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return reject(431, "request.header_too_large", "The request headers are too large.");
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  if (ec) return reject(400, "request.bad_request", "The request is not valid HTTP/1.1.");
  // Beast 1.74 reads a Transfer-Encoding whose last coding is not chunked ("gzip", "chunked,
  // identity") as no body, so what follows would be parsed as the next request. RFC 9112 §6.3
  // asks for a 400 and a closed connection: a proxy in front reading that header otherwise could
  // forward one request where this server runs two.
  if (parser_->get().count(http::field::transfer_encoding) != 0 && !parser_->chunked()) {
    return reject(400, "request.bad_request", "The request's Transfer-Encoding does not end in chunked.");
  }

  const auto length = parser_->content_length();
  if (length && *length > limits_.max_body) {
    return reject(413, "request.payload_too_large", "The request body is larger than 64 KiB.");
  }
  if (parser_->is_done()) return dispatch();

  const auto& request = parser_->get();
  const auto expect = request.find(http::field::expect);
  if (expect != request.end() && beast::iequals(expect->value(), "100-continue")) {
    continue_ = {};
    continue_.result(http::status::continue_);
    continue_.version(request.version());
    stream_.expires_after(limits_.io_timeout);
    auto self = shared_from_this();
    http::async_write(stream_, continue_, [self](beast::error_code write_ec, std::size_t) {
      if (write_ec) return;
      self->read_body();
    });
    return;
  }
  read_body();
}

void HttpSession::read_body() {
  stream_.expires_after(limits_.io_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_body, shared_from_this()));
}

void HttpSession::on_body(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    return reject(413, "request.payload_too_large", "The request body is larger than 64 KiB.");
  }
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == http::error::end_of_stream ||
      ec == asio::error::eof || ec == asio::error::connection_reset) {
    return;
  }
  if (ec) return reject(400, "request.bad_request", "The request is not valid HTTP/1.1.");
  dispatch();
}

void HttpSession::dispatch() {
  Request request = parser_->release();
  parser_.reset();
  ApiRequest api;
  api.method = std::string(request.method_string());
  api.path = path_of(request.target());
  api.authorization = header_value(request, "authorization");
  api.verification_id = header_value(request, "logto-verification-id");
  api.body = reverify::SecretString(std::move(request.body()));
  const bool keep_alive = request.keep_alive();
  const unsigned version = request.version();

  // A health check must not wait behind password hashes: answered here, on the I/O thread.
  if (auto answer = ApiRouter::answer_from_request(api)) {
    log_server_error(*answer, api);
    write(std::move(*answer), keep_alive, version);
    return;
  }
  // Handlers may hash passwords (tens of milliseconds): run them off the I/O threads.
  asio::post(pool_, [self = shared_from_this(), api = std::move(api), keep_alive, version]() mutable {
    ApiResponse response = self->router_->handle(api);
    log_server_error(response, api);
    asio::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive, version]() mutable {
      self->write(std::move(response), keep_alive, version);
    });
  });
}

void HttpSession::write(ApiResponse response, bool keep_alive, unsigned version) {
  response_ = {};
  response_.result(response.status);
  response_.version(version);
  response_.keep_alive(keep_alive);
  response_.set(http::field::server, "reverify-server");
  response_.set(http::field::cache_control, "no-store");
  if (!response.body.empty()) response_.set(http::field::content_type, "application/json; charset=utf-8");
  for (const auto& [name, value] : response.headers) response_.set(name, value);
  response_.body() = std::move(response.body);
  // A 204 carries neither a body nor a Content-Length (RFC 9110 §8.6).
  if (response.status != 204) response_.prepare_payload();
  stream_.expires_after(limits_.io_timeout);
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), !keep_alive));
}

void HttpSession::on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return;
  if (close) return linger();
  read_header();
}

void HttpSession::reject(unsigned status, const char* code, const char* message) {
  parser_.reset();
  ApiResponse response = error_response(status, code, message);
  write(std::move(response), /*keep_alive=*/false, 11);
}

void HttpSession::linger() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(linger_timeout);
  stream_.async_read_some(asio::buffer(drain_), beast::bind_front_handler(&HttpSession::on_linger, shared_from_this()));
}

void HttpSession::on_linger(beast::error_code ec, std::size_t bytes) {
  drained_ += bytes;
  if (!ec && drained_ < max_linger_bytes) {
    stream_.async_read_some(asio::buffer(drain_),
                            beast::bind_front_handler(&HttpSession::on_linger, shared_from_this()));
    return;
  }
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

}  // namespace reverify::server
