// A consumer outside the source tree: includes only installed headers, links the installed
// library, runs one send + verify + authorize cycle.
#include <reverify/reverify.hpp>

#include <cstdio>
#include <string>

int main() {
  using namespace reverify;
  std::string last_code;
  Dependencies deps;
  deps.store = std::make_shared<MemoryStore>();
  auto hasher = Argon2idHasher::create();
  if (!hasher) return 1;
  deps.hasher = *hasher;
  deps.sender = std::make_shared<CallbackSender>([&](const CodeMessage& m) -> Result<void> {
    last_code = std::string(m.code.reveal());
    return {};
  });
  deps.clock = std::make_shared<SystemClock>();
  deps.peppers.peppers.push_back(Pepper::random(1));
  auto manager = VerificationManager::create(Policy{}, std::move(deps));
  if (!manager) return 1;

  SendCodeRequest send;
  send.user_id = "u1";
  send.identifier = Identifier::phone("+1 555 000 1111");
  send.owned_identifiers = {Identifier::phone("15550001111")};
  const auto sent = manager->send_code(send);
  if (!sent) return 1;
  VerifyCodeRequest verify{sent->record_id, send.identifier, SecretString(last_code), "u1"};
  if (!manager->verify_code(verify)) return 1;
  if (!manager->authorize({sent->record_id, "u1", std::nullopt})) return 1;
  std::printf("reverify %s consumer: send, verify and authorize ok\n", version_string);
  return 0;
}
