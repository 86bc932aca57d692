#include "reverify/argon2id_hasher.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/argon2_cost.hpp"
#include "common/compute_slots.hpp"
#include "reverify/phc.hpp"

namespace reverify {
namespace {

constexpr std::size_t current_tag_bytes = 32;  // what crypto_pwhash_str writes

int sodium_alg(Argon2Variant variant) {
  return variant == Argon2Variant::argon2i ? crypto_pwhash_ALG_ARGON2I13 : crypto_pwhash_ALG_ARGON2ID13;
}

// libsodium's crypto_pwhash computes a subset of Argon2: version 0x13, one lane, a 16-byte salt,
// at least 16 output bytes, and (argon2i) at least 3 passes. Anything else is not ours to verify.
bool sodium_can_compute(const Argon2Phc& phc) {
  if (phc.variant == Argon2Variant::argon2d || phc.version != 0x13 || phc.parallelism != 1 || phc.has_key_id ||
      !phc.associated_data.empty()) {
    return false;
  }
  if (phc.salt.size() != crypto_pwhash_SALTBYTES || phc.tag.size() < crypto_pwhash_BYTES_MIN) return false;
  const std::uint64_t mem_bytes = static_cast<std::uint64_t>(phc.memory_kib) * 1024U;
  if (phc.variant == Argon2Variant::argon2i) {
    return phc.iterations >= crypto_pwhash_argon2i_OPSLIMIT_MIN && mem_bytes >= crypto_pwhash_argon2i_MEMLIMIT_MIN;
  }
  return phc.iterations >= crypto_pwhash_argon2id_OPSLIMIT_MIN && mem_bytes >= crypto_pwhash_argon2id_MEMLIMIT_MIN;
}

}  // namespace

using detail::ComputeSlots;
using detail::SlotGuard;

struct Argon2idHasher::Impl {
  explicit Impl(Argon2idParams p) : params(p), slots(p.max_concurrent) {}

  // Recomputes `phc` for `password` and compares in constant time. The caller checked that
  // libsodium can compute it.
  Result<bool> compute_and_compare(const SecretString& password, const Argon2Phc& phc) {
    const SlotGuard slot(slots, params.max_wait);
    if (!slot.held()) return fail(Errc::hasher_unavailable, "argon2: too many concurrent hashes; wait timed out");
    std::vector<unsigned char> out(phc.tag.size());
    const std::string_view pw = password.reveal();
    const int rc = crypto_pwhash(out.data(), out.size(), pw.data(), pw.size(), phc.salt.data(), phc.iterations,
                                 static_cast<std::size_t>(phc.memory_kib) * 1024U, sodium_alg(phc.variant));
    if (rc != 0) {
      sodium_memzero(out.data(), out.size());
      return fail(Errc::hasher_unavailable, "argon2: computation failed (out of memory?)");
    }
    const bool equal = sodium_memcmp(out.data(), phc.tag.data(), out.size()) == 0;
    sodium_memzero(out.data(), out.size());
    return equal;
  }

  // Costs what a wrong password against a current hash costs; the outcome is discarded.
  Result<PasswordCheck> decoy(const SecretString& password, PasswordMatch result, std::string detail) {
    auto compared = compute_and_compare(password, decoy_phc);
    if (!compared) return tl::unexpected<Error>(compared.error());
    PasswordCheck check;
    check.result = result;
    check.detail = std::move(detail);
    return check;
  }

