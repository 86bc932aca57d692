#include "reverify/verification_manager.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <set>
#include <utility>

#include "code_digest.hpp"
#include "common/clock_range.hpp"
#include "identifier_match.hpp"
#include "random_tokens.hpp"

namespace reverify {
namespace {

constexpr std::size_t max_password_bytes = 4096;
constexpr std::size_t max_code_bytes = 64;
constexpr int max_insert_tries = 3;

// Host text (an error's message, an exception's what(), a malformed hash's reason) is passed on
// for the operator, unless it contains the secret the collaborator was handed (the password, the
// code): a host's hasher or SMS client may quote its input, and our errors end up in logs. Such
// text is withheld whole; cutting the secret out in place would show where a short one sat in the
// host's own wording ("[redacted] timed out").
bool quotes(std::string_view text, std::string_view secret) noexcept {
  return !secret.empty() && text.find(secret) != std::string_view::npos;
}
std::string host_text(std::string_view text, std::string_view secret) {
  return quotes(text, secret) ? std::string("(its text is withheld)") : std::string(text);
}

// Every collaborator call goes through one of these: an exception or a foreign error code from
// host code becomes one typed error, so nothing downstream can mistake it for success.
template <class F>
auto call_collaborator(Errc failure, const char* what, std::string_view secret, F&& f) -> decltype(f()) {
  try {
    auto result = f();
    if (!result) {
      const std::string& text = result.error().message();
      if (result.error().code() != failure || quotes(text, secret)) {
        return fail(failure, std::string(what) + ": " + host_text(text, secret));
      }
    }
    return result;
  } catch (const std::exception& e) {
    return fail(failure, std::string(what) + " threw: " + host_text(e.what(), secret));
  } catch (...) {
    return fail(failure, std::string(what) + " threw a non-standard exception");
  }
}

RecordKind code_kind(IdentifierType type) noexcept {
  return type == IdentifierType::phone ? RecordKind::phone_verification_code : RecordKind::email_verification_code;
}

std::string lock_key_for_user(std::string_view user_id) {
  std::string out;
  out.reserve(8 + user_id.size());
  out.append("lock:pw:").append(user_id);
  return out;
}

std::chrono::seconds seconds_until(Timestamp until, Timestamp now) {
  const auto ms = std::max<std::int64_t>(0, (until - now).count());
  return std::chrono::seconds((ms + 999) / 1000);
}

}  // namespace

struct VerificationManager::Impl {
  Policy policy;
  Dependencies deps;

  // ---- collaborators, each wrapped so that failures are typed -----------------------------

  Result<Timestamp> now() const { return detail::read_host_clock(*deps.clock, Errc::clock_unavailable, ""); }

  template <class F>
  auto store(const char* what, F&& f) const -> decltype(f(*deps.store)) {
    return call_collaborator(Errc::store_unavailable, what, {}, [&] { return f(*deps.store); });
  }

  /// Whether anyone listens: events are only filled in (strings copied) when so.
  [[nodiscard]] bool auditing() const noexcept { return deps.events != nullptr; }

  void emit(const Event& event) const {
    if (!deps.events) return;
    try {
      deps.events->on_event(event);
    } catch (...) {
      // Auditing never changes an answer.
    }
  }

  const Pepper* pepper(std::uint32_t id) const noexcept {
    for (const auto& p : deps.peppers.peppers) {
      if (p.id() == id) return &p;
    }
    return nullptr;
  }
  const Pepper& current_pepper() const noexcept { return deps.peppers.peppers.front(); }

  // ---- lockouts ----------------------------------------------------------------------------

  /// The block on `key`, as an error to answer (reported as a failed `event`), or nothing.
  Result<std::optional<Error>> block_error(std::string_view key, Timestamp now, Event event) const {
    auto until = store("blocked_until", [&](Store& s) { return s.blocked_until(key, now); });
    if (!until) return tl::unexpected(until.error());
    if (!*until) return std::optional<Error>{};
    return std::optional<Error>{blocked_error(key, **until, now, std::move(event))};
  }

