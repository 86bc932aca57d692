#include <catch2/catch.hpp>

#include <atomic>
#include <barrier_shim.hpp>
#include <thread>

#include "manager_fixture.hpp"

using namespace reverify;

TEST_CASE("32 threads sending to one recipient: exactly send_limit codes go out") {
  test::ManagerFixture f;
  constexpr int threads = 32;
  std::atomic<int> sent{0};
  std::atomic<int> limited{0};
  test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      SendCodeRequest r;
      r.user_id = "u" + std::to_string(t);
      r.identifier = Identifier::email(t % 2 ? "Victim@Example.com" : "victim@example.com");
      const auto result = f.manager.send_code(r);
      if (result) {
        sent++;
      } else if (result.error() == Errc::message_rate_limited) {
        limited++;
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(sent == 10);
  CHECK(limited == threads - 10);
  CHECK(f.sender->messages().size() == 10);
}
