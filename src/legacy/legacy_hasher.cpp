#include "reverify/legacy/legacy_hasher.hpp"

#include <cctype>
#include <string>

#include "argon2_reference.hpp"
#include "bcrypt.hpp"
#include "compute_slots.hpp"
#include "legacy_algorithms.hpp"
#include "legacy_tuple.hpp"
#include "reverify/phc.hpp"
#include "stored_format.hpp"

namespace reverify::legacy {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_lower_hex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

struct UnsaltedDigest {
  const char* digest;
  std::size_t hex_length;
};

UnsaltedDigest unsalted(StoredKind kind) {
  switch (kind) {
    case StoredKind::md5: return {"MD5", 32};
    case StoredKind::sha1: return {"SHA1", 40};
    default: return {"SHA256", 64};
  }
}

Result<LegacyPlan> parse_and_plan(std::string_view json) {
  auto tuple = parse_legacy_tuple(json);
  if (!tuple) return tl::unexpected<Error>(tuple.error());
  return plan_legacy(*tuple);
}

// Match or mismatch; Errc::invalid_input means the stored value is unusable (malformed).
Result<bool> compute(std::string_view password, const StoredValue& value) {
  switch (value.kind) {
    case StoredKind::argon2: {
      auto phc = parse_argon2_phc(value.body);
      if (!phc) return tl::unexpected<Error>(phc.error());
      return argon2_matches(password, *phc);
    }
    case StoredKind::bcrypt: {
      if (auto ok = check_bcrypt(value.body); !ok) return tl::unexpected<Error>(ok.error());
      return bcrypt_matches(password, value.body);
    }
    case StoredKind::md5:
    case StoredKind::sha1:
    case StoredKind::sha256: {
      const UnsaltedDigest d = unsalted(value.kind);
      if (!is_lower_hex(value.body, d.hex_length)) return fail(Errc::invalid_input, "digest: not lowercase hex of the digest's length");
      auto hex = hex_digest(d.digest, {password});
      if (!hex) return tl::unexpected<Error>(hex.error());
      return equal_constant_time(*hex, value.body);
    }
    case StoredKind::legacy: {
      auto plan = parse_and_plan(value.body);
      if (!plan) return tl::unexpected<Error>(plan.error());
      return run_legacy(*plan, password);
    }
    case StoredKind::unknown: break;
  }
  return fail(Errc::invalid_input, "unrecognised stored hash format");
}

}  // namespace

struct LegacyHasher::Impl {
  explicit Impl(std::shared_ptr<Argon2idHasher> c) : current(std::move(c)), slots(current->params().max_concurrent) {}

  // Argon2id exactly as the wrapped hasher writes it: that hasher verifies it.
  bool is_current(const Argon2Phc& phc) const {
    const Argon2idParams& p = current->params();
    return phc.variant == Argon2Variant::argon2id && phc.version == 0x13 && phc.parallelism == 1 &&
           phc.iterations == p.ops_limit && static_cast<std::uint64_t>(phc.memory_kib) * 1024U == p.mem_limit &&
           phc.salt.size() == 16 && phc.tag.size() == 32 && phc.associated_data.empty() && !phc.has_key_id;
  }

  // One decoy Argon2id verify at current parameters, then `result`.
  Result<PasswordCheck> after_decoy(const SecretString& password, PasswordMatch result, std::string detail) {
    auto decoy = current->verify(password, std::nullopt);
    if (!decoy) return tl::unexpected<Error>(decoy.error());
    PasswordCheck check;
    check.result = result;
    check.detail = std::move(detail);
    return check;
  }

  std::shared_ptr<Argon2idHasher> current;
  ComputeSlots slots;
};

LegacyHasher::LegacyHasher(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
LegacyHasher::~LegacyHasher() = default;

Result<std::shared_ptr<LegacyHasher>> LegacyHasher::create(std::shared_ptr<Argon2idHasher> current) {
  if (!current) return fail(Errc::invalid_configuration, "LegacyHasher: the Argon2idHasher is null");
  return std::make_shared<LegacyHasher>(std::make_unique<Impl>(std::move(current)));
}

Result<std::string> LegacyHasher::hash(const SecretString& password) { return impl_->current->hash(password); }

Result<PasswordCheck> LegacyHasher::verify(const SecretString& password, std::optional<std::string_view> stored_hash) {
  if (!stored_hash) return impl_->current->verify(password, std::nullopt);
  const StoredValue value = classify_stored(*stored_hash);
  if (value.kind == StoredKind::argon2) {
    auto phc = parse_argon2_phc(value.body);
    if (phc && impl_->is_current(*phc)) return impl_->current->verify(password, stored_hash);
  }
  Result<bool> outcome = false;
  {
    const SlotGuard slot(impl_->slots, impl_->current->params().max_wait);
    if (!slot.held()) return fail(Errc::hasher_unavailable, "legacy: too many concurrent hashes; wait timed out");
    outcome = compute(password.reveal(), value);
  }
  if (!outcome) {
    if (outcome.error() != Errc::invalid_input) return tl::unexpected<Error>(outcome.error());
    return impl_->after_decoy(password, PasswordMatch::malformed, outcome.error().message());
  }
  if (!*outcome) return impl_->after_decoy(password, PasswordMatch::mismatch, {});
  PasswordCheck check;
  check.result = PasswordMatch::match;
  check.needs_rehash = true;
  return check;
}

Result<std::string> to_stored_hash(std::string_view method, std::string_view hash) {
  if (equals_ignore_case(method, "Argon2i") || equals_ignore_case(method, "Argon2id") || equals_ignore_case(method, "Argon2d")) {
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
  for (const Unsalted& u : {Unsalted{"MD5", md5_prefix, 32}, Unsalted{"SHA1", sha1_prefix, 40}, Unsalted{"SHA256", sha256_prefix, 64}}) {
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
  return fail(Errc::invalid_input, "unknown password encryption method (expected Argon2i, Argon2id, Argon2d, Bcrypt, MD5, SHA1, SHA256 or Legacy)");
}

}  // namespace reverify::legacy
