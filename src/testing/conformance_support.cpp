#include "conformance_support.hpp"

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

namespace reverify::testing::detail {
namespace {

std::string hex(const Digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0xf]);
  }
  return out;
}

std::string describe(const std::optional<Digest>& digest) { return digest ? hex(*digest) : "none"; }

}  // namespace

std::string test_id(std::uint64_t n) {
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id(record_id_length, '0');
  id[0] = 't';
  for (std::size_t i = record_id_length; i-- > 1 && n != 0; n /= 36) id[i] = alphabet[n % 36];
  return id;
}

Digest test_digest(std::uint32_t seed) {
  Digest digest{};
  std::uint64_t state = 0x9e3779b97f4a7c15ULL ^ seed;
  for (auto& byte : digest) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    byte = static_cast<unsigned char>(state >> 56);
  }
  return digest;
}

VerificationRecord code_record(std::string id, std::string user) {
  VerificationRecord record;
  record.id = std::move(id);
  record.user_id = std::move(user);
  record.kind = RecordKind::email_verification_code;
  record.template_type = TemplateType::user_permission_validation;
  record.identifier = "Ann@Example.com";
  record.identifier_key = "ann@example.com";
  record.code_digest = test_digest(1);
  record.pepper_id = 7;
  record.created_at = t0;
  record.expires_at = t0 + std::chrono::seconds(600);
  record.code_expires_at = t0 + std::chrono::seconds(300);
  return record;
}

VerificationRecord password_record(std::string id, std::string user) {
  VerificationRecord record;
  record.id = std::move(id);
  record.user_id = std::move(user);
  record.kind = RecordKind::password;
  record.created_at = t0;
  record.expires_at = t0 + std::chrono::seconds(600);
  record.verified = true;
  return record;
}

std::string describe(const VerificationRecord& r) {
  std::ostringstream out;
  out << "{id=" << r.id << " user=" << r.user_id << " kind=" << static_cast<int>(r.kind)
      << " template=" << static_cast<int>(r.template_type) << " identifier=" << r.identifier
      << " key=" << r.identifier_key << " purpose=" << r.purpose << " binding=" << describe(r.binding_digest)
      << " code=" << describe(r.code_digest) << " pepper=" << r.pepper_id << " attempts=" << r.attempts
      << " uses=" << r.use_count << " created=" << to_unix_ms(r.created_at) << " expires=" << to_unix_ms(r.expires_at)
      << " code_expires=" << to_unix_ms(r.code_expires_at) << " verified=" << r.verified << " retired=" << r.retired
      << "}";
  return out.str();
}

void check_same_record(const VerificationRecord& actual, const VerificationRecord& expected) {
  INFO("expected " << describe(expected));
  INFO("actual   " << describe(actual));
  CHECK(actual.id == expected.id);
  CHECK(actual.user_id == expected.user_id);
  CHECK(actual.kind == expected.kind);
  CHECK(actual.template_type == expected.template_type);
  CHECK(actual.identifier == expected.identifier);
  CHECK(actual.identifier_key == expected.identifier_key);
  CHECK(actual.purpose == expected.purpose);
  CHECK(actual.binding_digest == expected.binding_digest);
  CHECK(actual.code_digest == expected.code_digest);
  CHECK(actual.pepper_id == expected.pepper_id);
  CHECK(actual.attempts == expected.attempts);
  CHECK(actual.use_count == expected.use_count);
  CHECK(to_unix_ms(actual.created_at) == to_unix_ms(expected.created_at));
  CHECK(to_unix_ms(actual.expires_at) == to_unix_ms(expected.expires_at));
  CHECK(to_unix_ms(actual.code_expires_at) == to_unix_ms(expected.code_expires_at));
  CHECK(actual.verified == expected.verified);
  CHECK(actual.retired == expected.retired);
}

unsigned run_threads(unsigned threads, const std::function<void(unsigned)>& body) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::atomic<unsigned> thrown{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      try {
        body(t);
      } catch (...) {
        thrown.fetch_add(1);
      }
    });
  }
  while (ready.load() != threads) std::this_thread::yield();
  go.store(true);
  for (auto& thread : pool) thread.join();
  return thrown.load();
}

}  // namespace reverify::testing::detail
