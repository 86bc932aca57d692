#include "api_types.hpp"

#include <string>

#include "json_util.hpp"

namespace reverify::server {

ApiResponse error_response(unsigned status, std::string_view code, std::string_view message) {
  Json body = Json::object();
  body["code"] = std::string(code);
  body["message"] = std::string(message);
  return ApiResponse{status, dump_json(body), {}};
}

ApiResponse error_response(const reverify::Error& error) {
  ApiResponse response =
      error_response(static_cast<unsigned>(error.http_status()), error.string_code(), error.message());
  if (const auto after = error.retry_after()) {
    response.headers.emplace_back("Retry-After", std::to_string(after->count()));
  }
  return response;
}

ApiResponse invalid_input(std::string_view what) {
  std::string message = "The request body is invalid: ";
  message += what;
  message += '.';
  return error_response(400, "guard.invalid_input", message);
}

ApiResponse no_content() { return ApiResponse{204, {}, {}}; }

}  // namespace reverify::server