  /// Reports a request refused because `key` is blocked until `until`; returns the error to answer.
  Error blocked_error(std::string_view key, Timestamp until, Timestamp now, Event event) const {
    event.type = EventType::failed;
    event.at = now;
    event.reason = Errc::verification_blocked;
    event.target = std::string(key);
    emit(event);
    return Error(Errc::verification_blocked).with_retry_after(seconds_until(until, now));
  }

  /// Lifts the block on `key` and reports it.
  Result<void> unblock(std::string_view key, const std::string& user_id) const {
    auto done = store("unblock", [&](Store& s) { return s.unblock(key); });
    if (!done) return done;
    Event event;
    event.type = EventType::unblocked;
    event.user_id = user_id;
    event.target = std::string(key);
    if (auto at = now()) event.at = *at;
    emit(event);
    return {};
  }

  [[nodiscard]] LockoutRule lockout_rule(std::string_view key) const noexcept {
    return LockoutRule{key, policy.lockout_window, policy.lockout_failures, policy.lockout_duration};
  }

  /// Reports a counted failure and returns the error to answer: `fallback`, or the lockout error
  /// when this failure reached the limit (Logto answers that failure blocked).
  Error failure_error(const FailureResult& failure, std::string_view key, Timestamp now, Errc fallback,
                      Event event) const {
    event.type = EventType::failed;
    event.at = now;
    event.target = std::string(key);
    if (!failure.blocked_until) {
      event.reason = fallback;
      emit(event);
      return Error(fallback);
    }
    event.reason = Errc::verification_blocked;
    emit(event);
    event.type = EventType::locked;
    emit(event);
    return Error(Errc::verification_blocked).with_retry_after(seconds_until(*failure.blocked_until, now));
  }

  /// Counts one failure against `key`; returns the error to answer (see failure_error).
  Error record_failure(std::string_view key, Timestamp now, Errc fallback, Event event) const {
    auto counted = store("count_failure", [&](Store& s) { return s.count_failure(lockout_rule(key), now); });
    if (!counted) {
      event.type = EventType::failed;
      event.at = now;
      event.target = std::string(key);
      event.reason = counted.error().code();
      emit(event);
      return counted.error();
    }
    return failure_error(*counted, key, now, fallback, std::move(event));
  }

  // ---- records -----------------------------------------------------------------------------

  /// Inserts `record` under a fresh id, retrying on the (astronomically rare) id collision.
  Result<void> insert_new(VerificationRecord& record) const {
    for (int attempt = 0; attempt < max_insert_tries; ++attempt) {
      if (attempt > 0) record.id = detail::draw_tokens(0).record_id;
      auto inserted = store("insert", [&](Store& s) { return s.insert(record); });
      if (!inserted) return tl::unexpected(inserted.error());
      if (*inserted) return {};
    }
    return fail(Errc::internal, "could not allocate a unique record id");
  }

  /// Counts the send and inserts the code record in one store step, under a fresh id on the
  /// (astronomically rare) id collision.
  Result<OpenResult> open_code(VerificationRecord& record, const SendLimit& limit, std::string_view code,
                               Timestamp now) const {
    for (int attempt = 0; attempt < max_insert_tries; ++attempt) {
      if (attempt > 0) record.id = detail::draw_tokens(0).record_id;
      record.code_digest = detail::code_digest(current_pepper(), record.id, code);
      auto opened =
          store("open_code", [&](Store& s) { return s.open_code(record, limit, policy.retire_previous_codes, now); });
      if (!opened || opened->status != OpenStatus::id_taken) return opened;
    }
    return fail(Errc::internal, "could not allocate a unique record id");
  }

  void bind(VerificationRecord& record, const ActionBinding& action) const {
    record.purpose = action.purpose;
    if (!action.binding.empty()) {
      record.binding_digest = detail::binding_digest(current_pepper(), action.purpose, action.binding);
    }
  }

