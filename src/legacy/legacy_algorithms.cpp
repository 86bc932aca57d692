#include "legacy_algorithms.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <limits>
#include <memory>

namespace reverify::legacy {
namespace {

constexpr std::uint32_t max_pbkdf2_iterations = 10'000'000;
constexpr std::uint32_t max_key_length = 1024;
constexpr std::uint32_t max_scrypt_rounds = 64;
constexpr std::uint32_t max_scrypt_mem_cost = 20;
constexpr std::uint64_t max_scrypt_bytes = 1024ULL * 1024ULL * 1024ULL;

tl::unexpected<Error> bad(const std::string& what) { return fail(Errc::invalid_input, "Legacy tuple: " + what); }

struct MdDeleter {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using Md = std::unique_ptr<EVP_MD, MdDeleter>;

Md fetch_digest(const std::string& name) { return Md(EVP_MD_fetch(nullptr, name.c_str(), nullptr)); }

std::optional<std::uint32_t> decimal(std::string_view text, std::uint32_t min, std::uint32_t max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10U + static_cast<std::uint64_t>(c - '0');
  }
  if (v < min || v > max) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  std::size_t len = 0;
  const char* end = nullptr;
  if (!hex.empty() && (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
                       end != hex.data() + hex.size() || len != out.size())) {
    return std::nullopt;
  }
  return out;
}

// Standard or URL-safe base64, padded or not (Firebase exports use either).
std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  const bool url = text.find_first_of("-_") != std::string_view::npos;
  std::vector<std::uint8_t> out(text.size() * 3 / 4 + 1);
  std::size_t len = 0;
  const char* end = nullptr;
  if (!text.empty() && (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                                          url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
                                              : sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
                        end != text.data() + text.size())) {
    return std::nullopt;
  }
  out.resize(text.empty() ? 0 : len);
  return out;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string to_base64(const unsigned char* data, std::size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

// Every "@" element is the password, and (for the KDFs) only the last one may be.
bool only_last_is_password(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "@") return false;
  }
  return !args.empty() && args.back() == "@";
}

Result<LegacyPlan> plan_pbkdf2(const LegacyTuple& t) {
  if (t.args.size() != 5 || !only_last_is_password(t.args)) {
    return bad("pbkdf2 args must be [salt, iterations, keylen, digest, \"@\"]");
  }
  Pbkdf2Plan p;
  const std::string_view salt = t.args[0];
  if (salt.substr(0, 4) == "hex:") {
    auto bytes = from_hex(salt.substr(4));
    if (!bytes) return bad("pbkdf2 salt after \"hex:\" is not hex");
    p.salt = std::move(*bytes);
  } else {
    p.salt.assign(salt.begin(), salt.end());
  }
  auto iterations = decimal(t.args[1], 1, max_pbkdf2_iterations);
  if (!iterations) return bad("pbkdf2 iterations not in 1..10000000");
  auto key_length = decimal(t.args[2], 1, max_key_length);
  if (!key_length) return bad("pbkdf2 keylen not in 1..1024");
  const Md md = fetch_digest(t.args[3]);
  if (!md) return bad("pbkdf2 digest unknown to OpenSSL");
  // PBKDF2 runs every iteration once per digest-sized block of the key: the cap is on the product,
  // or a long key would multiply a capped count (64 blocks of 10 million MD5s: minutes per verify).
  const auto digest_size = static_cast<std::uint64_t>(std::max(1, EVP_MD_get_size(md.get())));
  const std::uint64_t blocks = (*key_length + digest_size - 1) / digest_size;
  if (std::uint64_t{*iterations} * blocks > max_pbkdf2_iterations) {
    return bad("pbkdf2 iterations times key blocks over 10000000");
  }
  if (t.expected.size() != std::size_t{2} * *key_length || !is_lower_hex(t.expected)) {
    return bad("pbkdf2 expected value is not lowercase hex of keylen bytes");
  }
  p.iterations = *iterations;
  p.key_length = *key_length;
  p.digest = t.args[3];
  return LegacyPlan{std::move(p), t.expected};
}

Result<LegacyPlan> plan_firebase(const LegacyTuple& t) {
  if (t.args.size() != 6 || !only_last_is_password(t.args)) {
    return bad("firebase-scrypt args must be [salt, signerKey, saltSeparator, rounds, memCost, \"@\"]");
  }
  FirebaseScryptPlan p;
  auto salt = from_base64(t.args[0]);
  auto signer = from_base64(t.args[1]);
  auto separator = from_base64(t.args[2]);
  if (!salt || !signer || !separator || signer->empty())
    return bad("firebase-scrypt salt, signer key or separator is not base64");
  auto rounds = decimal(t.args[3], 1, max_scrypt_rounds);
  auto mem_cost = decimal(t.args[4], 1, max_scrypt_mem_cost);
  if (!rounds || !mem_cost) return bad("firebase-scrypt rounds not in 1..64 or memCost not in 1..20");
  if (128ULL * *rounds * (1ULL << *mem_cost) > max_scrypt_bytes) return bad("firebase-scrypt needs more than 1 GiB");
  // scrypt needs N < 2^(16 r) (RFC 7914); OpenSSL refuses anything else at every verify.
  if (*mem_cost >= 16U * *rounds) return bad("firebase-scrypt memCost must be below 16 times rounds");
  if (t.expected.size() != sodium_base64_ENCODED_LEN(signer->size(), sodium_base64_VARIANT_ORIGINAL) - 1 ||
      t.expected.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
          std::string::npos) {
    return bad("firebase-scrypt expected value is not base64 of the signer key's length");
  }
  p.salt_and_separator = std::move(*salt);
  p.salt_and_separator.insert(p.salt_and_separator.end(), separator->begin(), separator->end());
  p.signer_key = std::move(*signer);
  p.rounds = *rounds;
  p.mem_cost = *mem_cost;
  return LegacyPlan{std::move(p), t.expected};
}

Result<LegacyPlan> plan_digest(const LegacyTuple& t) {
  Md md = fetch_digest(t.algorithm);
  if (!md) return bad("algorithm unknown to OpenSSL");
  const int size = EVP_MD_get_size(md.get());
  if (size <= 0 || t.expected.size() != 2U * static_cast<std::size_t>(size) || !is_lower_hex(t.expected)) {
    return bad("expected value is not lowercase hex of the digest's length");
  }
  DigestPlan p;
  p.digest = t.algorithm;
  for (const auto& arg : t.args) p.parts.push_back(arg == "@" ? std::nullopt : std::optional<std::string>(arg));
  return LegacyPlan{std::move(p), t.expected};
}

Result<bool> run(const DigestPlan& p, const std::string& expected, std::string_view password) {
  std::vector<std::string_view> parts;
  for (const auto& part : p.parts) parts.push_back(part ? std::string_view(*part) : password);
  auto hex = hex_digest(p.digest, parts);
  if (!hex) return tl::unexpected<Error>(hex.error());
  std::string& digest = *hex;
  const bool equal = equal_constant_time(digest, expected);
  sodium_memzero(digest.data(), digest.size());
  return equal;
}

Result<bool> run(const Pbkdf2Plan& p, const std::string& expected, std::string_view password) {
  Md md = fetch_digest(p.digest);
  if (!md) return fail(Errc::hasher_unavailable, "legacy: OpenSSL digest unavailable");
  if (password.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  std::vector<unsigned char> out(p.key_length);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), p.salt.data(),
                        static_cast<int>(p.salt.size()), static_cast<int>(p.iterations), md.get(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    return fail(Errc::hasher_unavailable, "legacy: PBKDF2 failed");
  }
  std::string hex = to_hex(out.data(), out.size());
  sodium_memzero(out.data(), out.size());
  const bool equal = equal_constant_time(hex, expected);
  sodium_memzero(hex.data(), hex.size());
  return equal;
}

Result<bool> run(const FirebaseScryptPlan& p, const std::string& expected, std::string_view password) {
  unsigned char key[32];
  const std::uint64_t n = 1ULL << p.mem_cost;
  const std::uint64_t need = 128ULL * p.rounds * n + 128ULL * p.rounds + 1024ULL * 1024ULL;
  if (EVP_PBE_scrypt(password.data(), password.size(), p.salt_and_separator.data(), p.salt_and_separator.size(), n,
                     p.rounds, 1, need, key, sizeof key) != 1) {
    return fail(Errc::hasher_unavailable, "legacy: scrypt failed (out of memory?)");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  const unsigned char iv[16] = {};
  std::vector<unsigned char> out(p.signer_key.size() + 16);
  int len = 0;
  int final_len = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key, iv) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, p.signer_key.data(), static_cast<int>(p.signer_key.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) == 1;
  sodium_memzero(key, sizeof key);
  if (!ok) return fail(Errc::hasher_unavailable, "legacy: AES-256-CTR failed");
  const std::string b64 = to_base64(out.data(), static_cast<std::size_t>(len) + static_cast<std::size_t>(final_len));
  return equal_constant_time(b64, expected);
}

}  // namespace

bool is_lower_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> hex_digest(const std::string& digest, const std::vector<std::string_view>& parts) {
  Md md = fetch_digest(digest);
  if (!md) return fail(Errc::invalid_input, "legacy: digest unknown to OpenSSL");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1)
    return fail(Errc::hasher_unavailable, "legacy: digest init failed");
  for (const auto part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1)
      return fail(Errc::hasher_unavailable, "legacy: digest failed");
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) return fail(Errc::hasher_unavailable, "legacy: digest failed");
  std::string hex = to_hex(out, len);
  sodium_memzero(out, sizeof out);
  return hex;
}

Result<LegacyPlan> plan_legacy(const LegacyTuple& tuple) {
  if (tuple.algorithm == "pbkdf2" || tuple.algorithm == "pbkdf2Sync") return plan_pbkdf2(tuple);
  if (tuple.algorithm == "firebase-scrypt") return plan_firebase(tuple);
  return plan_digest(tuple);
}

Result<bool> run_legacy(const LegacyPlan& plan, std::string_view password) {
  return std::visit([&](const auto& how) { return run(how, plan.expected, password); }, plan.how);
}

}  // namespace reverify::legacy
