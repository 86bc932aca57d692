#pragma once
// Private helpers shared by reverify::smtp and reverify::http (header-only, never installed):
// one-time global init, RAII handles, URL checks, TLS settings and redaction of error text.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "redact.hpp"
#include "reverify/result.hpp"
#include "sender_text.hpp"

namespace reverify::curl_support {

// curl_global_init is not safe to race with other threads' curl calls in older libcurls; a
// function-local static runs it exactly once. It is never undone: curl_global_cleanup at exit
// would pull libcurl out from under any other user in the process.
inline CURLcode global_init() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  return result;
}

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct ListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using List = std::unique_ptr<curl_slist, ListDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

// Appends to a list; false when curl could not allocate.
inline bool append(List& list, const char* item) {
  curl_slist* grown = curl_slist_append(list.get(), item);
  if (grown == nullptr) return false;
  static_cast<void>(list.release());
  list.reset(grown);
  return true;
}

struct ParsedUrl {
  std::string scheme;  // lower case, as curl normalises it
  std::string host;    // IPv6 literals keep their brackets
  std::string path;    // as written, e.g. "/hooks/abc"
  std::string query;   // without the '?'; webhook URLs often carry tokens here
};

// Parses with curl's own parser, so what we check is what curl will connect to.
inline Result<ParsedUrl> parse_url(const std::string& url, std::string_view option_name) {
  const std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle) return fail(Errc::internal, "curl_url() failed");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return fail(Errc::invalid_configuration, std::string(option_name) + " is not a valid URL");
  }
  auto part = [&](CURLUPart which) -> std::string {
    char* text = nullptr;
    if (curl_url_get(handle.get(), which, &text, 0) != CURLUE_OK || text == nullptr) return {};
    std::string value(text);
    curl_free(text);
    return value;
  };
  if (!part(CURLUPART_USER).empty() || !part(CURLUPART_PASSWORD).empty()) {
    return fail(Errc::invalid_configuration,
                std::string(option_name) + " must not carry credentials; use the dedicated options");
  }
  ParsedUrl parsed{part(CURLUPART_SCHEME), part(CURLUPART_HOST), part(CURLUPART_PATH), part(CURLUPART_QUERY)};
  if (parsed.host.empty()) return fail(Errc::invalid_configuration, std::string(option_name) + " has no host");
  return parsed;
}

// 127.0.0.0/8, ::1 and "localhost" (which libcurl resolves to loopback itself).
inline bool is_loopback_host(std::string host) {
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  return false;
}

using reverify::detail::redact;

// A setter that remembers the first failure, so a refused security option cannot go unnoticed.
class Setter {
 public:
  explicit Setter(CURL* handle) noexcept : handle_(handle) {}
  template <class T>
  Setter& operator()(CURLoption option, T value) {
    const CURLcode rc = curl_easy_setopt(handle_, option, value);
    if (rc != CURLE_OK && first_error_ == CURLE_OK) {
      first_error_ = rc;
      failed_option_ = static_cast<int>(option);
    }
    return *this;
  }
  [[nodiscard]] bool ok() const noexcept { return first_error_ == CURLE_OK; }
  [[nodiscard]] std::string failure() const {
    return "curl option " + std::to_string(failed_option_) + " refused: " + curl_easy_strerror(first_error_);
  }

 private:
  CURL* handle_;
  CURLcode first_error_ = CURLE_OK;
  int failed_option_ = 0;
};

// `ca_bundle_path` as both senders take it: empty (the system store), or a readable file. The
// error names the path, so a path with a control character is refused first: errors stay one line.
inline Result<void> check_ca_bundle_path(const std::string& path) {
  if (sender_text::has_control(path))
    return fail(Errc::invalid_configuration, "ca_bundle_path must not contain control characters");
  if (path.empty()) return {};
  // A directory passes access(R_OK) but curl reads CAINFO as one PEM file: every TLS handshake
  // would then fail at send time instead of here.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) || ::access(path.c_str(), R_OK) != 0) {
    return fail(Errc::invalid_configuration, "ca_bundle_path is not a readable file: " + path);
  }
  return {};
}

// Options every handle of ours gets: verified TLS 1.2+, no signals (threads), no proxy from the
// environment, only the given protocols.
inline void apply_common(Setter& set, const char* protocols, const std::string& ca_bundle_path) {
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, protocols);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!ca_bundle_path.empty()) set(CURLOPT_CAINFO, ca_bundle_path.c_str());
}

// "curl error N: <strerror> (<error buffer>)", the buffer only when it adds something.
inline std::string describe(CURLcode code, const char* error_buffer) {
  std::string text = curl_easy_strerror(code);
  if (error_buffer != nullptr && error_buffer[0] != '\0' && text != error_buffer) {
    text += " (";
    text += error_buffer;
    text += ')';
  }
  return text;
}

inline bool is_tls_failure(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

}  // namespace reverify::curl_support
