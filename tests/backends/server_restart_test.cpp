// A Redis or PostgreSQL server that goes away mid-run: calls fail with store_unavailable, never
// verify or authorize; once the server is back the same store instance recovers, and the code
// sent before the restart verifies. Runs on a private server instance (scripts/services.sh with
// its own folder and port), so the shared test servers are never disturbed.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "backend_under_test.hpp"

using namespace reverify;
using namespace reverify::test;

namespace {

/// A private server started and stopped through scripts/services.sh.
class PrivateServer {
 public:
  PrivateServer() : dir_(temp_path("reverify-restart")) {}
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;
  ~PrivateServer() { run("clean"); }

  int start() { return run("start"); }
  int stop() { return run("stop"); }

  [[nodiscard]] static std::string url() {
#if defined(REVERIFY_TEST_WITH_REDIS)
    return "redis://127.0.0.1:" + std::string(redis_port) + "/0";
#else
    return "postgresql://postgres@127.0.0.1:" + std::string(pg_port) + "/reverify_test";
#endif
  }

 private:
  // Both ports private, so no action here can touch the shared servers.
  static constexpr const char* redis_port = "16381";
  static constexpr const char* pg_port = "15434";
#if defined(REVERIFY_TEST_WITH_REDIS)
  static constexpr const char* service = "redis";
#else
  static constexpr const char* service = "postgres";
#endif

  int run(const char* action) const {
    const std::string command = "REVERIFY_SERVICES_DIR='" + dir_ + "' REVERIFY_REDIS_PORT=" + redis_port +
                                " REVERIFY_PG_PORT=" + pg_port + " '" REVERIFY_SERVICES_SCRIPT "' " + action + " " +
                                service + " 2>&1";
    return std::system(command.c_str());
  }

  std::string dir_;
};

}  // namespace

TEST_CASE("a server restart yields store_unavailable, never verified, then the store recovers", "[backends][restart]") {
  INFO("backend " << backend_name);
  PrivateServer server;
  REQUIRE(server.start() == 0);
  auto data = new_shared_data(PrivateServer::url());
  auto store = open_store(*data);
  REQUIRE(store.has_value());
  auto code = std::make_shared<std::string>();
  auto manager = make_manager(*store, code);
  REQUIRE(manager.has_value());
  auto sent = manager->send_code(email_code_request());
  REQUIRE(sent.has_value());
  const std::string record_id = sent->record_id;
  const std::string right = *code;

  REQUIRE(server.stop() == 0);

  // The right code while the server is down: a typed error, never "verified".
  for (int i = 0; i < 3; ++i) {
    auto answer = manager->verify_code(verify_request(record_id, right));
    REQUIRE_FALSE(answer.has_value());
    CHECK(answer.error() == Errc::store_unavailable);
    CHECK_FALSE(answer.error().message().empty());
    CHECK(answer.error().message().find(right) == std::string::npos);
  }
  auto resend = manager->send_code(email_code_request());
  REQUIRE_FALSE(resend.has_value());
  CHECK(resend.error() == Errc::store_unavailable);
  AuthorizeRequest authorize;
  authorize.record_id = record_id;
  authorize.user_id = test_user;
  CHECK_FALSE(manager->authorize(authorize).has_value());
  // The store itself names the operation and the cause.
  auto direct = (*store)->find(record_id, SystemClock().now());
  REQUIRE_FALSE(direct.has_value());
  CHECK(direct.error() == Errc::store_unavailable);
  CHECK(direct.error().message().find("find") != std::string::npos);

  REQUIRE(server.start() == 0);

  // The same store instance reconnects by itself; the code sent before the restart verifies.
  auto answer = manager->verify_code(verify_request(record_id, right));
  REQUIRE(answer.has_value());
  CHECK(*answer == record_id);
  CHECK(manager->authorize(authorize).has_value());
}
