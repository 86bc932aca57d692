#include "reverify/legacy/legacy_hasher.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "argon2_reference.hpp"
#include "bcrypt.hpp"
#include "common/compute_slots.hpp"
#include "legacy_algorithms.hpp"
#include "legacy_tuple.hpp"
#include "reverify/phc.hpp"
#include "stored_format.hpp"

namespace reverify::legacy {

using detail::ComputeSlots;
using detail::SlotGuard;

namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_lower_hex(std::string_view s, std::size_t length) { return s.size() == length && legacy::is_lower_hex(s); }

struct UnsaltedDigest {
  const char* digest;
  std::size_t hex_length;
};

UnsaltedDigest unsalted(StoredKind kind) {
  switch (kind) {
    case StoredKind::md5:
      return {"MD5", 32};
    case StoredKind::sha1:
      return {"SHA1", 40};
    default:
      return {"SHA256", 64};
  }
}

Result<LegacyPlan> parse_and_plan(std::string_view json) {
  auto tuple = parse_legacy_tuple(json);
  if (!tuple) return tl::unexpected<Error>(tuple.error());
  return plan_legacy(*tuple);
}

// Match or mismatch; Errc::invalid_input means the stored value is unusable (malformed).
// `argon2_work`: the memory x passes an Argon2 value may cost.
Result<bool> compute(std::string_view password, const StoredValue& value, std::uint64_t argon2_work) {
  switch (value.kind) {
    case StoredKind::argon2: {
      auto phc = parse_argon2_phc(value.body);
      if (!phc) return tl::unexpected<Error>(phc.error());
      return argon2_matches(password, *phc, argon2_work);
    }
    case StoredKind::bcrypt: {
      if (auto ok = check_bcrypt(value.body); !ok) return tl::unexpected<Error>(ok.error());
      return bcrypt_matches(password, value.body);
    }
    case StoredKind::md5:
    case StoredKind::sha1:
    case StoredKind::sha256: {
      const UnsaltedDigest d = unsalted(value.kind);
      if (!is_lower_hex(value.body, d.hex_length))
        return fail(Errc::invalid_input, "digest: not lowercase hex of the digest's length");
      auto hex = hex_digest(d.digest, {password});
      if (!hex) return tl::unexpected<Error>(hex.error());
      return equal_constant_time(*hex, value.body);
    }
    case StoredKind::legacy: {
      auto plan = parse_and_plan(value.body);
      if (!plan) return tl::unexpected<Error>(plan.error());
      return run_legacy(*plan, password);
    }
    case StoredKind::unknown:
      break;
  }
  return fail(Errc::invalid_input, "unrecognised stored hash format");
}

}  // namespace

using Clock = std::chrono::steady_clock;

struct LegacyHasher::Impl {
  Impl(std::shared_ptr<Argon2idHasher> c, LegacyTimingOptions t)
      : current(std::move(c)), slots(current->params().max_concurrent), timing(std::move(t)) {
    if (!timing.wait_until)
      timing.wait_until = [](Clock::time_point deadline) { std::this_thread::sleep_until(deadline); };
  }

  // Argon2id exactly as the wrapped hasher writes it: that hasher verifies it.
  bool is_current(const Argon2Phc& phc) const { return current->is_current(phc); }

  // A verify by the wrapped hasher (a current hash, or its no-hash decoy); its wall time since
  // `start` is what every other non-match is measured against, so it feeds the estimate.
  Result<PasswordCheck> current_verify(const SecretString& password, std::optional<std::string_view> stored,
                                       Clock::time_point start) {
    auto check = current->verify(password, stored);
    if (check) timing.estimate->record(Clock::now() - start);
    return check;
  }

  // The format's own check (begun at `start`) said no. A cheap check is followed by a decoy,
  // which costs exactly what the real thing does; a costly one is padded to the estimate,
  // since check + decoy would overshoot it. The caller released its slot before this.
  Result<PasswordCheck> non_match(const SecretString& password, PasswordMatch result, std::string detail,
                                  Clock::time_point start) {
    const VerifyTimeEstimate::Duration target = timing.estimate->target();
    const auto elapsed = Clock::now() - start;
    if (std::chrono::duration<double>(elapsed) < std::chrono::duration<double>(target) * timing.decoy_below) {
      auto decoy = current_verify(password, std::nullopt, Clock::now());
      if (!decoy) return tl::unexpected<Error>(decoy.error());
    } else if (const Clock::time_point deadline = start + target; Clock::now() < deadline) {
      timing.wait_until(deadline);
    }
    PasswordCheck check;
    check.result = result;
    check.detail = std::move(detail);
    return check;
  }

  std::shared_ptr<Argon2idHasher> current;
  ComputeSlots slots;
  LegacyTimingOptions timing;
};

