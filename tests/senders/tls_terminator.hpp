#pragma once
// A TLS front for the loopback test servers: accepts TLS on 127.0.0.1 with a freshly generated
// self-signed certificate and relays the plain bytes to a backend port. Lets the tests check that
// the senders verify certificates and host names, and deliver when told to trust the test CA.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace reverify::test {

class TlsTerminator {
 public:
  /// `subject_alt_name` in OpenSSL's syntax, e.g. "IP:127.0.0.1" or "DNS:other.example".
  TlsTerminator(std::uint16_t backend_port, const std::string& subject_alt_name);
  TlsTerminator(const TlsTerminator&) = delete;
  TlsTerminator& operator=(const TlsTerminator&) = delete;
  ~TlsTerminator();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// A PEM file holding the certificate (to pass as ca_bundle_path).
  [[nodiscard]] const std::string& certificate_path() const noexcept { return cert_path_; }
  /// Handshakes that completed.
  [[nodiscard]] std::size_t handshakes() const noexcept { return handshakes_.load(); }

 private:
  struct Context;
  void accept_loop();
  void relay(int client_fd);

  std::unique_ptr<Context> context_;
  std::uint16_t backend_port_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string cert_path_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> handshakes_{0};
  std::thread acceptor_;
  std::mutex sessions_mutex_;
  std::vector<std::thread> sessions_;
};

}  // namespace reverify::test
