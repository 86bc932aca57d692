// Invariant 4: codes, passwords and peppers never appear in errors, events, formatted records
// or what the store holds.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "manager_fixture.hpp"
#include "reverify/fmt.hpp"

using namespace reverify;

namespace {

class CapturingStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<bool> insert(const VerificationRecord& record) override {
    inserted.push_back(record);
    return StoreWrapper::insert(record);
  }
  Result<OpenResult> open_code(const VerificationRecord& record, const SendLimit& limit, bool retire_previous,
                               Timestamp now) override {
    inserted.push_back(record);
    return StoreWrapper::open_code(record, limit, retire_previous, now);
  }
  std::vector<VerificationRecord> inserted;
};

std::string bytes_of(const VerificationRecord& r) {
  // Everything a store could persist, as raw bytes.
  std::string all = r.id + r.user_id + r.identifier + r.identifier_key + r.purpose;
  if (r.code_digest) all.append(reinterpret_cast<const char*>(r.code_digest->data()), r.code_digest->size());
  if (r.binding_digest) all.append(reinterpret_cast<const char*>(r.binding_digest->data()), r.binding_digest->size());
  return all;
}

/// The forms a pepper could be printed in: its first bytes raw, as hex and as base64 (every variant).
std::vector<std::string> pepper_forms(const std::string& pepper) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(pepper.data());
  std::vector<std::string> forms{pepper.substr(0, 8)};
  std::array<char, 17> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes, 8);
  forms.emplace_back(hex.data());
  for (const int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_URLSAFE}) {
    std::array<char, 64> b64{};
    sodium_bin2base64(b64.data(), b64.size(), bytes, 12, variant);  // 12 bytes: 16 characters, no padding
    forms.emplace_back(b64.data());
  }
  return forms;
}

}  // namespace

TEST_CASE("no code, password or pepper appears in any output of the library") {
  std::string pepper_bytes(32, '\0');
  randombytes_buf(pepper_bytes.data(), pepper_bytes.size());
  auto capture = std::make_shared<CapturingStore>(std::make_shared<MemoryStore>());
  test::ManagerFixture f(Policy{}, capture);
  Dependencies deps;
  deps.store = capture;
  deps.hasher = f.hasher;
  deps.sender = f.sender;
  deps.clock = f.clock;
  deps.events = f.events;
  deps.peppers.peppers.push_back(Pepper::from_bytes(7, pepper_bytes).value());
  const auto manager = VerificationManager::create(Policy{}, std::move(deps)).value();

  const std::string password = "Tr0ub4dor&3-unique-password";
  std::vector<std::string> outputs;
  auto collect = [&](const auto& result) {
    if (!result) {
      outputs.push_back(result.error().message());
      outputs.push_back(fmt::format("{}", result.error()));
    }
  };

  PasswordVerificationRequest pw;
  pw.user_id = "u1";
  pw.password = SecretString(password);
  pw.stored_hash = f.hasher->hash(SecretString(password)).value();
  const std::string stored_hash = *pw.stored_hash;
  collect(manager.verify_password(pw));
  pw.password = SecretString(password + "x");
  collect(manager.verify_password(pw));
  pw.stored_hash = "$argon2id$broken" + password;
  collect(manager.verify_password(pw));

  SendCodeRequest s;
  s.user_id = "u1";
  s.identifier = Identifier::email("alice@example.com");
  const auto id = manager.send_code(s).value().record_id;
  const std::string code = f.sender->last_code();
  VerifyCodeRequest v;
  v.record_id = id;
  v.identifier = s.identifier;
  v.user_id = "u1";
  v.code = SecretString(test::wrong_code(code));
  collect(manager.verify_code(v));
  v.code = SecretString(code + "0");
  collect(manager.verify_code(v));
  v.code = SecretString(code);
  collect(manager.verify_code(v));
  collect(manager.verify_code(v));

  for (const auto& record : capture->inserted) {
    outputs.push_back(to_string(record));
    outputs.push_back(fmt::format("{}", record));
    outputs.push_back(bytes_of(record));
  }
  for (const auto& event : f.events->events()) {
    outputs.push_back(to_string(event));
    outputs.push_back(fmt::format("{}", event));
  }
  outputs.push_back(fmt::format("{}", SecretString(password)));

  REQUIRE(outputs.size() > 10);
  for (const auto& text : outputs) {
    INFO(text);
    CHECK(text.find(password) == std::string::npos);
    CHECK(text.find(code) == std::string::npos);
    for (const auto& form : pepper_forms(pepper_bytes)) CHECK(text.find(form) == std::string::npos);
    CHECK(text.find(stored_hash) == std::string::npos);
  }
}

