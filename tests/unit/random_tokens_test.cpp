#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <stdexcept>

#include "random_tokens.hpp"

TEST_CASE("record ids are 21 characters of [0-9a-z]") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto tokens = reverify::detail::draw_tokens(6);
    REQUIRE(tokens.record_id.size() == reverify::record_id_length);
    for (const char c : tokens.record_id) REQUIRE(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')));
    seen.insert(tokens.record_id);
  }
  CHECK(seen.size() == 2000);
}

TEST_CASE("codes have the requested number of digits") {
  for (const std::size_t length : {4u, 6u, 8u, 12u}) {
    const auto tokens = reverify::detail::draw_tokens(length);
    REQUIRE(tokens.code.size() == length);
    for (const char c : tokens.code.reveal()) REQUIRE((c >= '0' && c <= '9'));
  }
  CHECK(reverify::detail::draw_tokens(0).code.empty());
  CHECK(reverify::detail::draw_tokens(reverify::detail::max_code_length).code.size() ==
        reverify::detail::max_code_length);
  // Never a silently shorter code.
  CHECK_THROWS_AS(reverify::detail::draw_tokens(reverify::detail::max_code_length + 1), std::length_error);
}

TEST_CASE("code digits are uniform (chi-square, 9 degrees of freedom)") {
  std::array<int, 10> counts{};
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const auto tokens = reverify::detail::draw_tokens(6);
    for (const char c : tokens.code.reveal()) counts[static_cast<std::size_t>(c - '0')]++;
  }
  const double expected = draws * 6 / 10.0;
  double chi2 = 0;
  for (const int n : counts) chi2 += (n - expected) * (n - expected) / expected;
  // p = 0.0001 critical value for 9 degrees of freedom is 33.7.
  CHECK(chi2 < 33.7);
}

TEST_CASE("id characters are uniform (chi-square, 35 degrees of freedom)") {
  std::array<int, 36> counts{};
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    for (const char c : reverify::detail::draw_tokens(0).record_id) {
      counts[static_cast<std::size_t>(c <= '9' ? c - '0' : c - 'a' + 10)]++;
    }
  }
  const double expected = draws * 21 / 36.0;
  double chi2 = 0;
  for (const int n : counts) chi2 += (n - expected) * (n - expected) / expected;
  // p = 0.0001 critical value for 35 degrees of freedom is 73.4.
  CHECK(chi2 < 73.4);
}
