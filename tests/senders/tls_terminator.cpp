#include "tls_terminator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace reverify::test {

struct TlsTerminator::Context {
  SSL_CTX* ctx = nullptr;
  ~Context() { SSL_CTX_free(ctx); }
};

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TlsTerminator: ") + what + " failed");
}

int listen_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd >= 0, "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(fd, 16) == 0, "listen");
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TlsTerminator::TlsTerminator(std::uint16_t backend_port, const std::string& subject_alt_name)
    : context_(std::make_unique<Context>()), backend_port_(backend_port) {
  // SSL_write on a socket the client already closed (it refused our certificate) raises SIGPIPE;
  // the default action would kill the whole test program.
  check(std::signal(SIGPIPE, SIG_IGN) != SIG_ERR, "signal(SIGPIPE)");
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), long{24} * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("reverify test"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3{};
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, subject_alt_name.c_str());
  check(san != nullptr, "subjectAltName");
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");

  char path[] = "/tmp/reverify-test-ca-XXXXXX";
  const int fd = ::mkstemp(path);
  check(fd >= 0, "mkstemp");
  FILE* file = ::fdopen(fd, "w");
  check(file != nullptr && PEM_write_X509(file, cert) == 1, "PEM_write_X509");
  check(std::fclose(file) == 0, "fclose");
  cert_path_ = path;

  context_->ctx = SSL_CTX_new(TLS_server_method());
  check(context_->ctx != nullptr && SSL_CTX_use_certificate(context_->ctx, cert) == 1 &&
            SSL_CTX_use_PrivateKey(context_->ctx, key) == 1,
        "SSL_CTX setup");
  X509_free(cert);
  EVP_PKEY_free(key);

  listen_fd_ = listen_loopback(port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TlsTerminator::~TlsTerminator() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  {
    const std::lock_guard<std::mutex> lock(sessions_mutex_);
    for (auto& session : sessions_) session.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  static_cast<void>(std::remove(cert_path_.c_str()));  // best effort in a destructor
}

void TlsTerminator::accept_loop() {
  while (!stopping_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.emplace_back([this, fd] {
      relay(fd);
      ::close(fd);
    });
  }
}

void TlsTerminator::relay(int client_fd) {
  timeval limit{5, 0};
  ::setsockopt(client_fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  SSL* ssl = SSL_new(context_->ctx);
  SSL_set_fd(ssl, client_fd);
  if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate
    SSL_free(ssl);
    return;
  }
  ++handshakes_;
  const int backend = connect_loopback(backend_port_);
  char buffer[4096];
  while (backend >= 0 && !stopping_) {
    if (SSL_pending(ssl) == 0) {
      pollfd fds[2] = {{client_fd, POLLIN, 0}, {backend, POLLIN, 0}};
      if (::poll(fds, 2, 20) <= 0) continue;
      if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) {
        const ssize_t n = ::recv(backend, buffer, sizeof buffer, 0);
        if (n <= 0 || SSL_write(ssl, buffer, static_cast<int>(n)) <= 0) break;
      }
      if ((fds[0].revents & (POLLIN | POLLHUP)) == 0) continue;
    }
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) {
      if (SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ) continue;
      break;
    }
    if (::send(backend, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) <= 0) break;
  }
  if (backend >= 0) ::close(backend);
  SSL_shutdown(ssl);
  SSL_free(ssl);
}

}  // namespace reverify::test
