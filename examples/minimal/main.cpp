// The whole step-up flow in one program: verify a password, send a code to a development outbox,
// read it back, verify it, and authorize a sensitive action with each record.
//
// Usage: reverify-minimal [OUTBOX_FILE]   (default: ./reverify-outbox.jsonl)
#include <cstdio>
#include <fstream>
#include <string>

#include <reverify/reverify.hpp>

namespace {

int fail_with(const char* step, const reverify::Error& error) {
  static_cast<void>(std::fprintf(stderr, "%s failed: %s (%s)\n", step, std::string(error.string_code()).c_str(),
                                 error.message().c_str()));
  return 1;
}

// The outbox is one JSON object per line; take the "code" of the last line.
std::string last_code_in(const std::string& outbox) {
  std::ifstream in(outbox);
  std::string line;
  std::string last;
  while (std::getline(in, line)) last = line;
  const std::string key = R"("code":")";
  const auto at = last.find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return last.substr(start, last.find('"', start) - start);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace reverify;
  const std::string outbox_path = argc > 1 ? argv[1] : "reverify-outbox.jsonl";

  auto hasher = Argon2idHasher::create();
  auto outbox = OutboxSender::open_file(outbox_path);
  if (!hasher) return fail_with("hasher", hasher.error());
  if (!outbox) return fail_with("outbox", outbox.error());

  Dependencies deps;
  deps.store = std::make_shared<MemoryStore>();
  deps.hasher = *hasher;
  deps.sender = *outbox;
  deps.clock = std::make_shared<SystemClock>();
  deps.peppers.peppers.push_back(Pepper::random(1));  // a real server loads a fixed 32-byte secret
  auto manager = VerificationManager::create(Policy{}, std::move(deps));
  if (!manager) return fail_with("create", manager.error());

  // The host owns its users; here, one user with a stored Argon2id hash.
  const std::string user_id = "user-1";
  const auto stored_hash = (*hasher)->hash(SecretString("correct horse battery staple"));
  if (!stored_hash) return fail_with("hash", stored_hash.error());

  // 1. Re-enter the current password.
  PasswordVerificationRequest password_check;
  password_check.user_id = user_id;
  password_check.password = SecretString("correct horse battery staple");
  password_check.stored_hash = *stored_hash;
  const auto by_password = manager->verify_password(password_check);
  if (!by_password) return fail_with("verify_password", by_password.error());
  std::printf("1. password verified: record %s, expires %s\n", by_password->record_id.c_str(),
              to_iso8601(by_password->expires_at).c_str());

  // 2. Send a one-time code to the user's own email (it lands in the outbox file).
  SendCodeRequest send;
  send.user_id = user_id;
  send.identifier = Identifier::email("alice@example.com");
  send.owned_identifiers = {Identifier::email("alice@example.com")};
  const auto sent = manager->send_code(send);
  if (!sent) return fail_with("send_code", sent.error());
  std::printf("2. code sent to alice@example.com (outbox: %s): record %s\n", outbox_path.c_str(),
              sent->record_id.c_str());

  // 3. The user types the code.
  VerifyCodeRequest verify;
  verify.record_id = sent->record_id;
  verify.identifier = send.identifier;
  verify.code = SecretString(last_code_in(outbox_path));
  verify.user_id = user_id;
  const auto verified = manager->verify_code(verify);
  if (!verified) return fail_with("verify_code", verified.error());
  std::printf("3. code verified: record %s\n", verified->c_str());

  // 4. The sensitive action: either record authorizes it; another user's does not.
  for (const auto& record_id : {by_password->record_id, *verified}) {
    const auto allowed = manager->authorize({record_id, user_id, std::nullopt});
    if (!allowed) return fail_with("authorize", allowed.error());
    std::printf("4. action authorized by %s record %s\n", std::string(to_string(allowed->kind)).c_str(),
                record_id.c_str());
  }
  const auto stranger = manager->authorize({by_password->record_id, "user-2", std::nullopt});
  std::printf("5. another user presenting the same record: %s\n",
              stranger ? "authorized (BUG)" : std::string(stranger.error().string_code()).c_str());
  return stranger ? 1 : 0;
}