  /// Whether the record's purpose binding admits the request.
  bool binding_matches(const VerificationRecord& record, const std::optional<ActionBinding>& action) const {
    if (!action) return record.purpose.empty() && !record.binding_digest;
    if (record.purpose != action->purpose) return false;
    if (action->binding.empty()) return !record.binding_digest;
    if (!record.binding_digest) return false;
    const Pepper* p = pepper(record.pepper_id);
    if (p == nullptr) return false;
    return digests_equal(*record.binding_digest, detail::binding_digest(*p, action->purpose, action->binding));
  }
};

VerificationManager::VerificationManager(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
VerificationManager::VerificationManager(VerificationManager&&) noexcept = default;
VerificationManager& VerificationManager::operator=(VerificationManager&&) noexcept = default;
VerificationManager::~VerificationManager() = default;

const Policy& VerificationManager::policy() const noexcept { return impl_->policy; }

Result<VerificationManager> VerificationManager::create(Policy policy, Dependencies deps) {
  if (sodium_init() < 0) return fail(Errc::invalid_configuration, "libsodium could not be initialised");
  if (auto valid = policy.validate(); !valid) return tl::unexpected(valid.error());
  if (!deps.store) return fail(Errc::invalid_configuration, "dependencies.store is null");
  if (!deps.hasher) return fail(Errc::invalid_configuration, "dependencies.hasher is null");
  if (!deps.sender) return fail(Errc::invalid_configuration, "dependencies.sender is null");
  if (!deps.clock) return fail(Errc::invalid_configuration, "dependencies.clock is null");
  if (deps.peppers.peppers.empty()) return fail(Errc::invalid_configuration, "dependencies.peppers is empty");
  std::set<std::uint32_t> ids;
  for (const auto& p : deps.peppers.peppers) {
    if (!ids.insert(p.id()).second) return fail(Errc::invalid_configuration, "pepper ids must be unique");
  }
  auto impl = std::make_unique<Impl>();
  impl->policy = policy;
  impl->deps = std::move(deps);
  return VerificationManager(std::move(impl));
}

Result<PasswordVerification> VerificationManager::verify_password(const PasswordVerificationRequest& request) const {
  const Impl& m = *impl_;
  if (request.user_id.empty()) return fail(Errc::invalid_input, "user id is empty");
  if (request.password.empty()) return fail(Errc::invalid_input, "password is empty");
  if (request.password.size() > max_password_bytes) return fail(Errc::invalid_input, "password is too long");

  auto now = m.now();
  if (!now) return tl::unexpected(now.error());
  const std::string lock_key = lock_key_for_user(request.user_id);
  Event event;
  event.user_id = request.user_id;
  event.kind = RecordKind::password;

  auto blocked = m.block_error(lock_key, *now, event);
  if (!blocked) return tl::unexpected(blocked.error());
  if (*blocked) return tl::unexpected(**blocked);

  const std::string_view password = request.password.reveal();
  auto check = call_collaborator(Errc::hasher_unavailable, "password hasher", password,
                                 [&] { return m.deps.hasher->verify(request.password, request.stored_hash); });
  if (!check) return tl::unexpected(check.error());
  // The hash may have waited seconds for a hasher slot while other guesses for this user reached
  // the limit: the outcome is decided at the time the comparison ended, as Logto's sentinel
  // decides after the verification. A wrong guess is still counted if the clock fails now (at the
  // time read before the hash); a right one is not accepted.
  const auto compared_at = m.now();
  if (!compared_at && check->result == PasswordMatch::match) return tl::unexpected(compared_at.error());
  const Timestamp at = compared_at ? *compared_at : *now;
  if (check->result == PasswordMatch::malformed) {
    Event malformed = event;
    malformed.type = EventType::password_hash_malformed;
    malformed.at = at;
    malformed.detail = host_text(check->detail, password);
    m.emit(malformed);
  }
  // A comparison that ended during a block is answered as one that arrived during it: blocked,
  // not counted. So neither a right password nor the answer to a wrong one (which could tell
  // them apart) gets past a block that began while it was hashing.
  auto blocked_after = m.block_error(lock_key, at, event);
  if (blocked_after && *blocked_after) return tl::unexpected(**blocked_after);
  if (check->result != PasswordMatch::match) {
    return tl::unexpected(m.record_failure(lock_key, at, Errc::invalid_credentials, event));
  }
  if (!blocked_after) return tl::unexpected(blocked_after.error());

  VerificationRecord record;
  record.id = detail::draw_tokens(0).record_id;
  record.user_id = request.user_id;
  record.kind = RecordKind::password;
  record.pepper_id = m.current_pepper().id();
  record.created_at = at;
  record.expires_at = at + m.policy.record_ttl;
  record.verified = true;
  m.bind(record, request.action);
  if (auto inserted = m.insert_new(record); !inserted) return tl::unexpected(inserted.error());

  event.type = EventType::record_created;
  event.at = at;
  event.record_id = record.id;
  m.emit(event);

  PasswordVerification out{record.id, record.expires_at, std::nullopt};
  if (check->needs_rehash) {
    // An upgrade is a courtesy: if it fails, the verification still stands.
    auto rehashed = call_collaborator(Errc::hasher_unavailable, "password hasher", password,
                                      [&] { return m.deps.hasher->hash(request.password); });
    if (rehashed) out.new_password_hash = std::move(*rehashed);
  }
  return out;
}

Result<CodeSent> VerificationManager::send_code(const SendCodeRequest& request) const {
  const Impl& m = *impl_;
  if (request.user_id.empty()) return fail(Errc::invalid_input, "user id is empty");
  // The send key embeds the normalised identifier; `key` views it.
  detail::IdentifierKey send_key(detail::KeyScope::send);
  if (auto normalized = send_key.assign(request.identifier); !normalized) {
    return tl::unexpected(normalized.error());
  }
  const std::string_view key = send_key.normalized();
  if (request.template_type && *request.template_type == TemplateType::bind_new_identifier) {
    return fail(Errc::invalid_input, "templateType may be UserPermissionValidation or BindMfa");
  }
  // The same raw value normalises to the same key, so the common case (the host passes the
  // address it has on file) needs no second normalisation.
  const bool owned =
      std::any_of(request.owned_identifiers.begin(), request.owned_identifiers.end(), [&](const Identifier& own) {
        return own.type == request.identifier.type &&
               (own.value == request.identifier.value || detail::normalizes_to(own, key));
      });
  const TemplateType template_type = owned ? request.template_type.value_or(TemplateType::user_permission_validation)
                                           : TemplateType::bind_new_identifier;

  auto now = m.now();
  if (!now) return tl::unexpected(now.error());
  const RecordKind kind = code_kind(request.identifier.type);
  Event event;
  if (m.auditing()) event.user_id = request.user_id;
  event.kind = kind;
  event.at = *now;

  detail::Tokens tokens = detail::draw_tokens(m.policy.code_length);
  VerificationRecord record;
  record.id = std::move(tokens.record_id);
  record.user_id = request.user_id;
  record.kind = kind;
  record.template_type = template_type;
  record.identifier = request.identifier.value;
  record.identifier_key = std::string(key);
  record.pepper_id = m.current_pepper().id();
  record.created_at = *now;
  record.expires_at = *now + m.policy.record_ttl;
  record.code_expires_at = std::min(*now + m.policy.code_ttl, record.expires_at);
  m.bind(record, request.action);

  // Count, retire and insert before delivery (as Logto creates its passcode before sending): the
  // rate limit must gate delivery, and a delivered code must have its record.
  const SendLimit limit{send_key.view(), m.policy.send_window, m.policy.send_limit};
  auto opened = m.open_code(record, limit, tokens.code.reveal(), *now);
  if (!opened) return tl::unexpected(opened.error());
  if (opened->status == OpenStatus::rate_limited) {
    event.type = EventType::rate_limited;
    event.reason = Errc::message_rate_limited;
    event.target = std::string(send_key.view());
    m.emit(event);
    const Timestamp retry_at = opened->oldest + m.policy.send_window;
    return tl::unexpected(Error(Errc::message_rate_limited).with_retry_after(seconds_until(retry_at, *now)));
  }

  // The store holds its own copy now: the message takes the record's strings and the code.
  CodeMessage message;
  message.channel = request.identifier.type;
  message.to = std::move(record.identifier);
  message.code = std::move(tokens.code);
  message.template_type = template_type;
  message.record_id = std::move(record.id);
  message.user_id = request.user_id;
  message.sent_at = *now;
  message.code_expires_at = record.code_expires_at;

  // A send that did not happen leaves no record and does not count against the recipient. Should
  // the cancel itself fail, the record holds a code nobody received.
  auto cancel = [&] {
    (void)m.store("cancel_code", [&](Store& s) { return s.cancel_code(message.record_id, send_key.view(), *now); });
  };
  try {
    auto sent = m.deps.sender->send(message);
    if (!sent) {
      cancel();
      // A sender that cannot address this recipient (an SMTP relay without SMTPUTF8 and a
      // non-ASCII address) is answering the caller's input, not failing: not a 503.
      const Errc said = sent.error().code();
      const Errc code =
          said == Errc::connector_not_found || said == Errc::invalid_input ? said : Errc::sender_unavailable;
      return fail(code, "code delivery failed: " + host_text(sent.error().message(), message.code.reveal()));
    }
  } catch (const std::exception& e) {
    cancel();
    return fail(Errc::sender_unavailable,
                std::string("code sender threw: ") + host_text(e.what(), message.code.reveal()));
  } catch (...) {
    cancel();
    return fail(Errc::sender_unavailable, "code sender threw a non-standard exception");
  }

  if (m.auditing()) {
    event.type = EventType::record_created;
    event.record_id = message.record_id;
    m.emit(event);
  }
  return CodeSent{std::move(message.record_id), record.expires_at, record.code_expires_at, template_type};
}

Result<std::string> VerificationManager::verify_code(const VerifyCodeRequest& request) const {
  const Impl& m = *impl_;
  // The lock key embeds the normalised identifier; `key` views it.
  detail::IdentifierKey lock(detail::KeyScope::lock);
  if (auto normalized = lock.assign(request.identifier); !normalized) {
    return tl::unexpected(normalized.error());
  }
  const std::string_view lock_key = lock.view();
  const std::string_view key = lock.normalized();
  if (request.code.size() > max_code_bytes) return fail(Errc::invalid_input, "code is too long");
  if (request.record_id.empty() || request.user_id.empty()) return fail(Errc::record_not_found);

  auto now = m.now();
  if (!now) return tl::unexpected(now.error());
  const RecordKind kind = code_kind(request.identifier.type);

  if (request.code.empty()) {
    // Nothing to compare and no attempt to spend: only tell a missing record from a present one.
    auto found = m.store("find", [&](Store& s) { return s.find(request.record_id, *now); });
    if (!found) return tl::unexpected(found.error());
    if (!*found || (*found)->retired || (*found)->user_id != request.user_id || (*found)->kind != kind) {
      return fail(Errc::record_not_found);
    }
    return fail(Errc::code_not_found);
  }

  CodeCheck check;
  check.record_id = request.record_id;
  check.user_id = request.user_id;
  check.kind = kind;
  check.identifier_key = key;
  check.max_attempts = m.policy.max_code_attempts;
  check.lockout = m.lockout_rule(lock_key);
  check.now = *now;
  // The store learns the record's pepper inside its atomic step, so it gets the offered code's
  // digest under each configured pepper (one, or two while rotating).
  check.offered.reserve(m.deps.peppers.peppers.size());
  for (const auto& p : m.deps.peppers.peppers) {
    check.offered.push_back(OfferedDigest{p.id(), detail::code_digest(p, request.record_id, request.code.reveal())});
  }
  auto checked = m.store("check_code", [&](Store& s) { return s.check_code(check); });
  sodium_memzero(check.offered.data(), check.offered.size() * sizeof(OfferedDigest));
  if (!checked) return tl::unexpected(checked.error());

  Event event;
  if (m.auditing()) {
    event.user_id = request.user_id;
    event.record_id = request.record_id;
  }
  event.kind = kind;
  event.at = *now;
  switch (checked->status) {
    case CheckStatus::not_found:
      return fail(Errc::record_not_found);
    case CheckStatus::already_verified:
      return fail(Errc::code_not_found);
    case CheckStatus::identifier_mismatch:
      return fail(kind == RecordKind::phone_verification_code ? Errc::phone_mismatch : Errc::email_mismatch);
    case CheckStatus::code_expired:
      return fail(Errc::code_expired);
    case CheckStatus::blocked:
      return tl::unexpected(m.blocked_error(lock_key, checked->blocked_until.value_or(*now), *now, event));
    case CheckStatus::exhausted:
      return tl::unexpected(m.failure_error(FailureResult{checked->failures, checked->blocked_until}, lock_key, *now,
                                            Errc::code_exceed_max_try, event));
    case CheckStatus::unknown_pepper:
      return fail(Errc::invalid_configuration, "the pepper this code was made with is no longer configured");
    case CheckStatus::mismatch:
      return tl::unexpected(m.failure_error(FailureResult{checked->failures, checked->blocked_until}, lock_key, *now,
                                            Errc::code_mismatch, event));
    case CheckStatus::verified:
      event.type = EventType::verified;
      m.emit(event);
      return std::string(request.record_id);
  }
  return fail(Errc::store_unavailable, "check_code: the store answered an unknown status");
}

Result<Authorization> VerificationManager::authorize(const AuthorizeRequest& request) const {
  const Impl& m = *impl_;
  auto now = m.now();
  if (!now) return tl::unexpected(now.error());
  Event event;
  event.user_id = request.user_id;
  event.record_id = request.record_id;
  event.at = *now;
  auto deny = [&](const char* why) {
    event.type = EventType::denied;
    event.reason = Errc::permission_denied;
    event.detail = why;
    m.emit(event);
    return fail(Errc::permission_denied);
  };
  if (request.record_id.empty() || request.user_id.empty()) return deny("no record id or user id");

  auto found = m.store("find", [&](Store& s) { return s.find(request.record_id, *now); });
  if (!found) return tl::unexpected(found.error());
  if (!*found) return deny("record missing or expired");
  const VerificationRecord& record = **found;
  event.kind = record.kind;
  if (record.user_id != request.user_id) return deny("record of another user");
  if (!record.verified || record.retired) return deny("record not verified");
  const bool accepted_kind =
      record.kind == RecordKind::password || record.template_type == TemplateType::user_permission_validation;
  if (!accepted_kind) return deny("record kind or template not accepted for step-up");
  if (!m.binding_matches(record, request.action)) return deny("purpose or binding differs");
  if (m.policy.max_record_uses > 0 && !request.count_use) {
    if (record.use_count >= m.policy.max_record_uses) return deny("record uses exhausted");
  } else if (m.policy.max_record_uses > 0) {
    auto used = m.store("use", [&](Store& s) { return s.use(record.id, m.policy.max_record_uses, *now); });
    if (!used) return tl::unexpected(used.error());
    if (!*used) return deny("record uses exhausted");
  }
  event.type = EventType::authorized;
  m.emit(event);
  return Authorization{record.id, record.kind, record.template_type, record.identifier, record.expires_at};
}

Result<Authorization> VerificationManager::check_identifier_record(const AuthorizeRequest& request,
                                                                   const Identifier& identifier) const {
  const Impl& m = *impl_;
  auto key = normalize_identifier(identifier);
  if (!key) return tl::unexpected(key.error());
  if (request.record_id.empty() || request.user_id.empty()) return fail(Errc::record_not_found);
  auto now = m.now();
  if (!now) return tl::unexpected(now.error());
  auto found = m.store("find", [&](Store& s) { return s.find(request.record_id, *now); });
  if (!found) return tl::unexpected(found.error());
  if (!*found) return fail(Errc::record_not_found);
  const VerificationRecord& record = **found;
  if (record.user_id != request.user_id || !record.verified || record.retired ||
      record.kind != code_kind(identifier.type) || record.identifier_key != *key) {
    return fail(Errc::record_not_found);
  }
  return Authorization{record.id, record.kind, record.template_type, record.identifier, record.expires_at};
}

Result<void> VerificationManager::unblock_user(const std::string& user_id) const {
  const Impl& m = *impl_;
  if (user_id.empty()) return fail(Errc::invalid_input, "user id is empty");
  return m.unblock(lock_key_for_user(user_id), user_id);
}

Result<void> VerificationManager::unblock_identifier(const Identifier& identifier) const {
  const Impl& m = *impl_;
  detail::IdentifierKey lock(detail::KeyScope::lock);
  if (auto normalized = lock.assign(identifier); !normalized) return tl::unexpected(normalized.error());
  return m.unblock(lock.view(), {});
}

Result<std::size_t> VerificationManager::purge_expired(std::size_t limit) const {
  const Impl& m = *impl_;
  auto now = m.now();
  if (!now) return tl::unexpected(now.error());
  return m.store("purge_expired", [&](Store& s) { return s.purge_expired(*now, limit); });
}

}  // namespace reverify
