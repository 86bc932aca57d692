#include "argon2_reference.hpp"

#include <argon2.h>
#include <sodium.h>

#include <cstdint>
#include <vector>

#include "common/argon2_cost.hpp"
#include "legacy_algorithms.hpp"

namespace reverify::legacy {
namespace {

argon2_type to_type(Argon2Variant v) {
  switch (v) {
    case Argon2Variant::argon2d:
      return Argon2_d;
    case Argon2Variant::argon2i:
      return Argon2_i;
    case Argon2Variant::argon2id:
      return Argon2_id;
  }
  return Argon2_id;
}

}  // namespace

Result<void> check_argon2_cost(const Argon2Phc& phc, std::uint64_t allowed_work) {
  if (phc.has_key_id) return fail(Errc::invalid_input, "argon2: keyid needs a secret key this hasher does not have");
  if (const char* refusal = reverify::detail::stored_argon2_cost_refusal(phc, allowed_work)) {
    return fail(Errc::invalid_input, refusal);
  }
  return {};
}

Result<bool> argon2_matches(std::string_view password, const Argon2Phc& phc, std::uint64_t allowed_work) {
  if (auto ok = check_argon2_cost(phc, allowed_work); !ok) return tl::unexpected<Error>(ok.error());
  if (password.size() > ARGON2_MAX_PWD_LENGTH) return false;
  std::vector<std::uint8_t> pwd(password.begin(), password.end());
  std::vector<std::uint8_t> salt = phc.salt;
  std::vector<std::uint8_t> ad = phc.associated_data;
  std::vector<std::uint8_t> out(phc.tag.size());
  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<std::uint32_t>(out.size());
  ctx.pwd = pwd.empty() ? nullptr : pwd.data();
  ctx.pwdlen = static_cast<std::uint32_t>(pwd.size());
  ctx.salt = salt.data();
  ctx.saltlen = static_cast<std::uint32_t>(salt.size());
  ctx.ad = ad.empty() ? nullptr : ad.data();
  ctx.adlen = static_cast<std::uint32_t>(ad.size());
  ctx.t_cost = phc.iterations;
  ctx.m_cost = phc.memory_kib;
  ctx.lanes = phc.parallelism;
  ctx.threads = 1;  // lanes are computed one after another: one verify never takes every core
  ctx.version = phc.version;
  ctx.flags = ARGON2_DEFAULT_FLAGS;
  const int rc = argon2_ctx(&ctx, to_type(phc.variant));
  if (!pwd.empty()) sodium_memzero(pwd.data(), pwd.size());
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) return fail(Errc::hasher_unavailable, "argon2: out of memory");
  if (rc != ARGON2_OK)
    return fail(Errc::invalid_input,
                std::string("argon2: libargon2 refused the parameters: ") + argon2_error_message(rc));
  const bool equal = sodium_memcmp(out.data(), phc.tag.data(), out.size()) == 0;
  sodium_memzero(out.data(), out.size());
  return equal;
}

}  // namespace reverify::legacy
