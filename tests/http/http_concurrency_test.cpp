// Many clients at once: attempt counting across parallel requests, and many keep-alive connections.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "test_flows.hpp"

using namespace reverify::http_test;

namespace {

// Releases all waiting threads once `count` of them have arrived.
class Barrier {
 public:
  explicit Barrier(std::size_t count) : remaining_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--remaining_ == 0) {
      released_.notify_all();
      return;
    }
    released_.wait(lock, [this] { return remaining_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  std::size_t remaining_;
};

}  // namespace

TEST_CASE("50 parallel wrong codes and the right one: at most 10 comparisons are answered",
          "[http][concurrency][attempts]") {
  ServerProcess server;
  HttpClient setup(server.base_url());
  const auto sent = send_code(setup, server, "tok-bob", "email", "bob@example.com");

  constexpr std::size_t wrong_count = 50;
  constexpr std::size_t total = wrong_count + 1;
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (std::size_t i = 0; i < total; ++i) clients.push_back(std::make_unique<HttpClient>(server.base_url()));
  // Open every connection first, so the verify requests really arrive together.
  for (auto& client : clients) REQUIRE(client->get("/health").status == 200);

  std::vector<HttpResponse> answers(total);
  Barrier start(total);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < total; ++i) {
    threads.emplace_back([&, i] {
      // The right code goes in the middle of the pack.
      const std::string code = i == total / 2 ? sent.code : wrong_code(sent.code);
      start.arrive_and_wait();
      answers[i] = verify_code(*clients[i], "tok-bob", "email", "bob@example.com", sent.record_id, code);
    });
  }
  for (auto& thread : threads) thread.join();

  std::size_t mismatches = 0;
  std::size_t successes = 0;
  std::size_t exceeded = 0;
  std::size_t not_found = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const auto& answer = answers[i];
    INFO("request " << i << ": " << answer.status << ' ' << answer.body << ' ' << answer.transfer_error);
    if (answer.status == 200) {
      CHECK(i == total / 2);
      ++successes;
    } else if (answer.code() == "verification_code.code_mismatch") {
      ++mismatches;
    } else if (answer.code() == "verification_code.exceed_max_try") {
      ++exceeded;
    } else if (answer.code() == "verification_code.not_found") {
      ++not_found;
    } else {
      FAIL("unexpected answer");
    }
  }
  INFO("mismatches " << mismatches << ", successes " << successes << ", exceeded " << exceeded << ", not found "
                     << not_found);
  CHECK(successes <= 1);
  // Count before compare: never more than 10 comparisons, and exactly 10 unless the right code won.
  CHECK(mismatches + successes <= 10);
  if (successes == 0) {
    CHECK(mismatches == 10);
    CHECK(not_found == 0);
  }
  CHECK(mismatches + successes + exceeded + not_found == total);
  // Whatever happened, the record cannot be verified any more.
  CHECK(verify_code(setup, "tok-bob", "email", "bob@example.com", sent.record_id, sent.code).status == 400);
}

TEST_CASE("64 simultaneous keep-alive connections are all served", "[http][concurrency][connections]") {
  ServerProcess server;
  constexpr std::size_t connections = 64;
  constexpr int rounds = 3;
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (std::size_t i = 0; i < connections; ++i) clients.push_back(std::make_unique<HttpClient>(server.base_url()));

  std::vector<std::vector<HttpResponse>> answers(connections);
  Barrier burst(connections);
  Barrier all_open(connections);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      burst.arrive_and_wait();  // 64 connects at the same moment
      answers[i].push_back(clients[i]->get("/api/my-account", {bearer("tok-alice")}));
      all_open.arrive_and_wait();  // every connection is open now; reuse each one
      for (int round = 1; round < rounds; ++round) {
        answers[i].push_back(clients[i]->get("/api/my-account", {bearer("tok-alice")}));
      }
    });
  }
  for (auto& thread : threads) thread.join();

  for (std::size_t i = 0; i < connections; ++i) {
    REQUIRE(answers[i].size() == rounds);
    for (int round = 0; round < rounds; ++round) {
      const auto& answer = answers[i][static_cast<std::size_t>(round)];
      INFO("connection " << i << " round " << round << ": " << answer.transfer_error);
      CHECK(answer.status == 200);
      CHECK(answer.json().at("id") == "u-alice");
      // One connect per client, then keep-alive reuse.
      CHECK(answer.new_connections == (round == 0 ? 1 : 0));
    }
  }
  // And the server is still there.
  HttpClient after(server.base_url());
  CHECK(after.get("/health").status == 200);
}

TEST_CASE("/health answers while every handler thread waits on a password hash", "[http][concurrency][health]") {
  ServerProcess server;
  // Four times as many password checks as the server's 8 handler threads. When /health went
  // through the handler pool it queued behind them and answered after 24 of the 32 (3 runs of 3);
  // answered on the I/O thread, after 1 or 2.
  constexpr std::size_t checks = 32;
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (std::size_t i = 0; i < checks; ++i) clients.push_back(std::make_unique<HttpClient>(server.base_url()));
  for (auto& client : clients) REQUIRE(client->get("/health").status == 200);
  HttpClient monitor(server.base_url());
  REQUIRE(monitor.get("/health").status == 200);

  std::vector<HttpResponse> answers(checks);
  std::mutex answered_mutex;
  std::condition_variable first_answer;
  std::size_t answered = 0;
  Barrier start(checks);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < checks; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      answers[i] =
          clients[i]->post("/api/verifications/password", Json{{"password", alice_password}}, {bearer("tok-alice")});
      const std::lock_guard<std::mutex> lock(answered_mutex);
      ++answered;
      first_answer.notify_all();
    });
  }
  // The first answer means the server has read the burst and its hashes are running (no sleep).
  {
    std::unique_lock<std::mutex> lock(answered_mutex);
    first_answer.wait(lock, [&] { return answered > 0; });
  }
  const HttpResponse health = monitor.get("/health");
  std::size_t answered_by_then = 0;
  {
    const std::lock_guard<std::mutex> lock(answered_mutex);
    answered_by_then = answered;
  }
  for (auto& thread : threads) thread.join();

  CHECK(health.status == 200);
  CHECK(health.body == R"({"status":"ok"})");
  INFO("password checks answered before /health: " << answered_by_then << " of " << checks);
  CHECK(answered_by_then < checks / 2);
  for (const auto& answer : answers) {
    INFO(answer.status << ' ' << answer.body << ' ' << answer.transfer_error);
    CHECK(answer.status == 201);
  }
}
