#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cheap_argon2.hpp"
#include "reverify/argon2id_hasher.hpp"
#include "reverify/phc.hpp"

namespace {

using reverify::Argon2idHasher;
using reverify::Argon2idParams;
using reverify::Errc;
using reverify::PasswordMatch;
using reverify::SecretString;
using reverify::test::cheap_params;

// SecretString("literal") is ambiguous (string_view vs string&&); go through string_view.
SecretString secret(std::string_view text) { return SecretString(text); }

// Small parameters keep the suite fast; production defaults are tested for validity only.

std::shared_ptr<Argon2idHasher> make_hasher(Argon2idParams p = cheap_params()) {
  auto hasher = Argon2idHasher::create(p);
  REQUIRE(hasher);
  return *hasher;
}

// Made by hash-wasm 4.13 (npm), the library Logto itself uses, with Logto's parameters:
// argon2i({password: "logto-Passw0rd!", salt: bytes (i*37+11)&255, iterations: 8,
// parallelism: 1, memorySize: 8192, hashLength: 32, outputType: "encoded"}).
constexpr const char* logto_argon2i =
    "$argon2i$v=19$m=8192,t=8,p=1$CzBVep/E6Q4zWH2ix+wRNg$iTJIecQmwQy/1uK5m+OptdqqdsotLVhgPssuBr8ZWz8";
constexpr const char* logto_password = "logto-Passw0rd!";

}  // namespace

TEST_CASE("Argon2idHasher hashes in PHC form at its parameters and verifies the round trip", "[passwords][argon2id]") {
  auto hasher = make_hasher();
  auto stored = hasher->hash(secret("correct horse"));
  REQUIRE(stored);
  CHECK(stored->rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0) == 0);
  auto phc = reverify::parse_argon2_phc(*stored);
  REQUIRE(phc);
  CHECK(phc->salt.size() == 16);
  CHECK(phc->tag.size() == 32);

  auto check = hasher->verify(secret("correct horse"), *stored);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK_FALSE(check->needs_rehash);
  CHECK(check->detail.empty());

  // Two hashes of one password differ (random salt).
  auto again = hasher->hash(secret("correct horse"));
  REQUIRE(again);
  CHECK(*again != *stored);
}

TEST_CASE("Argon2idHasher rejects a wrong password", "[passwords][argon2id]") {
  auto hasher = make_hasher();
  auto stored = hasher->hash(secret("correct horse"));
  REQUIRE(stored);
  for (const char* wrong : {"correct horsf", "Correct horse", "correct horse ", "", "correct hors"}) {
    auto check = hasher->verify(secret(wrong), *stored);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::mismatch);
    CHECK_FALSE(check->needs_rehash);
  }
}

TEST_CASE("Argon2idHasher: no hash is no_hash, whatever the password", "[passwords][argon2id]") {
  auto hasher = make_hasher();
  for (const char* password : {"", "anything"}) {
    auto check = hasher->verify(secret(password), std::nullopt);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::no_hash);
    CHECK_FALSE(check->needs_rehash);
  }
}

TEST_CASE("Argon2idHasher: no hash and a malformed hash still compute Argon2 (the decoy), through the gate",
          "[passwords][argon2id][concurrency]") {
  // One compute slot, no wait: while another thread computes, any call that computes Argon2 is
  // refused with hasher_unavailable. A call that skipped the decoy would answer at once instead.
  Argon2idParams p = cheap_params();
  p.max_concurrent = 1;
  p.max_wait = std::chrono::milliseconds(0);
  auto hasher = make_hasher(p);
  const std::string probe_hash = hasher->hash(secret("pw")).value();
  // The holder verifies a well-formed hash at 128 passes: a mismatch, but a long computation.
  std::string slow_hash = probe_hash;
  const auto passes = slow_hash.find(",t=1,");
  REQUIRE(passes != std::string::npos);
  slow_hash.replace(passes, 5, ",t=128,");
  const auto slot_taken = [&] {
    auto probe = hasher->verify(secret("pw"), probe_hash);
    return !probe && probe.error() == Errc::hasher_unavailable;
  };

  // The holder takes the slot exactly once per round, so a probe refused before the decoys and
  // one refused after them prove it held the slot throughout. Otherwise (it finished in between)
  // the round proves nothing and is run again.
  bool conclusive = false;
  for (int round = 0; round < 10 && !conclusive; ++round) {
    std::atomic<bool> holder_done{false};
    std::thread holder([&] {
      for (;;) {  // a probe may hold the slot for a moment: try again until the slow hash ran
        auto check = hasher->verify(secret("pw"), slow_hash);
        if (check || check.error() != Errc::hasher_unavailable) break;
      }
      holder_done = true;
    });
    bool held = false;
    while (!held && !holder_done) {
      held = slot_taken();
      if (!held) std::this_thread::yield();  // let the holder in
    }
    if (!held) {
      holder.join();
      continue;
    }
    const auto no_hash = hasher->verify(secret("pw"), std::nullopt);
    const auto garbage = hasher->verify(secret("pw"), std::string_view("garbage"));
    const bool still_held = slot_taken();
    holder.join();
    if (!still_held) continue;
    conclusive = true;
    REQUIRE_FALSE(no_hash.has_value());
    CHECK(no_hash.error() == Errc::hasher_unavailable);
    REQUIRE_FALSE(garbage.has_value());
    CHECK(garbage.error() == Errc::hasher_unavailable);
  }
  REQUIRE(conclusive);
}

