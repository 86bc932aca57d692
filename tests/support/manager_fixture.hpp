#pragma once
// A VerificationManager wired for tests: memory store, manual clock, a sender that keeps every
// message, a cheap Argon2id hasher and an event recorder.

#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "cheap_argon2.hpp"
#include "reverify/reverify.hpp"

namespace reverify::test {

/// Keeps every delivered message; can be told to fail.
class RecordingSender final : public CodeSender {
 public:
  Result<void> send(const CodeMessage& message) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (fail_with_) return fail(*fail_with_, "test sender told to fail");
    if (throw_) throw std::runtime_error("test sender exploded");
    messages_.push_back(message);
    codes_[message.record_id] = std::string(message.code.reveal());
    return {};
  }
  void fail_with(std::optional<Errc> code) {
    const std::lock_guard<std::mutex> lock(mutex_);
    fail_with_ = code;
  }
  void throw_on_send(bool value) {
    const std::lock_guard<std::mutex> lock(mutex_);
    throw_ = value;
  }
  std::vector<CodeMessage> messages() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  /// The code sent for `record_id`, or "" (constant time in the number of messages).
  std::string code_for(const std::string& record_id) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = codes_.find(record_id);
    return it == codes_.end() ? std::string() : it->second;
  }
  std::string last_code() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return messages_.empty() ? std::string() : std::string(messages_.back().code.reveal());
  }

 private:
  mutable std::mutex mutex_;
  std::vector<CodeMessage> messages_;
  std::unordered_map<std::string, std::string> codes_;
  std::optional<Errc> fail_with_;
  bool throw_ = false;
};

/// Keeps every event.
class RecordingEvents final : public EventSink {
 public:
  void on_event(const Event& event) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(event);
  }
  std::vector<Event> events() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::size_t count(EventType type) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += e.type == type ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

/// Everything a manager test needs, built from a policy and optionally a store.
struct ManagerFixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<RecordingSender> sender = std::make_shared<RecordingSender>();
  std::shared_ptr<RecordingEvents> events = std::make_shared<RecordingEvents>();
  std::shared_ptr<Argon2idHasher> hasher = cheap_hasher();
  std::shared_ptr<Store> store;
  VerificationManager manager;

  explicit ManagerFixture(Policy policy = {}, std::shared_ptr<Store> custom_store = nullptr)
      : store(custom_store ? std::move(custom_store) : std::make_shared<MemoryStore>()), manager(build(policy)) {}

  VerificationManager build(const Policy& policy) { return with_hasher(policy, hasher); }

  /// Another manager on this fixture's store, clock, sender and events, hashing through `other`.
  VerificationManager with_hasher(const Policy& policy, std::shared_ptr<PasswordHasher> other) const {
    return assemble(policy, std::move(other), sender);
  }
  /// Another manager on this fixture's store, clock, hasher and events, sending through `other`.
  VerificationManager with_sender(const Policy& policy, std::shared_ptr<CodeSender> other) const {
    return assemble(policy, hasher, std::move(other));
  }

  /// Sends a code for `user` to `email` (owned by default) and returns the record id.
  std::string send_email_code(const std::string& user = "u1", const std::string& email = "alice@example.com",
                              bool owned = true) {
    SendCodeRequest request;
    request.user_id = user;
    request.identifier = Identifier::email(email);
    if (owned) request.owned_identifiers.push_back(Identifier::email(email));
    return manager.send_code(request).value().record_id;
  }

  Result<std::string> verify(const std::string& record_id, const std::string& code, const std::string& user = "u1",
                             const std::string& email = "alice@example.com") const {
    VerifyCodeRequest request;
    request.record_id = record_id;
    request.identifier = Identifier::email(email);
    request.code = SecretString(code);
    request.user_id = user;
    return manager.verify_code(request);
  }

 private:
  VerificationManager assemble(const Policy& policy, std::shared_ptr<PasswordHasher> hashing,
                               std::shared_ptr<CodeSender> sending) const {
    Dependencies deps;
    deps.store = store;
    deps.hasher = std::move(hashing);
    deps.sender = std::move(sending);
    deps.clock = clock;
    deps.events = events;
    deps.peppers.peppers.push_back(Pepper::random(1));
    return VerificationManager::create(policy, std::move(deps)).value();
  }
};

/// A code guaranteed to differ from `code` (same length, digits).
inline std::string wrong_code(const std::string& code) {
  std::string wrong = code;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  return wrong;
}

}  // namespace reverify::test
