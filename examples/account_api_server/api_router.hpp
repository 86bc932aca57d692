#pragma once
/// @file
/// Authentication and dispatch of the API routes.

#include <memory>
#include <optional>

#include "api_types.hpp"
#include "reverify/password_hasher.hpp"
#include "reverify/verification_manager.hpp"
#include "user_directory.hpp"

namespace reverify::server {

/// What every route handler works with. The manager and hasher are thread-safe; the directory
/// guards itself.
struct ApiContext {
  std::shared_ptr<const reverify::VerificationManager> manager;
  std::shared_ptr<reverify::PasswordHasher> hasher;  ///< the same hasher the manager uses
  std::shared_ptr<UserDirectory> users;
};

/// Answers one request: `/health`, CORS preflights, bearer authentication on `/api`, then the
/// route (404 JSON for anything else). Never throws: an unexpected exception becomes 500.
/// Thread-safe; call it from any number of threads.
class ApiRouter {
 public:
  explicit ApiRouter(ApiContext context) : context_(std::move(context)) {}

  [[nodiscard]] ApiResponse handle(const ApiRequest& request) const noexcept;

  /// `handle`'s answer when the request alone decides it (`/health`, CORS preflights, paths
  /// outside `/api`: no hasher, store or directory), else nothing. The session answers these on
  /// its I/O thread instead of queueing them behind password hashes on the handler pool.
  [[nodiscard]] static std::optional<ApiResponse> answer_from_request(const ApiRequest& request) noexcept;

 private:
  [[nodiscard]] ApiResponse route(const ApiRequest& request) const;

  ApiContext context_;
};

}  // namespace reverify::server
