#include "reverify/policy.hpp"

#include <fmt/format.h>

#include "random_tokens.hpp"

namespace reverify {
namespace {

constexpr std::chrono::seconds min_duration{1};
constexpr std::chrono::seconds max_duration{24 * 3600};
constexpr std::chrono::seconds max_lockout{7 * 24 * 3600};

Result<void> check_duration(const char* name, std::chrono::seconds value, std::chrono::seconds max) {
  if (value < min_duration || value > max) {
    return fail(Errc::invalid_configuration, fmt::format("policy.{} must be between {} and {} seconds (got {})", name,
                                                         min_duration.count(), max.count(), value.count()));
  }
  return {};
}

Result<void> check_count(const char* name, std::uint32_t value, std::uint32_t min, std::uint32_t max) {
  if (value < min || value > max) {
    return fail(Errc::invalid_configuration,
                fmt::format("policy.{} must be between {} and {} (got {})", name, min, max, value));
  }
  return {};
}

}  // namespace

Result<void> Policy::validate() const {
  constexpr std::uint32_t max_count = 1'000'000;
  const Result<void> checks[] = {
      check_count("code_length", code_length, 4, static_cast<std::uint32_t>(detail::max_code_length)),
      check_duration("code_ttl", code_ttl, max_duration),
      check_count("max_code_attempts", max_code_attempts, 1, max_count),
      check_duration("record_ttl", record_ttl, max_duration),
      max_record_uses == 0 ? Result<void>{} : check_count("max_record_uses", max_record_uses, 1, max_count),
      check_count("lockout_failures", lockout_failures, 1, max_count),
      check_duration("lockout_window", lockout_window, max_duration),
      check_duration("lockout_duration", lockout_duration, max_lockout),
      check_count("send_limit", send_limit, 1, max_count),
      check_duration("send_window", send_window, max_duration),
  };
  for (const auto& check : checks) {
    if (!check) return check;
  }
  return {};
}

}  // namespace reverify