TEST_CASE("Argon2idHasher: malformed stored values are malformed with a secret-free detail", "[passwords][argon2id]") {
  auto hasher = make_hasher();
  auto good = hasher->hash(secret("pw"));
  REQUIRE(good);
  const std::string tag = good->substr(good->rfind('$') + 1);
  const std::vector<std::string> malformed = {
      "",
      "plaintext-password",
      "$argon2x$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=18$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=8192,t=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=8192,t=1,p=1,t=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA",
      "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag + "$extra",
      "$argon2id$v=19$m=8192,t=1,p=1$!!!notbase64!!!$" + tag,
      "$argon2id$v=19$m=8192,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      // Each within its own cap (1 GiB, 1024 passes), but 8 GiB and 5 GiB of memory passes.
      "$argon2id$v=19$m=8192,t=1024,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=1048576,t=5,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      // Valid PHC but outside libsodium: argon2d, p>1, 8-byte salt, argon2i with t<3.
      "$argon2d$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=8192,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$" + tag,
      "$argon2i$v=19$m=8192,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + tag,
      "$2b$10$abcdefghijklmnopqrstuu5Zbqmw9o1b0XyCe8.0h1Mh1YtWxb5vS",
  };
  for (const auto& value : malformed) {
    CAPTURE(value);
    auto check = hasher->verify(secret("pw"), value);
    REQUIRE(check);
    CHECK(check->result == PasswordMatch::malformed);
    CHECK_FALSE(check->detail.empty());
    CHECK(check->detail.find(tag) == std::string::npos);
    CHECK(check->detail.find("pw") == std::string::npos);
    CHECK_FALSE(check->needs_rehash);
  }
}

TEST_CASE("Argon2idHasher verifies Logto's argon2i form and asks for a rehash", "[passwords][argon2id][logto]") {
  auto hasher = make_hasher();
  auto check = hasher->verify(secret(logto_password), std::string_view(logto_argon2i));
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK(check->needs_rehash);

  auto wrong = hasher->verify(secret("logto-Passw0rd?"), std::string_view(logto_argon2i));
  REQUIRE(wrong);
  CHECK(wrong->result == PasswordMatch::mismatch);
  CHECK_FALSE(wrong->needs_rehash);

  // The upgrade: a fresh hash at current parameters, which verifies without a further rehash.
  auto upgraded = hasher->hash(secret(logto_password));
  REQUIRE(upgraded);
  auto after = hasher->verify(secret(logto_password), *upgraded);
  REQUIRE(after);
  CHECK(after->result == PasswordMatch::match);
  CHECK_FALSE(after->needs_rehash);
}

TEST_CASE("Argon2idHasher asks for a rehash of argon2id at other parameters", "[passwords][argon2id]") {
  Argon2idParams old_params = cheap_params();
  old_params.ops_limit = 2;
  auto old_hasher = make_hasher(old_params);
  auto stored = old_hasher->hash(secret("pw"));
  REQUIRE(stored);

  auto hasher = make_hasher();
  auto check = hasher->verify(secret("pw"), *stored);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK(check->needs_rehash);

  Argon2idParams bigger = cheap_params();
  bigger.mem_limit = std::size_t{16} * 1024 * 1024;
  auto check_mem = make_hasher(bigger)->verify(secret("pw"), *stored);
  REQUIRE(check_mem);
  CHECK(check_mem->result == PasswordMatch::match);
  CHECK(check_mem->needs_rehash);
}