namespace {

/// A host hasher that quotes the password it was handed in whatever it says: its error text, its
/// exception, its reason for a malformed hash. Nothing in the PasswordHasher contract stops it.
class QuotingHasher final : public PasswordHasher {
 public:
  enum class Mode { own_error, foreign_error, exception, malformed };
  explicit QuotingHasher(Mode mode) : mode_(mode) {}
  Result<std::string> hash(const SecretString& password) override { return quote(password, Errc::hasher_unavailable); }
  Result<PasswordCheck> verify(const SecretString& password, std::optional<std::string_view> /*stored_hash*/) override {
    const std::string said = "rejected password '" + std::string(password.reveal()) + "'";
    switch (mode_) {
      case Mode::own_error:
        return fail(Errc::hasher_unavailable, said);
      case Mode::foreign_error:
        return fail(Errc::internal, said);
      case Mode::exception:
        throw std::runtime_error(said);
      case Mode::malformed:
        break;
    }
    return PasswordCheck{PasswordMatch::malformed, false, said};
  }

 private:
  static Result<std::string> quote(const SecretString& password, Errc code) {
    return fail(code, "cannot hash '" + std::string(password.reveal()) + "'");
  }
  Mode mode_;
};

}  // namespace

// The contracts ask host senders and hashers not to put secrets in their errors; the manager does
// not rely on it. Host text that contains the secret it handed over is withheld.
TEST_CASE("a host sender or hasher that quotes its secret input does not leak it through the manager") {
  test::ManagerFixture f;
  std::vector<std::string> outputs;
  std::vector<std::string> secrets;
  auto collect = [&](const auto& result) {
    REQUIRE_FALSE(result.has_value());
    outputs.push_back(result.error().message());
    outputs.push_back(fmt::format("{}", result.error()));
  };

  SECTION("a sender's error text and exception") {
    for (const bool throws : {false, true}) {
      const auto manager = f.with_sender(
          Policy{}, std::make_shared<CallbackSender>([&secrets, throws](const CodeMessage& m) -> Result<void> {
            const std::string code(m.code.reveal());
            secrets.push_back(code);
            const std::string said = "gateway refused body 'Your code is " + code + "'";
            if (throws) throw std::runtime_error(said);
            return fail(Errc::sender_unavailable, std::string(said).append(" (code ").append(code).append(")"));
          }));
      SendCodeRequest s;
      s.user_id = "u1";
      s.identifier = Identifier::phone("+1 555 000 1111");
      const auto sent = manager.send_code(s);
      collect(sent);
      CHECK(sent.error() == Errc::sender_unavailable);
    }
    REQUIRE(secrets.size() == 2);
    CHECK(outputs[0] == "code delivery failed: (its text is withheld)");
  }

  SECTION("a hasher's error text, exception and malformed-hash reason") {
    using Mode = QuotingHasher::Mode;
    for (const Mode mode : {Mode::own_error, Mode::foreign_error, Mode::exception, Mode::malformed}) {
      const auto manager = f.with_hasher(Policy{}, std::make_shared<QuotingHasher>(mode));
      PasswordVerificationRequest pw;
      pw.user_id = "u1";
      pw.password = SecretString("correct horse battery staple");
      pw.stored_hash = "$argon2id$whatever";
      const auto verified = manager.verify_password(pw);
      collect(verified);
      CHECK(verified.error() == (mode == Mode::malformed ? Errc::invalid_credentials : Errc::hasher_unavailable));
    }
    secrets.emplace_back("correct horse battery staple");
    bool saw_malformed_event = false;
    for (const auto& event : f.events->events()) {
      saw_malformed_event = saw_malformed_event || event.type == EventType::password_hash_malformed;
      outputs.push_back(fmt::format("{}", event));
      outputs.push_back(event.detail);
    }
    CHECK(saw_malformed_event);
  }

  REQUIRE_FALSE(secrets.empty());
  for (const auto& text : outputs) {
    INFO(text);
    for (const auto& secret : secrets) CHECK(text.find(secret) == std::string::npos);
    // Withheld whole, not cut in place: the wording around a short secret would show where it sat.
    CHECK(text.find("Your code is") == std::string::npos);
    CHECK(text.find("rejected password") == std::string::npos);
  }
}
