#include "loopback_servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace reverify::test {
namespace {

constexpr auto idle_limit = std::chrono::seconds(10);

std::string base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  out.resize(length);
  return out;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string after_colon(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos) return {};
  auto value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

}  // namespace

LoopbackServer::LoopbackServer() : listen_fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  if (listen_fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen on 127.0.0.1 failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
}

LoopbackServer::~LoopbackServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void LoopbackServer::start() {
  acceptor_ = std::thread([this] { accept_loop(); });
}

void LoopbackServer::stop() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  const std::lock_guard<std::mutex> lock(sessions_mutex_);
  for (auto& session : sessions_) session.join();
  sessions_.clear();
}

void LoopbackServer::accept_loop() {
  while (!stopping_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    const std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
}

bool LoopbackServer::read_more(int fd, std::string& buffer) {
  const auto deadline = std::chrono::steady_clock::now() + idle_limit;
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
    pollfd waiting{fd, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, 20);
    if (ready <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  return false;
}

bool LoopbackServer::read_line(int fd, std::string& buffer, std::string& line) {
  for (;;) {
    const auto end = buffer.find("\r\n");
    if (end != std::string::npos) {
      line = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      return true;
    }
    if (!read_more(fd, buffer)) return false;
  }
}

bool LoopbackServer::read_exactly(int fd, std::string& buffer, std::size_t size) {
  while (buffer.size() < size) {
    if (!read_more(fd, buffer)) return false;
  }
  return true;
}

void LoopbackServer::write_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

void LoopbackServer::wait_for_stop() const {
  while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// ---------------------------------------------------------------------------------------------

FakeSmtpServer::FakeSmtpServer(Config config) : config_(config) { start(); }

FakeSmtpServer::~FakeSmtpServer() { stop(); }

std::vector<SmtpEnvelope> FakeSmtpServer::envelopes() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return envelopes_;
}

std::vector<std::string> FakeSmtpServer::verbs() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return verbs_;
}

void FakeSmtpServer::record_verb(const std::string& line) {
  const std::lock_guard<std::mutex> lock(mutex_);
  verbs_.push_back(upper(line.substr(0, line.find(' '))));
}

std::string FakeSmtpServer::failure(Stage stage) const {
  (void)stage;
  return std::to_string(config_.fail_code) + " 5.0.0 refused by the test\r\n";
}

void FakeSmtpServer::serve(int fd) {
  if (config_.silent) {
    wait_for_stop();
    return;
  }
  if (config_.fail_at == Stage::greeting) {
    write_all(fd, failure(Stage::greeting));
    return;
  }
  write_all(fd, "220 fake.test ESMTP ready\r\n");
  std::string buffer;
  std::string line;
  SmtpEnvelope envelope;
  while (read_line(fd, buffer, line)) {
    record_verb(line);
    const std::string verb = upper(line.substr(0, line.find(' ')));
    if (verb == "EHLO" || verb == "HELO") {
      if (config_.fail_at == Stage::ehlo) {
        write_all(fd, failure(Stage::ehlo));
        continue;
      }
      std::string reply = "250-fake.test\r\n";
      if (config_.advertise_starttls) reply += "250-STARTTLS\r\n";
      reply += "250-AUTH PLAIN\r\n250 SIZE 1000000\r\n";
      write_all(fd, reply);
    } else if (verb == "STARTTLS") {
      write_all(fd, "220 2.0.0 go ahead\r\n");
      return;  // no TLS here: dropping the connection fails the client's handshake
    } else if (verb == "AUTH") {
      std::string credentials = line.size() > 11 ? line.substr(11) : std::string();
      if (credentials.empty()) {
        write_all(fd, "334 \r\n");
        if (!read_line(fd, buffer, credentials)) return;
      }
      const std::string decoded = base64_decode(credentials);  // authzid NUL user NUL password
      const auto first = decoded.find('\0');
      const auto second = first == std::string::npos ? first : decoded.find('\0', first + 1);
      if (second != std::string::npos) {
        envelope.auth_user = decoded.substr(first + 1, second - first - 1);
        envelope.auth_password = decoded.substr(second + 1);
      }
      write_all(fd,
                config_.fail_at == Stage::auth ? "535 5.7.8 authentication failed\r\n" : "235 2.7.0 authenticated\r\n");
    } else if (verb == "MAIL") {
      if (config_.fail_at == Stage::mail) {
        write_all(fd, failure(Stage::mail));
        continue;
      }
      envelope.mail_from = after_colon(line);
      envelope.mail_from = envelope.mail_from.substr(0, envelope.mail_from.find(' '));  // drop SIZE=…
      envelope.rcpt_to.clear();
      write_all(fd, "250 2.1.0 ok\r\n");
    } else if (verb == "RCPT") {
      if (config_.fail_at == Stage::rcpt) {
        write_all(fd, failure(Stage::rcpt));
        continue;
      }
      envelope.rcpt_to.push_back(after_colon(line));
      write_all(fd, "250 2.1.5 ok\r\n");
    } else if (verb == "DATA") {
      if (config_.fail_at == Stage::data) {
        write_all(fd, failure(Stage::data));
        continue;
      }
      write_all(fd, "354 end with <CRLF>.<CRLF>\r\n");
      std::string data;
      std::string data_line;
      bool ended = false;
      while (read_line(fd, buffer, data_line)) {
        if (data_line == ".") {
          ended = true;
          break;
        }
        if (!data_line.empty() && data_line.front() == '.') data_line.erase(0, 1);
        data += data_line + "\r\n";
      }
      if (!ended) return;
      if (config_.fail_at == Stage::end_of_data) {
        write_all(fd, failure(Stage::end_of_data));
        continue;
      }
      envelope.data = std::move(data);
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        envelopes_.push_back(envelope);
      }
      write_all(fd, "250 2.0.0 queued\r\n");
    } else if (verb == "RSET" || verb == "NOOP") {
      write_all(fd, "250 2.0.0 ok\r\n");
    } else if (verb == "QUIT") {
      write_all(fd, "221 2.0.0 bye\r\n");
      return;
    } else {
      write_all(fd, "500 5.5.1 unknown command\r\n");
    }
  }
}

