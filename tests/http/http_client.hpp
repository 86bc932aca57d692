#pragma once
// A small libcurl client for the HTTP tests: one instance = one keep-alive connection.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

typedef void CURL;

namespace reverify::http_test {

using Json = nlohmann::json;

struct HttpResponse {
  long status = 0;  // 0 when the transfer failed
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string transfer_error;                  // curl's error text when status == 0
  long new_connections = 0;                    // connections curl opened for this request

  [[nodiscard]] Json json() const;
  // The error code of a {"code","message"} body, or "" when there is none.
  [[nodiscard]] std::string code() const;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // headers: full lines ("Authorization: Bearer tok"). A body is sent as application/json.
  // expect_100 = false suppresses curl's "Expect: 100-continue".
  HttpResponse request(const std::string& method, const std::string& path,
                       const std::optional<std::string>& body = std::nullopt,
                       const std::vector<std::string>& headers = {}, bool expect_100 = false);
  HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {}) {
    return request("GET", path, std::nullopt, headers);
  }
  HttpResponse post(const std::string& path, const std::string& body, const std::vector<std::string>& headers = {}) {
    return request("POST", path, body, headers);
  }
  HttpResponse post(const std::string& path, const Json& body, const std::vector<std::string>& headers = {}) {
    return request("POST", path, body.dump(), headers);
  }
  HttpResponse del(const std::string& path, const std::vector<std::string>& headers = {}) {
    return request("DELETE", path, std::nullopt, headers);
  }

 private:
  std::string base_url_;
  CURL* curl_;
};

// "Authorization: Bearer <token>"
[[nodiscard]] std::string bearer(const std::string& token);
// "logto-verification-id: <id>"
[[nodiscard]] std::string step_up(const std::string& record_id);

}  // namespace reverify::http_test
