#include "http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

namespace reverify::http_test {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// A new easy handle, after the once-only global init that must come first.
CURL* new_handle() {
  global_init();
  return curl_easy_init();
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  const std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    const auto last = value.find_last_not_of(" \t\r\n");
    value = first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
    (*headers)[name] = value;
  } else if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (e.g. after 100 Continue)
  }
  return size * count;
}

}  // namespace

Json HttpResponse::json() const { return Json::parse(body, nullptr, /*allow_exceptions=*/false); }

std::string HttpResponse::code() const {
  const Json parsed = json();
  if (parsed.is_object() && parsed.contains("code") && parsed["code"].is_string()) return parsed["code"];
  return {};
}

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(std::string base_url) : base_url_(std::move(base_url)), curl_(new_handle()) {
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() { curl_easy_cleanup(curl_); }

HttpResponse HttpClient::request(const std::string& method, const std::string& path,
                                 const std::optional<std::string>& body, const std::vector<std::string>& headers,
                                 bool expect_100) {
  HttpResponse response;
  const std::string url = base_url_ + path;
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  if (body) list = curl_slist_append(list, "Content-Type: application/json");
  if (!expect_100) list = curl_slist_append(list, "Expect:");

  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, nullptr);
  curl_easy_setopt(curl_, CURLOPT_NOBODY, 0L);
  if (body) {
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
  } else {
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
  }
  if (method != "GET" && method != "POST") curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" && !body) {
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, "");
  }

  const CURLcode result = curl_easy_perform(curl_);
  curl_slist_free_all(list);
  if (result != CURLE_OK) {
    response.transfer_error = curl_easy_strerror(result);
    response.status = 0;
    return response;
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &response.new_connections);
  return response;
}

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }
std::string step_up(const std::string& record_id) { return "logto-verification-id: " + record_id; }

}  // namespace reverify::http_test
