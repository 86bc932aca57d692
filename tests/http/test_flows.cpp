#include "test_flows.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <catch2/catch.hpp>

namespace reverify::http_test {

Json code_request(const std::string& type, const std::string& value, const std::optional<std::string>& template_type) {
  Json body = {{"identifier", {{"type", type}, {"value", value}}}};
  if (template_type) body["templateType"] = *template_type;
  return body;
}

std::string password_record(HttpClient& client, const std::string& token, const std::string& password) {
  const auto response = client.post("/api/verifications/password", Json{{"password", password}}, {bearer(token)});
  INFO(response.body);
  REQUIRE(response.status == 201);
  return response.json().at("verificationRecordId").get<std::string>();
}

SentCode send_code(HttpClient& client, const ServerProcess& server, const std::string& token, const std::string& type,
                   const std::string& value, const std::optional<std::string>& template_type) {
  const auto response =
      client.post("/api/verifications/verification-code", code_request(type, value, template_type), {bearer(token)});
  INFO(response.body);
  REQUIRE(response.status == 201);
  SentCode sent;
  sent.record_id = response.json().at("verificationRecordId").get<std::string>();
  sent.code = server.code_for(sent.record_id);
  return sent;
}

HttpResponse verify_code(HttpClient& client, const std::string& token, const std::string& type,
                         const std::string& value, const std::string& record_id, const std::string& code) {
  const Json body = {{"identifier", {{"type", type}, {"value", value}}}, {"verificationId", record_id}, {"code", code}};
  return client.post("/api/verifications/verification-code/verify", body, {bearer(token)});
}

std::string verified_code_record(HttpClient& client, const ServerProcess& server, const std::string& token,
                                 const std::string& type, const std::string& value,
                                 const std::optional<std::string>& template_type) {
  const SentCode sent = send_code(client, server, token, type, value, template_type);
  const auto verified = verify_code(client, token, type, value, sent.record_id, sent.code);
  INFO(verified.body);
  REQUIRE(verified.status == 200);
  REQUIRE(verified.json().at("verificationRecordId") == sent.record_id);
  return sent.record_id;
}

std::string wrong_code(const std::string& right) {
  std::string wrong = right;
  for (char& c : wrong) c = c == '9' ? '0' : static_cast<char>(c + 1);
  return wrong;
}

bool looks_like_record_id(const std::string& id) {
  // (No std::regex: GCC 12 warns inside it under -O2 with sanitizers.)
  return id.size() == 21 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
}

bool looks_like_iso8601_ms(const std::string& text) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == 'd' ? !digit : text[i] != shape[i]) return false;
  }
  return true;
}

double seconds_until(const std::string& iso8601) {
  std::tm parts{};
  int millis = 0;
  // Field widths of at most 4 digits cannot overflow an int, and the count rejects malformed text.
  // NOLINTNEXTLINE(cert-err34-c)
  const int fields = std::sscanf(iso8601.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &parts.tm_year, &parts.tm_mon,
                                 &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &millis);
  REQUIRE(fields == 7);
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  const double then = static_cast<double>(::timegm(&parts)) + millis / 1000.0;
  return then - static_cast<double>(std::time(nullptr));
}

}  // namespace reverify::http_test
