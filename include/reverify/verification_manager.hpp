#pragma once
/// @file
/// The library's entry point.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reverify/clock.hpp"
#include "reverify/code_sender.hpp"
#include "reverify/events.hpp"
#include "reverify/export.hpp"
#include "reverify/identifier.hpp"
#include "reverify/password_hasher.hpp"
#include "reverify/pepper.hpp"
#include "reverify/policy.hpp"
#include "reverify/record.hpp"
#include "reverify/result.hpp"
#include "reverify/secret_string.hpp"
#include "reverify/store.hpp"

namespace reverify {

/// The collaborators a manager uses. All but `events` are required.
struct REVERIFY_API Dependencies {
  std::shared_ptr<Store> store;
  std::shared_ptr<PasswordHasher> hasher;
  std::shared_ptr<CodeSender> sender;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<EventSink> events;  ///< optional audit sink
  PepperRing peppers;                 ///< at least one; peppers[0] keys new codes
};

/// Optional binding of a record to one action (beyond Logto): a record opened for purpose
/// "payment" with binding "payee=…;amount=…" authorizes only a request naming the same two.
struct REVERIFY_API ActionBinding {
  std::string purpose;  ///< free text, compared exactly; empty = none
  std::string binding;  ///< canonical bytes of what is approved; only its keyed digest is stored
};

/// Input of `verify_password`.
struct REVERIFY_API PasswordVerificationRequest {
  std::string user_id;
  SecretString password;
  std::optional<std::string> stored_hash;  ///< the host's stored hash; nullopt = user has none
  ActionBinding action;
};

/// A record opened by `verify_password`.
struct REVERIFY_API PasswordVerification {
  std::string record_id;
  Timestamp expires_at{};
  /// Set when the stored hash should be upgraded: store this instead.
  std::optional<std::string> new_password_hash;
};

/// Input of `send_code`.
struct REVERIFY_API SendCodeRequest {
  std::string user_id;
  Identifier identifier;                      ///< where to send; the value is sent to as given
  std::optional<TemplateType> template_type;  ///< user_permission_validation (default) or bind_mfa
  std::vector<Identifier> owned_identifiers;  ///< the user's own email/phone; others force bind_new_identifier
  ActionBinding action;
};

/// A record opened by `send_code`.
struct REVERIFY_API CodeSent {
  std::string record_id;
  Timestamp expires_at{};       ///< the record's expiry (what Logto answers)
  Timestamp code_expires_at{};  ///< the code's own expiry (never after expires_at in effect)
  TemplateType template_type = TemplateType::user_permission_validation;
};

/// Input of `verify_code`.
struct REVERIFY_API VerifyCodeRequest {
  std::string record_id;
  Identifier identifier;  ///< must match the one the code was sent to (normalised comparison)
  SecretString code;
  std::string user_id;  ///< the caller; must own the record
};

/// Input of `authorize` and `check_identifier_record`.
struct REVERIFY_API AuthorizeRequest {
  std::string record_id;
  std::string user_id;                  ///< the caller; must own the record
  std::optional<ActionBinding> action;  ///< when set, the record must carry the same purpose and binding
  /// `authorize` only: false decides without counting a use against Policy::max_record_uses (a
  /// record whose uses are spent is still refused). For ordering errors before committing to an
  /// action — the answer is a preview, not an authorization; authorize again with true to act.
  bool count_use = true;
};

/// What an accepted record proved.
struct REVERIFY_API Authorization {
  std::string record_id;
  RecordKind kind = RecordKind::password;
  TemplateType template_type = TemplateType::user_permission_validation;
  std::string identifier;  ///< code records: the identifier as sent to
  Timestamp expires_at{};
};

/// Runs verification records: opens them, verifies passwords and codes, and decides whether a
/// record authorizes a sensitive action. Thread-safe: one instance serves all threads. Every call
/// returns a `Result`; no exception escapes, and a failing store, hasher, clock or sender never
/// yields a verified or authorized answer. Movable, not copyable.
class REVERIFY_API VerificationManager {
 public:
  /// Validates `policy` and `deps` (no null collaborators, at least one pepper, unique pepper ids).
  /// Errors: `Errc::invalid_configuration` naming the problem.
  [[nodiscard]] static Result<VerificationManager> create(Policy policy, Dependencies deps);

  VerificationManager(VerificationManager&& other) noexcept;
  VerificationManager& operator=(VerificationManager&& other) noexcept;
  ~VerificationManager();

  /// Verifies the user's current password and opens a verified `Password` record. The lockout is
  /// checked before the hash and again when it ends, so a right password is refused if the user
  /// was locked meanwhile (see docs/concepts.md).
  /// Errors: `invalid_input` (empty user id or password), `invalid_credentials` (wrong, or no hash),
  /// `verification_blocked` (target user locked, including by this failure), `hasher_unavailable`,
  /// `store_unavailable`, `clock_unavailable`.
  [[nodiscard]] Result<PasswordVerification> verify_password(const PasswordVerificationRequest& request) const;

  /// Sends a one-time code and opens an unverified code record. Send order: validate → template →
  /// generate → one store step (per-recipient limit, store the record, retire earlier codes of the
  /// same slot) → deliver; if delivery fails the record is cancelled and the send given back, and
  /// the earlier codes stay retired (as Logto deletes them before sending).
  /// Errors: `invalid_input`, `message_rate_limited` (with retry_after), `connector_not_found`,
  /// `sender_unavailable`, `store_unavailable`, `clock_unavailable`.
  [[nodiscard]] Result<CodeSent> send_code(const SendCodeRequest& request) const;

  /// Verifies a code, in Logto's order of checks (see docs/concepts.md). On success returns the
  /// record id. Errors: `record_not_found`, `code_not_found`, `email_mismatch`, `phone_mismatch`,
  /// `code_expired`, `code_exceed_max_try`, `code_mismatch`, `verification_blocked`,
  /// `invalid_input`, `store_unavailable`, `clock_unavailable`.
  [[nodiscard]] Result<std::string> verify_code(const VerifyCodeRequest& request) const;

  /// Decides whether the record lets the caller perform a sensitive action: verified, live, owned
  /// by the caller, a Password record or a UserPermissionValidation code record, matching the
  /// requested binding, within Policy::max_record_uses. Errors: `permission_denied` for every
  /// refusal, `store_unavailable`, `clock_unavailable`.
  [[nodiscard]] Result<Authorization> authorize(const AuthorizeRequest& request) const;

  /// Checks the "new identifier" record of a change-email/phone call: a verified, live code record
  /// of the caller for `identifier` (normalised comparison), of any template.
  /// Errors: `record_not_found`, `invalid_input`, `store_unavailable`, `clock_unavailable`.
  [[nodiscard]] Result<Authorization> check_identifier_record(const AuthorizeRequest& request,
                                                              const Identifier& identifier) const;

  /// Lifts a password lockout of a user and forgets its failures (Logto issue 7740).
  [[nodiscard]] Result<void> unblock_user(const std::string& user_id) const;
  /// Lifts a code lockout of an identifier (normalised) and forgets its failures.
  [[nodiscard]] Result<void> unblock_identifier(const Identifier& identifier) const;

  /// Deletes expired state in the store, at most `limit` items. Returns how many.
  [[nodiscard]] Result<std::size_t> purge_expired(std::size_t limit = 10'000) const;

  /// The validated policy in force.
  [[nodiscard]] const Policy& policy() const noexcept;

 private:
  struct Impl;
  explicit VerificationManager(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reverify
