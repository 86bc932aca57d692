#include <catch2/catch.hpp>

#include "reverify/policy.hpp"

using namespace std::chrono_literals;

TEST_CASE("default policy is Logto's and valid") {
  const reverify::Policy p;
  CHECK(p.code_length == 6);
  CHECK(p.code_ttl == 600s);
  CHECK(p.max_code_attempts == 10);
  CHECK(p.record_ttl == 600s);
  CHECK(p.max_record_uses == 0);
  CHECK(p.lockout_failures == 100);
  CHECK(p.lockout_window == 3600s);
  CHECK(p.lockout_duration == 3600s);
  CHECK(p.send_limit == 10);
  CHECK(p.send_window == 600s);
  CHECK(p.retire_previous_codes);
  CHECK(p.validate().has_value());
}

TEST_CASE("policy bounds: durations 1 s to 24 h, lockout up to 7 days, counts from 1") {
  auto rejects = [](auto mutate) {
    reverify::Policy p;
    mutate(p);
    const auto result = p.validate();
    return !result && result.error() == reverify::Errc::invalid_configuration;
  };
  CHECK(rejects([](auto& p) { p.code_ttl = 0s; }));
  CHECK(rejects([](auto& p) { p.code_ttl = 86401s; }));
  CHECK(rejects([](auto& p) { p.record_ttl = 0s; }));
  CHECK(rejects([](auto& p) { p.max_code_attempts = 0; }));
  CHECK(rejects([](auto& p) { p.lockout_failures = 0; }));
  CHECK(rejects([](auto& p) { p.lockout_duration = 7 * 86400s + 1s; }));
  CHECK(rejects([](auto& p) { p.send_limit = 0; }));
  CHECK(rejects([](auto& p) { p.send_window = 0s; }));
  CHECK(rejects([](auto& p) { p.code_length = 3; }));
  CHECK(rejects([](auto& p) { p.code_length = 13; }));

  reverify::Policy tiny;
  tiny.code_ttl = 1s;
  tiny.record_ttl = 1s;
  tiny.lockout_duration = 7 * 86400s;
  tiny.code_ttl = 3600s;  // longer than the record: allowed, the record bounds it
  tiny.max_code_attempts = 1;
  CHECK(tiny.validate().has_value());
}

TEST_CASE("policy errors name the field") {
  reverify::Policy p;
  p.send_window = 0s;
  CHECK(p.validate().error().message().find("send_window") != std::string::npos);
}