// ---------------------------------------------------------------------------------------------

FakeHttpServer::FakeHttpServer(Config config) : config_(config) { start(); }

FakeHttpServer::~FakeHttpServer() { stop(); }

std::vector<HttpRequest> FakeHttpServer::requests() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void FakeHttpServer::serve(int fd) {
  std::string buffer;
  if (!read_exactly(fd, buffer, 1)) return;
  if (!std::isupper(static_cast<unsigned char>(buffer.front()))) {  // e.g. a TLS ClientHello (0x16)
    ++malformed_;
    write_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  HttpRequest request;
  std::string line;
  if (!read_line(fd, buffer, line)) return;
  const auto space1 = line.find(' ');
  const auto space2 = line.find(' ', space1 + 1);
  if (space1 == std::string::npos || space2 == std::string::npos || line.compare(space2 + 1, 5, "HTTP/") != 0) {
    ++malformed_;
    return;
  }
  request.method = line.substr(0, space1);
  request.target = line.substr(space1 + 1, space2 - space1 - 1);
  while (read_line(fd, buffer, line) && !line.empty()) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers[name] = after_colon(line);
  }
  const auto length_header = request.headers.find("content-length");
  const std::size_t length = length_header == request.headers.end() ? 0 : std::stoul(length_header->second);
  if (!read_exactly(fd, buffer, length)) return;
  request.body = buffer.substr(0, length);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
  }
  if (config_.never_answer) {
    wait_for_stop();
    return;
  }
  write_all(fd, "HTTP/1.1 " + std::to_string(config_.status) +
                    " Test\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

}  // namespace reverify::test