  Argon2idParams params;
  ComputeSlots slots;
  Argon2Phc decoy_phc;
};

Argon2idHasher::Argon2idHasher(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Argon2idHasher::~Argon2idHasher() = default;

const Argon2idParams& Argon2idHasher::params() const noexcept { return impl_->params; }

Result<std::shared_ptr<Argon2idHasher>> Argon2idHasher::create(Argon2idParams params) {
  if (sodium_init() < 0) return fail(Errc::hasher_unavailable, "argon2id: libsodium failed to initialise");
  if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX || params.ops_limit > detail::max_stored_argon2_passes) {
    return fail(Errc::invalid_configuration, "argon2id: ops_limit outside 1..1024");
  }
  if (params.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX ||
      params.mem_limit / 1024U > detail::max_stored_argon2_memory_kib || params.mem_limit % 1024U != 0) {
    return fail(Errc::invalid_configuration, "argon2id: mem_limit must be a multiple of 1024 between 8 KiB and 1 GiB");
  }
  if (params.max_concurrent == 0)
    return fail(Errc::invalid_configuration, "argon2id: max_concurrent must be at least 1");
  if (params.max_wait.count() < 0) return fail(Errc::invalid_configuration, "argon2id: max_wait must not be negative");

  auto impl = std::make_unique<Impl>(params);
  // The decoy: a hash of a random password nobody knows, at current parameters.
  std::array<unsigned char, 32> secret{};
  randombytes_buf(secret.data(), secret.size());
  std::array<char, crypto_pwhash_STRBYTES> text{};
  const int rc = crypto_pwhash_str_alg(text.data(), reinterpret_cast<const char*>(secret.data()), secret.size(),
                                       params.ops_limit, params.mem_limit, crypto_pwhash_ALG_ARGON2ID13);
  sodium_memzero(secret.data(), secret.size());
  if (rc != 0) return fail(Errc::hasher_unavailable, "argon2id: could not compute the decoy hash (out of memory?)");
  auto decoy = parse_argon2_phc(text.data());
  if (!decoy) return fail(Errc::internal, "argon2id: libsodium produced an unparsable hash");
  impl->decoy_phc = std::move(*decoy);
  return std::make_shared<Argon2idHasher>(std::move(impl));
}

Result<std::string> Argon2idHasher::hash(const SecretString& password) {
  const SlotGuard slot(impl_->slots, impl_->params.max_wait);
  if (!slot.held()) return fail(Errc::hasher_unavailable, "argon2id: too many concurrent hashes; wait timed out");
  std::array<char, crypto_pwhash_STRBYTES> text{};
  const std::string_view pw = password.reveal();
  if (crypto_pwhash_str_alg(text.data(), pw.data(), pw.size(), impl_->params.ops_limit, impl_->params.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(Errc::hasher_unavailable, "argon2id: hashing failed (out of memory?)");
  }
  return std::string(text.data());
}

Result<PasswordCheck> Argon2idHasher::verify(const SecretString& password,
                                             std::optional<std::string_view> stored_hash) {
  if (!stored_hash) return impl_->decoy(password, PasswordMatch::no_hash, {});
  auto phc = parse_argon2_phc(*stored_hash);
  if (!phc) return impl_->decoy(password, PasswordMatch::malformed, phc.error().message());
  if (!sodium_can_compute(*phc)) {
    return impl_->decoy(password, PasswordMatch::malformed,
                        "argon2: parameters outside what this hasher computes (argon2d, v=16, p>1, "
                        "salt not 16 bytes, tag under 16 bytes, keyid/data, or argon2i with t<3)");
  }
  // Its own hashes always verify, even when its parameters cost more than the cap.
  const Argon2idParams& own = impl_->params;
  if (const char* refusal =
          detail::stored_argon2_cost_refusal(*phc, detail::allowed_stored_argon2_work(own.mem_limit, own.ops_limit))) {
    return impl_->decoy(password, PasswordMatch::malformed, refusal);
  }
  auto equal = impl_->compute_and_compare(password, *phc);
  if (!equal) return tl::unexpected<Error>(equal.error());
  PasswordCheck check;
  check.result = *equal ? PasswordMatch::match : PasswordMatch::mismatch;
  check.needs_rehash = *equal && !is_current(*phc);
  return check;
}

bool Argon2idHasher::is_current(const Argon2Phc& phc) const noexcept {
  const Argon2idParams& p = impl_->params;
  return phc.variant == Argon2Variant::argon2id && phc.version == 0x13 && phc.parallelism == 1 &&
         phc.iterations == p.ops_limit && static_cast<std::uint64_t>(phc.memory_kib) * 1024U == p.mem_limit &&
         phc.salt.size() == crypto_pwhash_SALTBYTES && phc.tag.size() == current_tag_bytes &&
         phc.associated_data.empty() && !phc.has_key_id;
}

}  // namespace reverify
