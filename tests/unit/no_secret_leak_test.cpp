// Invariant 4: codes, passwords and peppers never appear in errors, events, formatted records
// or what the store holds.
#include <catch2/catch.hpp>

#include <fmt/format.h>

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

}  // namespace

TEST_CASE("no code, password or pepper appears in any output of the library") {
  const std::string pepper_bytes(32, 'P');
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
    CHECK(text.find(pepper_bytes.substr(0, 8)) == std::string::npos);
    CHECK(text.find(stored_hash) == std::string::npos);
  }
}