LegacyHasher::LegacyHasher(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LegacyHasher::~LegacyHasher() = default;

namespace {

constexpr int seed_decoys = 3;

// Times a few decoys now: their median anchors the floor (half) and the ceiling (eight times)
// of the estimate, and they are its first samples.
Result<std::shared_ptr<VerifyTimeEstimate>> seeded_estimate(Argon2idHasher& current) {
  const SecretString probe(std::string_view("reverify timing seed"));
  std::vector<VerifyTimeEstimate::Duration> samples;
  for (int i = 0; i < seed_decoys; ++i) {
    const auto start = Clock::now();
    auto decoy = current.verify(probe, std::nullopt);
    if (!decoy) return tl::unexpected<Error>(decoy.error());
    samples.push_back(std::chrono::duration_cast<VerifyTimeEstimate::Duration>(Clock::now() - start));
  }
  std::sort(samples.begin(), samples.end());
  const VerifyTimeEstimate::Duration median = std::max(samples[samples.size() / 2], VerifyTimeEstimate::Duration(2));
  auto estimate = VerifyTimeEstimate::create(median / 2, median * 8);
  if (!estimate) return estimate;
  for (const auto sample : samples) (*estimate)->record(sample);
  return estimate;
}

}  // namespace

Result<std::shared_ptr<LegacyHasher>> LegacyHasher::create(std::shared_ptr<Argon2idHasher> current,
                                                           LegacyTimingOptions timing) {
  if (!current) return fail(Errc::invalid_configuration, "LegacyHasher: the Argon2idHasher is null");
  if (!(timing.decoy_below >= 0.0 && timing.decoy_below <= 1.0)) {
    return fail(Errc::invalid_configuration, "LegacyHasher: decoy_below outside [0, 1]");
  }
  if (!timing.estimate) {
    auto estimate = seeded_estimate(*current);
    if (!estimate) return tl::unexpected<Error>(estimate.error());
    timing.estimate = std::move(*estimate);
  }
  return std::make_shared<LegacyHasher>(std::make_unique<Impl>(std::move(current), std::move(timing)));
}

Result<std::string> LegacyHasher::hash(const SecretString& password) { return impl_->current->hash(password); }

const std::shared_ptr<VerifyTimeEstimate>& LegacyHasher::timing_estimate() const noexcept {
  return impl_->timing.estimate;
}

Result<PasswordCheck> LegacyHasher::verify(const SecretString& password, std::optional<std::string_view> stored_hash) {
  const Clock::time_point start = Clock::now();
  if (!stored_hash) return impl_->current_verify(password, std::nullopt, start);
  const StoredValue value = classify_stored(*stored_hash);
  if (value.kind == StoredKind::argon2) {
    auto phc = parse_argon2_phc(value.body);
    if (phc && impl_->is_current(*phc)) return impl_->current_verify(password, stored_hash, start);
  }
  Result<bool> outcome = false;
  {
    const Argon2idParams& own = impl_->current->params();
    const SlotGuard slot(impl_->slots, own.max_wait);
    if (!slot.held()) return fail(Errc::hasher_unavailable, "legacy: too many concurrent hashes; wait timed out");
    // As Argon2idHasher does: hashes made at earlier parameters of this hasher's kind still verify
    // when its own parameters cost more than the cap for imported ones.
    outcome = compute(password.reveal(), value, detail::allowed_stored_argon2_work(own.mem_limit, own.ops_limit));
  }
  if (!outcome) {
    if (outcome.error() != Errc::invalid_input) return tl::unexpected<Error>(outcome.error());
    return impl_->non_match(password, PasswordMatch::malformed, outcome.error().message(), start);
  }
  if (!*outcome) return impl_->non_match(password, PasswordMatch::mismatch, {}, start);
  PasswordCheck check;
  check.result = PasswordMatch::match;
  check.needs_rehash = true;
  return check;
}

Result<std::string> to_stored_hash(std::string_view method, std::string_view hash) {
  if (equals_ignore_case(method, "Argon2i") || equals_ignore_case(method, "Argon2id") ||
      equals_ignore_case(method, "Argon2d")) {
    auto phc = parse_argon2_phc(hash);
    if (!phc) return tl::unexpected<Error>(phc.error());
    if (auto ok = check_argon2_cost(*phc); !ok) return tl::unexpected<Error>(ok.error());
    return std::string(hash);
  }
  if (equals_ignore_case(method, "Bcrypt")) {
    if (auto ok = check_bcrypt(hash); !ok) return tl::unexpected<Error>(ok.error());
    return std::string(hash);
  }
  struct Unsalted {
    std::string_view method;
    std::string_view prefix;
    std::size_t hex_length;
  };
  for (const Unsalted& u :
       {Unsalted{"MD5", md5_prefix, 32}, Unsalted{"SHA1", sha1_prefix, 40}, Unsalted{"SHA256", sha256_prefix, 64}}) {
    if (!equals_ignore_case(method, u.method)) continue;
    if (!is_lower_hex(hash, u.hex_length)) {
      return fail(Errc::invalid_input, std::string(u.method) + " hash is not lowercase hex of the digest's length");
    }
    return std::string(u.prefix) + std::string(hash);
  }
  if (equals_ignore_case(method, "Legacy")) {
    auto plan = parse_and_plan(hash);
    if (!plan) return tl::unexpected<Error>(plan.error());
    return std::string(legacy_prefix) + std::string(hash);
  }
  return fail(
      Errc::invalid_input,
      "unknown password encryption method (expected Argon2i, Argon2id, Argon2d, Bcrypt, MD5, SHA1, SHA256 or Legacy)");
}

}  // namespace reverify::legacy
