#include "api_types.hpp"

#include <string>

#include "json_util.hpp"

namespace reverify::server {

ApiResponse error_response(unsigned status, std::string_view code, std::string_view message) {
  Json body = Json::object();
  body["code"] = std::string(code);
  body["message"] = std::string(message);
  return ApiResponse{status, dump_json(body), {}, {}};
}

ApiResponse error_response(const reverify::Error& error) {
  const auto status = static_cast<unsigned>(error.http_status());
  const bool server_side = status >= 500;
  ApiResponse response = error_response(status, error.string_code(),
                                        server_side ? reverify::Error(error.code()).message() : error.message());
  if (server_side) response.log_detail = error.message();
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

ApiResponse no_content() { return ApiResponse{204, {}, {}, {}}; }

}  // namespace reverify::server
