#include <catch2/catch.hpp>

#include <atomic>
#include <barrier_shim.hpp>
#include <map>
#include <thread>

#include "manager_fixture.hpp"

using namespace reverify;

TEST_CASE("threads cycling send+verify on their own recipients never disturb each other") {
  // Time stands still here: a shared clock moved by one thread could expire another's record.
  Policy policy;
  policy.send_limit = 1'000'000;
  test::ManagerFixture f(policy);
  constexpr int threads = 4;
  constexpr int cycles = 2000;
  std::mutex mutex;
  std::map<std::string, int> failures;
  test::StartLine start(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Each thread has its own sender so it knows its own codes.
      const std::string user = "user-" + std::to_string(t);
      const std::string email = "user" + std::to_string(t) + "@example.com";
      start.arrive_and_wait();
      for (int i = 0; i < cycles; ++i) {
        SendCodeRequest send;
        send.user_id = user;
        send.identifier = Identifier::email(email);
        send.owned_identifiers = {send.identifier};
        auto sent = f.manager.send_code(send);
        if (!sent) {
          const std::lock_guard<std::mutex> lock(mutex);
          failures[std::string("send ") + std::string(sent.error().string_code())]++;
          continue;
        }
        const std::string code = f.sender->code_for(sent->record_id);
        auto verified = f.verify(sent->record_id, code, user, email);
        if (!verified) {
          const std::lock_guard<std::mutex> lock(mutex);
          failures[std::string("verify ") + std::string(verified.error().string_code())]++;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  for (const auto& [what, count] : failures) UNSCOPED_INFO(what << ": " << count);
  CHECK(failures.empty());
}