TEST_CASE("Argon2idHasher rejects invalid parameters", "[passwords][argon2id]") {
  auto bad = [](auto mutate) {
    Argon2idParams p = cheap_params();
    mutate(p);
    auto hasher = Argon2idHasher::create(p);
    REQUIRE_FALSE(hasher);
    CHECK(hasher.error() == Errc::invalid_configuration);
  };
  bad([](Argon2idParams& p) { p.ops_limit = 0; });
  bad([](Argon2idParams& p) { p.ops_limit = 5000; });
  bad([](Argon2idParams& p) { p.mem_limit = 4096; });
  bad([](Argon2idParams& p) { p.mem_limit = 8U * 1024U * 1024U + 1U; });
  bad([](Argon2idParams& p) { p.mem_limit = std::size_t{2} * 1024U * 1024U * 1024U; });
  bad([](Argon2idParams& p) { p.max_concurrent = 0; });
  bad([](Argon2idParams& p) { p.max_wait = std::chrono::milliseconds(-1); });

  const Argon2idParams defaults;
  CHECK(defaults.ops_limit == 2);
  CHECK(defaults.mem_limit == std::size_t{64} * 1024 * 1024);
}

TEST_CASE("Argon2idHasher limits concurrent hashes, callers past max_wait get hasher_unavailable",
          "[passwords][argon2id][concurrency]") {
  Argon2idParams p = cheap_params();
  p.ops_limit = 3;
  p.mem_limit = std::size_t{32} * 1024 * 1024;
  p.max_concurrent = 1;
  p.max_wait = std::chrono::milliseconds(1);
  auto hasher = make_hasher(p);
  auto stored = hasher->hash(secret("pw"));
  REQUIRE(stored);

  constexpr int threads = 8;
  std::atomic<int> matched{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      // Half use the right password, half a wrong one: no answer may ever be the wrong one.
      const bool right = i % 2 == 0;
      auto check = hasher->verify(secret(right ? "pw" : "px"), *stored);
      if (!check) {
        (check.error() == Errc::hasher_unavailable ? unavailable : other)++;
        return;
      }
      const auto expected = right ? PasswordMatch::match : PasswordMatch::mismatch;
      (check->result == expected ? matched : other)++;
    });
  }
  go = true;
  for (auto& t : pool) t.join();
  CHECK(other == 0);
  CHECK(matched >= 1);
  CHECK(unavailable >= 1);
  CHECK(matched + unavailable == threads);

  // With a generous wait, everyone gets through one at a time.
  Argon2idParams patient = p;
  patient.max_wait = std::chrono::milliseconds(60'000);
  auto patient_hasher = make_hasher(patient);
  std::atomic<int> ok{0};
  pool.clear();
  for (int i = 0; i < 4; ++i) {
    pool.emplace_back([&] {
      auto check = patient_hasher->verify(secret("pw"), *stored);
      if (check && check->result == PasswordMatch::match) ok++;
    });
  }
  for (auto& t : pool) t.join();
  CHECK(ok == 4);
}

TEST_CASE("Argon2idHasher error messages carry no password or hash", "[passwords][argon2id]") {
  Argon2idParams p = cheap_params();
  p.max_concurrent = 1;
  p.max_wait = std::chrono::milliseconds(0);
  auto hasher = make_hasher(p);
  auto stored = hasher->hash(secret("s3cret-pw"));
  REQUIRE(stored);
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load()) (void)hasher->verify(secret("s3cret-pw"), *stored);
  });
  bool saw_error = false;
  for (int i = 0; i < 200 && !saw_error; ++i) {
    auto check = hasher->verify(secret("s3cret-pw"), *stored);
    if (!check) {
      saw_error = true;
      CHECK(check.error() == Errc::hasher_unavailable);
      CHECK(check.error().message().find("s3cret-pw") == std::string::npos);
      CHECK(check.error().message().find(stored->substr(30)) == std::string::npos);
    }
  }
  stop = true;
  busy.join();
  CHECK(saw_error);
}

TEST_CASE("Argon2idHasher verifies its own hashes when its parameters cost more than the stored-cost cap",
          "[passwords][argon2id]") {
  auto hasher = Argon2idHasher::create(reverify::test::just_above_stored_cap_params());
  REQUIRE(hasher);
  auto stored = (*hasher)->hash(secret("pw"));
  REQUIRE(stored);
  auto check = (*hasher)->verify(secret("pw"), *stored);
  REQUIRE(check);
  CHECK(check->result == PasswordMatch::match);
  CHECK_FALSE(check->needs_rehash);
  // A hasher at cheaper parameters refuses that hash as above its cap.
  auto cheap = make_hasher()->verify(secret("pw"), *stored);
  REQUIRE(cheap);
  CHECK(cheap->result == PasswordMatch::malformed);
}
