#pragma once
// Small in-process servers on 127.0.0.1 (port 0) for the sender tests: a fake SMTP relay that
// speaks enough of RFC 5321 and a fake HTTP/1.1 endpoint. Each records what it received and can
// be told to fail at a chosen point, or to say nothing at all.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace reverify::test {

/// Accepts connections on a thread and hands each to `serve` on a thread of its own.
class LoopbackServer {
 public:
  LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  virtual ~LoopbackServer();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// Connections accepted so far.
  [[nodiscard]] std::size_t connections() const noexcept { return connections_.load(); }

 protected:
  /// Starts accepting; call at the end of the derived constructor.
  void start();
  /// Stops accepting, wakes every session and joins the threads; call in the derived destructor.
  void stop();
  virtual void serve(int fd) = 0;
  [[nodiscard]] bool stopping() const noexcept { return stopping_.load(); }

  /// Reads one CRLF-terminated line (without the CRLF) into `line`; false on close, stop or a
  /// 10 s silence.
  bool read_line(int fd, std::string& buffer, std::string& line);
  /// Reads until `buffer` holds at least `size` bytes; false as read_line.
  bool read_exactly(int fd, std::string& buffer, std::size_t size);
  static void write_all(int fd, const std::string& data);
  /// Blocks until stop() (for servers told never to answer).
  void wait_for_stop() const;

 private:
  bool read_more(int fd, std::string& buffer);
  void accept_loop();

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::thread acceptor_;
  std::mutex sessions_mutex_;
  std::vector<std::thread> sessions_;
};

/// One SMTP transaction as the fake relay saw it.
struct SmtpEnvelope {
  std::string mail_from;             ///< the MAIL FROM argument, brackets included
  std::vector<std::string> rcpt_to;  ///< each RCPT TO argument
  std::string data;                  ///< the message, dot-unstuffed, CRLF line ends
  std::string auth_user;             ///< from AUTH PLAIN, when sent
  std::string auth_password;
};

/// A fake SMTP relay.
class FakeSmtpServer final : public LoopbackServer {
 public:
  enum class Stage { none, greeting, ehlo, auth, mail, rcpt, data, end_of_data };
  struct Config {
    Stage fail_at = Stage::none;  ///< answer `fail_code` here (and close, at the greeting)
    int fail_code = 554;
    bool advertise_starttls = false;  ///< offers STARTTLS, answers 220 and then drops the connection
    bool silent = false;              ///< accepts and never says anything
  };

  explicit FakeSmtpServer(Config config);
  FakeSmtpServer() : FakeSmtpServer(Config{}) {}
  ~FakeSmtpServer() override;

  [[nodiscard]] std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port()); }
  /// Transactions whose DATA was accepted.
  [[nodiscard]] std::vector<SmtpEnvelope> envelopes() const;
  /// Every command verb received, in order (e.g. "EHLO", "MAIL", "RCPT", "DATA", "QUIT").
  [[nodiscard]] std::vector<std::string> verbs() const;

 private:
  void serve(int fd) override;
  void record_verb(const std::string& line);
  [[nodiscard]] std::string failure(Stage stage) const;

  Config config_;
  mutable std::mutex mutex_;
  std::vector<SmtpEnvelope> envelopes_;
  std::vector<std::string> verbs_;
};

/// One HTTP request as the fake endpoint saw it.
struct HttpRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

/// A fake HTTP/1.1 endpoint: one request per connection, answered with a chosen status.
class FakeHttpServer final : public LoopbackServer {
 public:
  struct Config {
    int status = 200;
    bool never_answer = false;  ///< reads the request and holds the connection silently
  };

  explicit FakeHttpServer(Config config);
  FakeHttpServer() : FakeHttpServer(Config{}) {}
  ~FakeHttpServer() override;

  [[nodiscard]] std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  /// Well-formed requests received.
  [[nodiscard]] std::vector<HttpRequest> requests() const;
  /// Connections whose first line was not an HTTP request line (e.g. a TLS ClientHello).
  [[nodiscard]] std::size_t malformed() const noexcept { return malformed_.load(); }

 private:
  void serve(int fd) override;

  Config config_;
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
  std::atomic<std::size_t> malformed_{0};
};

}  // namespace reverify::test
