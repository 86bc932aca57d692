#pragma once
// The one backend a test program is built for (REVERIFY_TEST_WITH_SQLITE, _REDIS or _POSTGRES):
// shared data that several store instances (and processes) open, and a manager on top.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "backend_fixtures.hpp"
#include "cheap_argon2.hpp"
#include "reverify/reverify.hpp"

namespace reverify::test {

/// Data several store instances share: a SQLite file, a Redis key prefix or a PostgreSQL schema.
/// Deleted when this object dies (in the process that created it).
struct SharedData {
  SharedData() = default;
  SharedData(const SharedData&) = delete;
  SharedData& operator=(const SharedData&) = delete;
  ~SharedData();
  std::string location;  ///< path, prefix or schema
  std::string url;       ///< the server (networked backends)
  pid_t owner = getpid();
};

#if defined(REVERIFY_TEST_WITH_SQLITE)
inline constexpr const char* backend_name = "sqlite";
inline std::unique_ptr<SharedData> new_shared_data(const std::string& /*url*/ = {}) {
  auto data = std::make_unique<SharedData>();
  data->location = temp_path("reverify-backend-test") + ".db";
  return data;
}
inline Result<std::shared_ptr<Store>> open_store(const SharedData& data) {
  auto store = sqlite::SqliteStore::open(data.location);
  if (!store) {
    std::fprintf(stderr, "open_store(%s) in pid %d: %s\n", backend_name, static_cast<int>(getpid()),
                 store.error().message().c_str());
    return fail(store.error());
  }
  return std::shared_ptr<Store>(*store);
}
inline SharedData::~SharedData() {
  if (getpid() == owner) remove_sqlite_files(location);
}
#elif defined(REVERIFY_TEST_WITH_REDIS)
inline constexpr const char* backend_name = "redis";
inline std::unique_ptr<SharedData> new_shared_data(const std::string& url = {}) {
  auto data = std::make_unique<SharedData>();
  data->url = url.empty() ? redis_url() : url;
  data->location = "reverify-test:" + random_token() + ":";
  return data;
}
inline Result<std::shared_ptr<Store>> open_store(const SharedData& data) {
  redis::RedisOptions options;
  options.key_prefix = data.location;
  // Generous: CI runs these beside sanitized builds on 2 loaded cores.
  options.connect_timeout = std::chrono::milliseconds(5000);
  options.command_timeout = std::chrono::milliseconds(10000);
  auto store = redis::RedisStore::connect(data.url, options);
  if (!store) {
    std::fprintf(stderr, "open_store(%s) in pid %d: %s\n", backend_name, static_cast<int>(getpid()),
                 store.error().message().c_str());
    return fail(store.error());
  }
  return std::shared_ptr<Store>(*store);
}
inline SharedData::~SharedData() {
  if (getpid() != owner) return;
  redis::RedisOptions options;
  options.key_prefix = location;
  if (auto store = redis::RedisStore::connect(url, options)) (void)(*store)->delete_all_keys();
}
#elif defined(REVERIFY_TEST_WITH_POSTGRES)
inline constexpr const char* backend_name = "postgres";
inline std::unique_ptr<SharedData> new_shared_data(const std::string& url = {}) {
  auto data = std::make_unique<SharedData>();
  data->url = url.empty() ? postgres_url() : url;
  data->location = "reverify_test_" + random_token();
  return data;
}
inline Result<std::shared_ptr<Store>> open_store(const SharedData& data) {
  postgres::PostgresOptions options;
  options.schema = data.location;
  options.connect_timeout = std::chrono::milliseconds(10000);
  auto store = postgres::PostgresStore::connect(data.url, options);
  if (!store) {
    std::fprintf(stderr, "open_store(%s) in pid %d: %s\n", backend_name, static_cast<int>(getpid()),
                 store.error().message().c_str());
    return fail(store.error());
  }
  return std::shared_ptr<Store>(*store);
}
inline SharedData::~SharedData() {
  if (getpid() != owner) return;
  postgres::PostgresOptions options;
  options.schema = location;
  if (auto store = postgres::PostgresStore::connect(url, options)) (void)(*store)->drop_schema();
}
#else
#error "define one of REVERIFY_TEST_WITH_SQLITE, REVERIFY_TEST_WITH_REDIS, REVERIFY_TEST_WITH_POSTGRES"
#endif

/// The pepper every process of a test shares (so a code made in one verifies in another).
inline Pepper shared_pepper() { return Pepper::from_bytes(7, std::string(Pepper::size, 'p')).value(); }

/// A manager on `store` with the shared pepper, the system clock, a cheap hasher and a sender
/// that keeps the last code in `last_code` (when given).
inline Result<VerificationManager> make_manager(std::shared_ptr<Store> store, std::shared_ptr<std::string> last_code,
                                                Policy policy = {}) {
  Dependencies deps;
  deps.store = std::move(store);
  deps.hasher = test::cheap_hasher();
  deps.sender = std::make_shared<CallbackSender>([last_code](const CodeMessage& message) -> Result<void> {
    if (last_code) *last_code = std::string(message.code.reveal());
    return {};
  });
  deps.clock = std::make_shared<SystemClock>();
  deps.peppers.peppers.push_back(shared_pepper());
  return VerificationManager::create(policy, std::move(deps));
}

inline const std::string test_user = "user-backend";
inline const std::string test_email = "backend@example.com";

inline SendCodeRequest email_code_request() {
  SendCodeRequest request;
  request.user_id = test_user;
  request.identifier = Identifier::email(test_email);
  request.owned_identifiers.push_back(Identifier::email(test_email));
  return request;
}

inline VerifyCodeRequest verify_request(const std::string& record_id, const std::string& code) {
  VerifyCodeRequest request;
  request.record_id = record_id;
  request.identifier = Identifier::email(test_email);
  request.code = SecretString(code);
  request.user_id = test_user;
  return request;
}

/// A code of the same shape that is certainly not `code`.
inline std::string wrong_code(const std::string& code) {
  std::string wrong = code;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  return wrong;
}

}  // namespace reverify::test
