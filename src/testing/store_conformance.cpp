#include "reverify/testing/store_conformance.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <initializer_list>
#include <string>
#include <vector>

#include "conformance_support.hpp"
#include "random_sequence.hpp"

// Each SECTION is one clause of the contract in reverify/store.hpp, run on a fresh store.
// Times are t0-relative; nothing sleeps.

namespace reverify::testing {
namespace {

using namespace std::chrono_literals;
using detail::check_same_record;
using detail::code_record;
using detail::ok;
using detail::password_record;
using detail::run_threads;
using detail::t0;
using detail::test_digest;
using detail::test_id;
using Records = std::initializer_list<const VerificationRecord*>;

// The keys of code_record's identifier, shaped as the manager shapes them.
constexpr std::string_view send_key = "send:email:ann@example.com";
constexpr std::string_view lock_key = "lock:email:ann@example.com";

std::shared_ptr<Store> fresh(const StoreFactory& factory) {
  std::shared_ptr<Store> store = factory();
  REQUIRE(store != nullptr);
  return store;
}

VerificationRecord get(Store& store, const std::string& id, Timestamp now = t0) {
  auto found = ok(store.find(id, now), "find");
  REQUIRE(found.has_value());
  return std::move(*found);
}

bool present(Store& store, const std::string& id, Timestamp now = t0) {
  return ok(store.find(id, now), "find").has_value();
}

unsigned thread_count(const StoreCapabilities& capabilities) { return std::max(2u, capabilities.concurrency_threads); }

/// A send limit that never refuses.
SendLimit unlimited(std::string_view key = send_key) { return SendLimit{key, 1h, 1'000'000}; }

/// A lockout rule that never blocks.
LockoutRule lenient(std::string_view key = lock_key) { return LockoutRule{key, 1h, 1'000'000, 1h}; }

/// Opens `record` on an unlimited send key, requiring it to be opened.
void open(Store& store, const VerificationRecord& record, bool retire_previous, Timestamp now = t0,
          std::string_view key = send_key) {
  const OpenResult result = ok(store.open_code(record, unlimited(key), retire_previous, now), "open_code");
  REQUIRE(result.status == OpenStatus::opened);
}

/// The check of `record`'s owner naming its identifier, offering `digest` under its pepper. The
/// check views `record`'s strings: `record` must outlive it.
CodeCheck check_of(const VerificationRecord& record, const Digest& digest, Timestamp now = t0,
                   std::uint32_t max_attempts = 5, LockoutRule lockout = lenient()) {
  CodeCheck check;
  check.record_id = record.id;
  check.user_id = record.user_id;
  check.kind = record.kind;
  check.identifier_key = record.identifier_key;
  check.offered = {OfferedDigest{record.pepper_id, digest}};
  check.max_attempts = max_attempts;
  check.lockout = lockout;
  check.now = now;
  return check;
}

const Digest right_digest = test_digest(1);  // code_record's code_digest
const Digest wrong_digest = test_digest(2);

CheckResult check(Store& store, const CodeCheck& code_check) { return ok(store.check_code(code_check), "check_code"); }

const char* name(CheckStatus status) {
  switch (status) {
    case CheckStatus::not_found:
      return "not_found";
    case CheckStatus::already_verified:
      return "already_verified";
    case CheckStatus::identifier_mismatch:
      return "identifier_mismatch";
    case CheckStatus::code_expired:
      return "code_expired";
    case CheckStatus::blocked:
      return "blocked";
    case CheckStatus::exhausted:
      return "exhausted";
    case CheckStatus::unknown_pepper:
      return "unknown_pepper";
    case CheckStatus::mismatch:
      return "mismatch";
    case CheckStatus::verified:
      return "verified";
  }
  return "?";
}

/// Failures of `key` in the last hour at `now`, read by counting one more (never blocking).
std::uint32_t failures_of(Store& store, std::string_view key, Timestamp now) {
  return ok(store.count_failure(lenient(key), now), "count_failure").failures - 1;
}

/// Sends of `key` in the window at `now`, read by opening one more record (id `probe`).
std::uint32_t sends_of(Store& store, std::string_view key, std::chrono::milliseconds window, Timestamp now,
                       std::uint64_t probe) {
  const OpenResult r =
      ok(store.open_code(code_record(test_id(probe), "probe-user"), SendLimit{key, window, 1'000'000}, false, now),
         "open_code");
  REQUIRE(r.status == OpenStatus::opened);
  return r.sends - 1;
}

std::optional<Timestamp> at(Timestamp t) { return t; }

void round_trip_clauses(const StoreFactory& factory) {
  SECTION("insert then find returns every field as written") {
    auto store = fresh(factory);
    std::vector<VerificationRecord> records;

    VerificationRecord full = code_record(test_id(1), "user-123456");
    full.kind = RecordKind::phone_verification_code;
    full.template_type = TemplateType::bind_new_identifier;
    full.identifier = "+1 555-0100";
    full.identifier_key = "15550100";
    full.purpose = "payment";
    full.binding_digest = test_digest(2);
    full.pepper_id = 0xfffffffeu;
    full.created_at = t0 + 1ms;
    full.expires_at = t0 + 599'999ms;
    full.code_expires_at = t0 + 299'997ms;
    records.push_back(full);

    VerificationRecord non_ascii = code_record(test_id(2), "\xe7\x94\xa8\xe6\x88\xb7-7");
    non_ascii.identifier = "Jos\xc3\xa9@Ex\xc3\xa4mple.com";
    non_ascii.identifier_key = "jos\xc3\xa9@ex\xc3\xa4mple.com";
    non_ascii.template_type = TemplateType::bind_mfa;
    records.push_back(non_ascii);

    VerificationRecord same_key = code_record(test_id(3), "user-1");
    same_key.identifier = "bob@example.com";
    same_key.identifier_key = "bob@example.com";
    same_key.code_digest.reset();  // a code record without a digest still round-trips
    records.push_back(same_key);

    records.push_back(password_record(test_id(4), "user-1"));

    VerificationRecord state = password_record(test_id(5), "user-2");
    state.binding_digest = test_digest(3);
    state.attempts = 3;
    state.use_count = 2;
    state.verified = true;
    state.retired = true;
    records.push_back(state);

    VerificationRecord long_fields = code_record(test_id(6), std::string(200, 'u'));
    long_fields.identifier = std::string(250, 'a') + "@example.com";
    long_fields.identifier_key = long_fields.identifier;
    long_fields.purpose = std::string(100, 'p');
    records.push_back(long_fields);

    for (const auto& record : records) REQUIRE(ok(store->insert(record), "insert"));
    for (const auto& record : records) check_same_record(get(*store, record.id, t0 + 1ms), record);
    CHECK_FALSE(present(*store, test_id(99)));
  }

  SECTION("open_code stores every field as written") {
    auto store = fresh(factory);
    VerificationRecord full = code_record(test_id(1), "\xe7\x94\xa8\xe6\x88\xb7-7");
    full.kind = RecordKind::phone_verification_code;
    full.template_type = TemplateType::bind_new_identifier;
    full.identifier = "+1 555-0100";
    full.identifier_key = "15550100";
    full.purpose = "payment";
    full.binding_digest = test_digest(2);
    full.pepper_id = 0xfffffffeu;
    full.created_at = t0 + 1ms;
    full.expires_at = t0 + 599'999ms;
    full.code_expires_at = t0 + 299'997ms;
    VerificationRecord plain = code_record(test_id(2), "user-1");
    plain.template_type = TemplateType::bind_mfa;
    plain.code_digest.reset();
    open(*store, full, true, t0, "send:phone:15550100");
    open(*store, plain, false);
    check_same_record(get(*store, full.id, t0 + 1ms), full);
    check_same_record(get(*store, plain.id, t0 + 1ms), plain);
  }

  SECTION("a duplicate id is refused by insert and open_code, changing nothing and counting no send") {
    auto store = fresh(factory);
    const VerificationRecord holder = code_record(test_id(1), "user-1");
    const VerificationRecord other = code_record(test_id(2), "user-2");
    const SendLimit limit{send_key, 1h, 3};
    REQUIRE(ok(store->open_code(holder, limit, true, t0), "open_code").status == OpenStatus::opened);
    REQUIRE(ok(store->open_code(other, limit, true, t0), "open_code").status == OpenStatus::opened);

    VerificationRecord clash = code_record(test_id(2), "user-1");  // other's id, holder's slot
    clash.code_digest = test_digest(9);
    clash.verified = true;
    clash.expires_at = t0 + 1h;
    CHECK_FALSE(ok(store->insert(clash), "insert"));
    clash.verified = false;
    CHECK(ok(store->open_code(clash, limit, true, t0 + 1s), "open_code").status == OpenStatus::id_taken);
    CHECK(ok(store->open_code(clash, limit, false, t0 + 1s), "open_code").status == OpenStatus::id_taken);
    check_same_record(get(*store, other.id), other);
    check_same_record(get(*store, holder.id), holder);  // not retired by the refused open_code
    // The refused calls counted no send: one place is left under the limit of 3.
    const OpenResult third = ok(store->open_code(code_record(test_id(3), "user-3"), limit, true, t0 + 2s), "open_code");
    CHECK(third.status == OpenStatus::opened);
    CHECK(third.sends == 3);
    CHECK(third.oldest == t0);
    // A password record's id is taken for open_code too.
    REQUIRE(ok(store->insert(password_record(test_id(4), "user-1")), "insert"));
    CHECK(ok(store->open_code(code_record(test_id(4), "user-1"), unlimited("send:other"), true, t0), "open_code")
              .status == OpenStatus::id_taken);
    CHECK(get(*store, test_id(4)).kind == RecordKind::password);
  }

  SECTION("a record is invisible from exactly expires_at") {
    auto store = fresh(factory);
    VerificationRecord code = code_record(test_id(1), "user-1");
    code.code_expires_at = code.expires_at + 1h;  // only the record's expiry matters here
    VerificationRecord verified = password_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(code), "insert"));
    REQUIRE(ok(store->insert(verified), "insert"));
    const Timestamp last = code.expires_at - 1ms;

    CHECK(present(*store, code.id, last));
    CHECK_FALSE(present(*store, code.id, code.expires_at));
    CHECK_FALSE(present(*store, code.id, code.expires_at + 1ms));
    CHECK_FALSE(present(*store, code.id, code.expires_at + 48h));

    const CheckResult late = check(*store, check_of(code, right_digest, code.expires_at));
    CHECK(late.status == CheckStatus::not_found);
    CHECK(late.attempts == 0);
    CHECK_FALSE(ok(store->use(verified.id, 0, verified.expires_at), "use"));
    // Refusals at expiry changed nothing visible before it, and counted no failure.
    check_same_record(get(*store, code.id, last), code);
    check_same_record(get(*store, verified.id, last), verified);
    CHECK(failures_of(*store, lock_key, last) == 0);
    CHECK(ok(store->use(verified.id, 0, last), "use"));
    CHECK(check(*store, check_of(code, right_digest, last)).status == CheckStatus::verified);
  }
}

void open_code_clauses(const StoreFactory& factory) {
  SECTION("a refused open_code leaves the slot to its holder: the next opened code retires it") {
    auto store = fresh(factory);
    const SendLimit limit{send_key, 1h, 2};
    REQUIRE(ok(store->open_code(code_record(test_id(1), "user-1"), limit, true, t0), "open_code").status ==
            OpenStatus::opened);
    const VerificationRecord holder = code_record(test_id(2), "user-1");  // same slot: retires test_id(1)
    REQUIRE(ok(store->open_code(holder, limit, true, t0), "open_code").status == OpenStatus::opened);
    // Refused twice in the holder's slot: over the limit, and with an id that is taken.
    REQUIRE(ok(store->open_code(code_record(test_id(3), "user-1"), limit, true, t0 + 1s), "open_code").status ==
            OpenStatus::rate_limited);
    REQUIRE(ok(store->open_code(code_record(test_id(1), "user-1"), unlimited("send:other"), true, t0 + 1s), "open_code")
                .status == OpenStatus::id_taken);
    CHECK_FALSE(get(*store, holder.id).retired);
    // The slot still names the holder, so a code that is opened retires it.
    REQUIRE(ok(store->open_code(code_record(test_id(4), "user-1"), unlimited("send:other"), true, t0 + 2s), "open_code")
                .status == OpenStatus::opened);
    CHECK(get(*store, holder.id).retired);
    CHECK_FALSE(get(*store, test_id(4)).retired);
  }

  SECTION("open_code counts sends up to the limit, exact at the window's edge; rate_limited changes nothing") {
    auto store = fresh(factory);
    std::uint64_t n = 0;
    const auto send = [&](Timestamp now, std::uint32_t limit = 3, std::string_view key = send_key) {
      ++n;
      VerificationRecord record = code_record(test_id(n), "user-" + std::to_string(n));
      record.created_at = now;
      record.expires_at = now + 600s;
      const OpenResult result = ok(store->open_code(record, SendLimit{key, 10s, limit}, true, now), "open_code");
      INFO("send " << n);
      CHECK(present(*store, record.id, now) == (result.status == OpenStatus::opened));
      return result;
    };
    OpenResult r = send(t0);
    CHECK(r.status == OpenStatus::opened);
    CHECK(r.sends == 1);
    CHECK(r.oldest == t0);
    CHECK(send(t0 + 1s).sends == 2);
    r = send(t0 + 2s);
    CHECK(r.status == OpenStatus::opened);
    CHECK(r.sends == 3);
    CHECK(r.oldest == t0);
    r = send(t0 + 3s);
    CHECK(r.status == OpenStatus::rate_limited);
    CHECK(r.sends == 3);
    CHECK(r.oldest == t0);
    // t0's send is still in the window 1 ms before t0 + 10 s ...
    r = send(t0 + 10s - 1ms);
    CHECK(r.status == OpenStatus::rate_limited);
    CHECK(r.sends == 3);
    CHECK(r.oldest == t0);
    // ... and forgotten at exactly t0 + 10 s, which frees one place.
    r = send(t0 + 10s);
    CHECK(r.status == OpenStatus::opened);
    CHECK(r.sends == 3);
    CHECK(r.oldest == t0 + 1s);
    r = send(t0 + 10s);
    CHECK(r.status == OpenStatus::rate_limited);
    CHECK(r.oldest == t0 + 1s);
    // Long after, everything is forgotten.
    r = send(t0 + 1h);
    CHECK(r.status == OpenStatus::opened);
    CHECK(r.sends == 1);
    CHECK(r.oldest == t0 + 1h);
    // The limit is the caller's: a higher one allows more; keys are independent.
    CHECK(send(t0 + 1h, 2).sends == 2);
    CHECK(send(t0 + 1h, 2).status == OpenStatus::rate_limited);
    CHECK(send(t0 + 1h, 3).sends == 3);
    r = send(t0 + 1h, 1, "send:phone:15550100");
    CHECK(r.status == OpenStatus::opened);
    CHECK(r.sends == 1);
  }

  SECTION("open_code retires the previous unverified holder of the same slot only") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    open(*store, first, true);

    // Records of other slots: another user, identifier, template or kind.
    VerificationRecord other_user = code_record(test_id(2), "user-2");
    VerificationRecord other_identifier = code_record(test_id(3), "user-1");
    other_identifier.identifier = "bob@example.com";
    other_identifier.identifier_key = "bob@example.com";
    VerificationRecord other_template = code_record(test_id(4), "user-1");
    other_template.template_type = TemplateType::bind_mfa;
    VerificationRecord other_kind = code_record(test_id(5), "user-1");
    other_kind.kind = RecordKind::phone_verification_code;
    for (const auto* r : Records{&other_user, &other_identifier, &other_template, &other_kind}) open(*store, *r, true);
    // Inserted records of the same slot are never holders, and are not retired.
    const VerificationRecord inserted = code_record(test_id(6), "user-1");
    VerificationRecord password = password_record(test_id(7), "user-1");
    password.verified = false;
    REQUIRE(ok(store->insert(inserted), "insert"));
    REQUIRE(ok(store->insert(password), "insert"));
    CHECK_FALSE(get(*store, first.id).retired);

    // Same user, kind, identifier key and template (the identifier as typed may differ).
    VerificationRecord second = code_record(test_id(8), "user-1");
    second.identifier = "ANN@example.COM";
    second.code_digest = test_digest(3);
    open(*store, second, true, t0 + 1s);
    CHECK(get(*store, first.id).retired);
    CHECK_FALSE(get(*store, second.id).retired);
    for (const auto* r : Records{&other_user, &other_identifier, &other_template, &other_kind, &inserted, &password}) {
      INFO("record that is not the holder: " << r->id);
      CHECK_FALSE(get(*store, r->id).retired);
    }
    // The retired code no longer verifies; the new one does.
    CHECK(check(*store, check_of(first, right_digest, t0 + 1s)).status == CheckStatus::not_found);

    const VerificationRecord third = code_record(test_id(9), "user-1");
    open(*store, third, true, t0 + 2s);
    CHECK(get(*store, second.id).retired);
    CHECK_FALSE(get(*store, third.id).retired);
    CHECK_FALSE(get(*store, inserted.id).retired);
  }

  SECTION("a verified holder is not retired by a newer code") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    open(*store, first, true);
    REQUIRE(check(*store, check_of(first, right_digest)).status == CheckStatus::verified);
    const VerificationRecord second = code_record(test_id(2), "user-1");
    open(*store, second, true);
    CHECK_FALSE(get(*store, first.id).retired);
    CHECK(get(*store, first.id).verified);
    CHECK(ok(store->use(first.id, 0, t0), "use"));
    // The newer code is now the holder and goes when a third arrives.
    const VerificationRecord third = code_record(test_id(3), "user-1");
    open(*store, third, true);
    CHECK(get(*store, second.id).retired);
    CHECK_FALSE(get(*store, first.id).retired);
  }

  SECTION("open_code without retire_previous retires nothing and does not take the slot") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    const VerificationRecord second = code_record(test_id(2), "user-1");
    const VerificationRecord third = code_record(test_id(3), "user-1");
    open(*store, first, false);
    open(*store, second, false);
    open(*store, third, false);
    for (const auto* r : Records{&first, &second, &third}) CHECK_FALSE(get(*store, r->id).retired);
    CHECK(check(*store, check_of(first, right_digest)).status == CheckStatus::verified);

    // A holder stays the holder across codes opened without retire_previous.
    const VerificationRecord holder = code_record(test_id(4), "user-2");
    const VerificationRecord beside = code_record(test_id(5), "user-2");
    const VerificationRecord next = code_record(test_id(6), "user-2");
    open(*store, holder, true);
    open(*store, beside, false);
    CHECK_FALSE(get(*store, holder.id).retired);
    open(*store, next, true);
    CHECK(get(*store, holder.id).retired);
    CHECK_FALSE(get(*store, beside.id).retired);
    CHECK_FALSE(get(*store, next.id).retired);
  }

  SECTION("cancel_code deletes the record whatever its state and exactly one send stamped at") {
    auto store = fresh(factory);
    const SendLimit limit{send_key, 60s, 10};
    const VerificationRecord a = code_record(test_id(1), "user-1");
    const VerificationRecord b = code_record(test_id(2), "user-1");
    const VerificationRecord c = code_record(test_id(3), "user-1");
    REQUIRE(ok(store->open_code(a, limit, true, t0), "open_code").sends == 1);
    REQUIRE(ok(store->open_code(b, limit, true, t0), "open_code").sends == 2);  // same millisecond as a
    REQUIRE(ok(store->open_code(c, limit, true, t0 + 1s), "open_code").sends == 3);
    REQUIRE(get(*store, a.id).retired);
    REQUIRE(check(*store, check_of(c, right_digest, t0 + 1s)).status == CheckStatus::verified);

    // One of the two sends at t0 goes with b; a, which b retired, stays retired.
    ok(store->cancel_code(b.id, send_key, t0), "cancel_code");
    CHECK_FALSE(present(*store, b.id));
    CHECK(get(*store, a.id).retired);
    OpenResult r = ok(store->open_code(code_record(test_id(4), "user-9"), limit, false, t0 + 2s), "open_code");
    CHECK(r.sends == 3);
    CHECK(r.oldest == t0);

    // A verified record goes too; a stamp without a send removes none.
    ok(store->cancel_code(c.id, send_key, t0 + 500ms), "cancel_code");
    CHECK_FALSE(present(*store, c.id, t0 + 2s));
    r = ok(store->open_code(code_record(test_id(5), "user-9"), limit, false, t0 + 3s), "open_code");
    CHECK(r.sends == 4);

    // Absent ids and keys are fine; the last send at t0 goes, and a's record stays.
    ok(store->cancel_code(test_id(99), send_key, t0), "cancel_code of an absent id");
    ok(store->cancel_code(test_id(98), "send:never-seen", t0), "cancel_code of an unknown key");
    r = ok(store->open_code(code_record(test_id(6), "user-9"), limit, false, t0 + 4s), "open_code");
    CHECK(r.sends == 4);
    CHECK(r.oldest == t0 + 1s);
    CHECK(present(*store, a.id, t0 + 4s));
    // Another key's sends are untouched.
    REQUIRE(ok(store->open_code(code_record(test_id(7), "user-9"), SendLimit{"send:other", 60s, 10}, false, t0),
               "open_code")
                .sends == 1);
    ok(store->cancel_code(test_id(7), send_key, t0), "cancel_code");
    CHECK(sends_of(*store, "send:other", 60s, t0 + 5s, 100) == 1);
  }
}

void check_code_clauses(const StoreFactory& factory) {
  SECTION("check_code answers not_found for missing, expired, retired, another owner's or kind, changing nothing") {
    auto store = fresh(factory);
    const VerificationRecord expiring = code_record(test_id(1), "user-1");
    VerificationRecord retired = code_record(test_id(2), "user-2");
    retired.retired = true;
    VerificationRecord retired_verified = code_record(test_id(3), "user-3");
    retired_verified.retired = true;
    retired_verified.verified = true;
    const VerificationRecord owned = code_record(test_id(4), "user-4");
    for (const auto* r : Records{&expiring, &retired, &retired_verified, &owned})
      REQUIRE(ok(store->insert(*r), "insert"));

    std::vector<std::pair<std::string, CodeCheck>> checks;
    const VerificationRecord missing = code_record(test_id(99), "user-1");  // never stored; outlives the views
    checks.emplace_back("missing", check_of(missing, right_digest));
    checks.emplace_back("expired", check_of(expiring, right_digest, expiring.expires_at));
    checks.emplace_back("retired", check_of(retired, right_digest));
    checks.emplace_back("retired and verified", check_of(retired_verified, right_digest));
    CodeCheck stranger = check_of(owned, right_digest);
    stranger.user_id = "user-5";
    checks.emplace_back("another owner's", stranger);
    CodeCheck phone = check_of(owned, right_digest);
    phone.kind = RecordKind::phone_verification_code;
    checks.emplace_back("another kind", phone);
    CodeCheck password = check_of(owned, right_digest);
    password.kind = RecordKind::password;
    checks.emplace_back("the password kind", password);
    for (const auto& [what, code_check] : checks) {
      INFO(what);
      const CheckResult r = check(*store, code_check);
      CHECK(name(r.status) == std::string("not_found"));
      CHECK(r.attempts == 0);
      CHECK_FALSE(r.blocked_until.has_value());
    }
    for (const auto* r : Records{&expiring, &retired, &retired_verified, &owned})
      check_same_record(get(*store, r->id), *r);
    CHECK(failures_of(*store, lock_key, t0) == 0);
  }

  SECTION("check_code answers in the documented order, each refusal changing nothing") {
    auto store = fresh(factory);
    const LockoutRule lockout{lock_key, 1h, 1'000'000, 1h};
    const Timestamp late = t0 + 300s + 1ms;  // after code_record's code_expires_at

    // Verified before identifier, code expiry, block and attempts.
    VerificationRecord verified = code_record(test_id(1), "user-1");
    verified.verified = true;
    verified.attempts = 5;
    // Identifier before code expiry; code expiry before the block; the block before attempts.
    VerificationRecord spent = code_record(test_id(2), "user-2");
    spent.attempts = 5;
    for (const auto* r : Records{&verified, &spent}) REQUIRE(ok(store->insert(*r), "insert"));

    const auto expect = [&](const char* what, const CodeCheck& code_check, CheckStatus status, std::uint32_t attempts) {
      INFO(what);
      const CheckResult r = check(*store, code_check);
      CHECK(name(r.status) == std::string(name(status)));
      CHECK(r.attempts == attempts);
      return r;
    };
    CodeCheck elsewhere = check_of(verified, wrong_digest, late, 1, lockout);
    elsewhere.identifier_key = "bob@example.com";
    elsewhere.offered.clear();
    expect("verified, another identifier", elsewhere, CheckStatus::already_verified, 5);

    // Block the lock key until t0 + 1 h.
    REQUIRE(ok(store->count_failure(LockoutRule{lock_key, 1h, 1, 1h}, t0), "count_failure").blocked_until ==
            at(t0 + 1h));
    expect("verified, blocked", check_of(verified, right_digest, t0, 5, lockout), CheckStatus::already_verified, 5);

    elsewhere = check_of(spent, wrong_digest, late, 1, lockout);
    elsewhere.identifier_key = "bob@example.com";
    expect("another identifier, code expired, blocked", elsewhere, CheckStatus::identifier_mismatch, 5);
    expect("code expired, blocked", check_of(spent, right_digest, late, 1, lockout), CheckStatus::code_expired, 5);
    const CheckResult blocked =
        expect("blocked, attempts spent", check_of(spent, right_digest, t0, 5, lockout), CheckStatus::blocked, 5);
    CHECK(blocked.blocked_until == at(t0 + 1h));

    check_same_record(get(*store, verified.id), verified);
    check_same_record(get(*store, spent.id), spent);
    // Only the failure that set the block was counted.
    CHECK(failures_of(*store, lock_key, t0) == 1);
  }

  SECTION("check_code: the code expires strictly after code_expires_at") {
    auto store = fresh(factory);
    const VerificationRecord edge = code_record(test_id(1), "user-1");
    const VerificationRecord after = code_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(edge), "insert"));
    REQUIRE(ok(store->insert(after), "insert"));
    const CheckResult late = check(*store, check_of(after, right_digest, after.code_expires_at + 1ms));
    CHECK(late.status == CheckStatus::code_expired);
    CHECK(late.attempts == 0);
    check_same_record(get(*store, after.id), after);
    const CheckResult r = check(*store, check_of(edge, right_digest, edge.code_expires_at));
    CHECK(r.status == CheckStatus::verified);
    CHECK(r.attempts == 1);
  }

  SECTION("check_code: exhausted counts a failure but no attempt, before the pepper is looked at") {
    auto store = fresh(factory);
    VerificationRecord record = code_record(test_id(1), "user-1");
    record.attempts = 3;
    REQUIRE(ok(store->insert(record), "insert"));
    CodeCheck unknown = check_of(record, right_digest, t0, 3);
    unknown.offered = {OfferedDigest{record.pepper_id + 1, right_digest}};
    for (std::uint32_t i = 1; i <= 3; ++i) {
      const CheckResult r = check(*store, i == 2 ? unknown : check_of(record, right_digest, t0, 3));
      CHECK(r.status == CheckStatus::exhausted);
      CHECK(r.attempts == 3);
      CHECK(r.failures == i);
      CHECK_FALSE(r.blocked_until.has_value());
    }
    check_same_record(get(*store, record.id), record);
    // The limit is the caller's: a higher one allows one more comparison.
    const CheckResult more = check(*store, check_of(record, right_digest, t0, 4));
    CHECK(more.status == CheckStatus::verified);
    CHECK(more.attempts == 4);
  }

  SECTION("check_code: an unknown pepper changes nothing; the record's pepper picks among offered digests") {
    auto store = fresh(factory);
    const VerificationRecord record = code_record(test_id(1), "user-1");  // pepper 7
    REQUIRE(ok(store->insert(record), "insert"));
    CodeCheck unknown = check_of(record, right_digest);
    unknown.offered = {OfferedDigest{6, right_digest}, OfferedDigest{8, right_digest}};
    CHECK(check(*store, unknown).status == CheckStatus::unknown_pepper);
    unknown.offered.clear();
    const CheckResult none = check(*store, unknown);
    CHECK(none.status == CheckStatus::unknown_pepper);
    CHECK(none.attempts == 0);
    check_same_record(get(*store, record.id), record);
    CHECK(failures_of(*store, lock_key, t0) == 0);

    // The right digest under another pepper id does not count; the record's pepper's digest does.
    CodeCheck several = check_of(record, right_digest);
    several.offered = {OfferedDigest{6, right_digest}, OfferedDigest{7, wrong_digest}, OfferedDigest{8, right_digest}};
    const CheckResult wrong = check(*store, several);
    CHECK(wrong.status == CheckStatus::mismatch);
    CHECK(wrong.attempts == 1);
    several.offered = {OfferedDigest{6, wrong_digest}, OfferedDigest{8, wrong_digest}, OfferedDigest{7, right_digest}};
    const CheckResult right = check(*store, several);
    CHECK(right.status == CheckStatus::verified);
    CHECK(right.attempts == 2);
  }

  SECTION("check_code: a mismatch counts an attempt and a failure; a match verifies once") {
    auto store = fresh(factory);
    const VerificationRecord record = code_record(test_id(1), "user-1");
    VerificationRecord no_digest = code_record(test_id(2), "user-1");
    no_digest.code_digest.reset();
    REQUIRE(ok(store->insert(record), "insert"));
    REQUIRE(ok(store->insert(no_digest), "insert"));
    for (std::uint32_t i = 1; i <= 2; ++i) {
      const CheckResult r = check(*store, check_of(record, wrong_digest, t0, 3));
      CHECK(r.status == CheckStatus::mismatch);
      CHECK(r.attempts == i);
      CHECK(r.failures == i);
      CHECK_FALSE(r.blocked_until.has_value());
    }
    CHECK_FALSE(get(*store, record.id).verified);
    CHECK_FALSE(ok(store->use(record.id, 0, t0), "use"));
    const CheckResult r = check(*store, check_of(record, right_digest, t0, 3));
    CHECK(r.status == CheckStatus::verified);
    CHECK(r.attempts == 3);
    CHECK_FALSE(r.blocked_until.has_value());
    VerificationRecord after = record;
    after.attempts = 3;
    after.verified = true;
    check_same_record(get(*store, record.id), after);
    const CheckResult again = check(*store, check_of(record, right_digest, t0, 10));
    CHECK(again.status == CheckStatus::already_verified);
    CHECK(again.attempts == 3);
    CHECK(ok(store->use(record.id, 0, t0), "use"));

    // A record without a code digest never verifies, whatever is offered.
    for (const Digest& offered : {right_digest, Digest{}}) {
      const CheckResult never = check(*store, check_of(no_digest, offered));
      CHECK(never.status == CheckStatus::mismatch);
    }
    CHECK_FALSE(get(*store, no_digest.id).verified);
    CHECK(get(*store, no_digest.id).attempts == 2);
    CHECK(failures_of(*store, lock_key, t0) == 4);
  }

  SECTION("check_code lockout: the failure that reaches the count blocks for the duration") {
    auto store = fresh(factory);
    const LockoutRule lockout{lock_key, 60s, 3, 30s};
    const VerificationRecord record = code_record(test_id(1), "user-1");
    VerificationRecord spent = code_record(test_id(2), "user-1");
    spent.template_type = TemplateType::bind_mfa;
    spent.attempts = 5;
    REQUIRE(ok(store->insert(record), "insert"));
    REQUIRE(ok(store->insert(spent), "insert"));
    CheckResult r = check(*store, check_of(record, wrong_digest, t0, 5, lockout));
    CHECK(r.failures == 1);
    CHECK_FALSE(r.blocked_until.has_value());
    r = check(*store, check_of(spent, right_digest, t0 + 1s, 5, lockout));  // an exhausted failure counts too
    CHECK(r.status == CheckStatus::exhausted);
    CHECK(r.failures == 2);
    CHECK_FALSE(r.blocked_until.has_value());
    r = check(*store, check_of(record, wrong_digest, t0 + 2s, 5, lockout));
    CHECK(r.status == CheckStatus::mismatch);
    CHECK(r.failures == 3);
    CHECK(r.blocked_until == at(t0 + 32s));
    CHECK(ok(store->blocked_until(lock_key, t0 + 2s), "blocked_until") == at(t0 + 32s));

    // Blocked: even the right code is refused, and nothing is counted.
    r = check(*store, check_of(record, right_digest, t0 + 32s - 1ms, 5, lockout));
    CHECK(r.status == CheckStatus::blocked);
    CHECK(r.blocked_until == at(t0 + 32s));
    CHECK(r.attempts == 2);
    CHECK(get(*store, record.id, t0 + 3s).attempts == 2);
    // From the block's end, checks go through again; the failures still in the window count.
    r = check(*store, check_of(record, wrong_digest, t0 + 32s, 5, lockout));
    CHECK(r.status == CheckStatus::mismatch);
    CHECK(r.failures == 4);
    CHECK(r.blocked_until == at(t0 + 62s));
    ok(store->unblock(lock_key), "unblock");
    r = check(*store, check_of(record, right_digest, t0 + 33s, 5, lockout));
    CHECK(r.status == CheckStatus::verified);
    CHECK(r.attempts == 4);
  }
}

void failure_clauses(const StoreFactory& factory) {
  SECTION("count_failure counts in a rolling window and blocks from the failure that reaches the count") {
    auto store = fresh(factory);
    const std::string key = "lock:pw:user-1";
    const LockoutRule rule{key, 10s, 3, 60s};
    const auto fail_at = [&](Timestamp now, LockoutRule r) {
      return ok(store->count_failure(r, now), "count_failure");
    };
    CHECK_FALSE(ok(store->blocked_until(key, t0), "blocked_until").has_value());
    FailureResult r = fail_at(t0, rule);
    CHECK(r.failures == 1);
    CHECK_FALSE(r.blocked_until.has_value());
    CHECK(fail_at(t0 + 1s, rule).failures == 2);
    CHECK_FALSE(ok(store->blocked_until(key, t0 + 1s), "blocked_until").has_value());
    // t0's failure is forgotten at exactly t0 + 10 s: the third failure then makes only 2.
    r = fail_at(t0 + 10s, rule);
    CHECK(r.failures == 2);
    CHECK_FALSE(r.blocked_until.has_value());
    r = fail_at(t0 + 11s - 1ms, rule);  // t0 + 1 s is still in the window
    CHECK(r.failures == 3);
    CHECK(r.blocked_until == at(t0 + 71s - 1ms));
    // In force while now < until; another key is not blocked.
    CHECK(ok(store->blocked_until(key, t0 + 71s - 2ms), "blocked_until") == at(t0 + 71s - 1ms));
    CHECK_FALSE(ok(store->blocked_until(key, t0 + 71s - 1ms), "blocked_until").has_value());
    CHECK_FALSE(ok(store->blocked_until("lock:pw:user-2", t0 + 12s), "blocked_until").has_value());

    // A later existing end is kept when a shorter block follows.
    const std::string other = "lock:email:bob@example.com";
    r = fail_at(t0, LockoutRule{other, 1h, 1, 1h});
    CHECK(r.failures == 1);
    CHECK(r.blocked_until == at(t0 + 1h));
    r = fail_at(t0 + 1s, LockoutRule{other, 1h, 1, 10s});
    CHECK(r.failures == 2);
    CHECK(ok(store->blocked_until(other, t0 + 20s), "blocked_until") == at(t0 + 1h));
    // A longer one extends it.
    r = fail_at(t0 + 2s, LockoutRule{other, 1h, 1, 2h});
    CHECK(r.failures == 3);
    CHECK(ok(store->blocked_until(other, t0 + 1h), "blocked_until") == at(t0 + 2s + 2h));
  }

  SECTION("unblock lifts the block and forgets the key's failures and sends, and only the key's") {
    auto store = fresh(factory);
    const LockoutRule rule{lock_key, 1h, 3, 1h};
    for (std::uint32_t i = 1; i <= 3; ++i) REQUIRE(ok(store->count_failure(rule, t0), "count_failure").failures == i);
    REQUIRE(ok(store->count_failure(LockoutRule{"lock:pw:user-1", 1h, 1, 1h}, t0), "count_failure").blocked_until);
    REQUIRE(ok(store->blocked_until(lock_key, t0), "blocked_until") == at(t0 + 1h));
    const SendLimit limit{send_key, 1h, 2};
    open(*store, code_record(test_id(1), "user-1"), true);
    REQUIRE(ok(store->open_code(code_record(test_id(2), "user-1"), limit, true, t0), "open_code").sends == 2);
    REQUIRE(ok(store->open_code(code_record(test_id(3), "user-1"), limit, true, t0), "open_code").status ==
            OpenStatus::rate_limited);

    ok(store->unblock(lock_key), "unblock");
    ok(store->unblock(send_key), "unblock");
    ok(store->unblock("never-seen"), "unblock of an unknown key");
    CHECK_FALSE(ok(store->blocked_until(lock_key, t0 + 1s), "blocked_until").has_value());
    const FailureResult r = ok(store->count_failure(rule, t0 + 1s), "count_failure");
    CHECK(r.failures == 1);
    CHECK_FALSE(r.blocked_until.has_value());
    const OpenResult sent = ok(store->open_code(code_record(test_id(4), "user-1"), limit, true, t0 + 1s), "open_code");
    CHECK(sent.status == OpenStatus::opened);
    CHECK(sent.sends == 1);
    CHECK(sent.oldest == t0 + 1s);
    // Another key is untouched; records are untouched.
    CHECK(ok(store->blocked_until("lock:pw:user-1", t0 + 1s), "blocked_until") == at(t0 + 1h));
    CHECK(present(*store, test_id(2), t0 + 1s));
  }
}

void use_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("use counts exactly up to max_uses under contention; 0 means no limit") {
    auto store = fresh(factory);
    const VerificationRecord limited = password_record(test_id(1), "user-1");
    const VerificationRecord unlimited_uses = password_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(limited), "insert"));
    REQUIRE(ok(store->insert(unlimited_uses), "insert"));
    const unsigned threads = thread_count(capabilities);
    constexpr std::uint32_t max_uses = 5;
    constexpr unsigned calls_per_thread = 3;
    std::atomic<unsigned> limited_ok{0};
    std::atomic<unsigned> unlimited_ok{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned) {
      for (unsigned i = 0; i < calls_per_thread; ++i) {
        auto a = store->use(limited.id, max_uses, t0);
        auto b = store->use(unlimited_uses.id, 0, t0);
        if (!a || !b) {
          errors.fetch_add(1);
          continue;
        }
        if (*a) limited_ok.fetch_add(1);
        if (*b) unlimited_ok.fetch_add(1);
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    CHECK(limited_ok.load() == max_uses);
    CHECK(get(*store, limited.id).use_count == max_uses);
    CHECK(unlimited_ok.load() == threads * calls_per_thread);
    CHECK(get(*store, unlimited_uses.id).use_count == threads * calls_per_thread);
  }

  SECTION("use refuses missing, unverified, retired and expired records") {
    auto store = fresh(factory);
    const VerificationRecord unverified = code_record(test_id(1), "user-1");
    VerificationRecord retired = password_record(test_id(2), "user-1");
    retired.retired = true;
    const VerificationRecord expiring = password_record(test_id(3), "user-1");
    for (const auto* r : Records{&unverified, &retired, &expiring}) REQUIRE(ok(store->insert(*r), "insert"));
    CHECK_FALSE(ok(store->use(test_id(99), 0, t0), "use"));
    CHECK_FALSE(ok(store->use(unverified.id, 0, t0), "use"));
    CHECK_FALSE(ok(store->use(retired.id, 0, t0), "use"));
    CHECK_FALSE(ok(store->use(expiring.id, 0, expiring.expires_at), "use"));
    for (const auto* r : Records{&unverified, &retired, &expiring}) check_same_record(get(*store, r->id), *r);
    REQUIRE(check(*store, check_of(unverified, right_digest)).status == CheckStatus::verified);
    CHECK(ok(store->use(unverified.id, 1, t0), "use"));
    CHECK_FALSE(ok(store->use(unverified.id, 1, t0), "use"));
    CHECK(ok(store->use(unverified.id, 2, t0), "use"));
  }

  SECTION("a retired code, verified or not, is unusable: use refuses it and check_code does not find it") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    open(*store, first, true);
    const VerificationRecord second = code_record(test_id(2), "user-1");
    open(*store, second, true);
    REQUIRE(get(*store, first.id).retired);
    CHECK(check(*store, check_of(first, right_digest)).status == CheckStatus::not_found);
    CHECK_FALSE(ok(store->use(first.id, 0, t0), "use"));
    const VerificationRecord after = get(*store, first.id);
    CHECK_FALSE(after.verified);
    CHECK(after.attempts == 0);
  }
}

/// Counts each CheckStatus across threads.
struct StatusCounts {
  std::array<std::atomic<unsigned>, 9> counts{};
  std::atomic<unsigned> errors{0};
  void add(const Result<CheckResult>& r) {
    if (!r)
      errors.fetch_add(1);
    else
      counts[static_cast<std::size_t>(r->status)].fetch_add(1);
  }
  unsigned operator[](CheckStatus s) const { return counts[static_cast<std::size_t>(s)].load(); }
  unsigned total() const {
    unsigned sum = 0;
    for (const auto& c : counts) sum += c.load();
    return sum;
  }
};

void concurrency_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  const unsigned threads = thread_count(capabilities);

  SECTION("concurrent wrong codes: exactly max_attempts mismatches, the rest exhausted, every failure counted once") {
    auto store = fresh(factory);
    // The default limit, then a larger one so that more increments race.
    for (const std::uint32_t max_attempts : {10u, 200u}) {
      INFO("max_attempts " << max_attempts);
      const std::string key = "lock:email:" + std::to_string(max_attempts);
      const VerificationRecord record = code_record(test_id(max_attempts), "user-1");
      REQUIRE(ok(store->insert(record), "insert"));
      const unsigned calls_per_thread = std::max(3u, 2 * max_attempts / threads + 1);
      const unsigned total = threads * calls_per_thread;
      StatusCounts statuses;
      std::vector<std::atomic<unsigned>> with_attempts(max_attempts + 2);
      std::vector<std::atomic<unsigned>> with_failures(total + 2);
      std::atomic<unsigned> blocked_reported{0};
      const unsigned thrown = run_threads(threads, [&](unsigned) {
        for (unsigned i = 0; i < calls_per_thread; ++i) {
          const auto r = store->check_code(check_of(record, wrong_digest, t0, max_attempts, lenient(key)));
          statuses.add(r);
          if (!r) continue;
          if (r->status == CheckStatus::mismatch) {
            with_attempts[std::min<std::size_t>(r->attempts, max_attempts + 1)].fetch_add(1);
          }
          with_failures[std::min<std::size_t>(r->failures, total + 1)].fetch_add(1);
          if (r->blocked_until) blocked_reported.fetch_add(1);
        }
      });
      REQUIRE(thrown == 0);
      REQUIRE(statuses.errors.load() == 0);
      CHECK(statuses[CheckStatus::mismatch] == max_attempts);
      CHECK(statuses[CheckStatus::exhausted] == total - max_attempts);
      CHECK(statuses.total() == total);
      CHECK(blocked_reported.load() == 0);
      unsigned attempts_once = 0;
      for (std::uint32_t n = 1; n <= max_attempts; ++n) attempts_once += with_attempts[n].load() == 1;
      CHECK(attempts_once == max_attempts);
      unsigned failures_once = 0;
      for (unsigned n = 1; n <= total; ++n) failures_once += with_failures[n].load() == 1;
      CHECK(failures_once == total);
      CHECK(get(*store, record.id).attempts == max_attempts);
    }
  }

  SECTION("concurrent right codes: exactly one verified, the others already_verified") {
    auto store = fresh(factory);
    const VerificationRecord record = code_record(test_id(1), "user-1");
    REQUIRE(ok(store->insert(record), "insert"));
    StatusCounts statuses;
    const unsigned thrown = run_threads(threads, [&](unsigned) {
      for (int i = 0; i < 2; ++i) statuses.add(store->check_code(check_of(record, right_digest)));
    });
    REQUIRE(thrown == 0);
    REQUIRE(statuses.errors.load() == 0);
    CHECK(statuses[CheckStatus::verified] == 1);
    CHECK(statuses[CheckStatus::already_verified] == 2 * threads - 1);
    const VerificationRecord after = get(*store, record.id);
    CHECK(after.verified);
    CHECK(after.attempts == 1);
  }

  SECTION("concurrent right and wrong codes: at most max_attempts comparisons and at most one verified") {
    auto store = fresh(factory);
    constexpr std::uint32_t max_attempts = 5;
    for (std::uint64_t round = 0; round < 8; ++round) {
      INFO("round " << round);
      const VerificationRecord record = code_record(test_id(100 + round), "user-1");
      REQUIRE(ok(store->insert(record), "insert"));
      StatusCounts statuses;
      const unsigned thrown = run_threads(threads, [&](unsigned t) {
        const bool right = (t + round) % 4 == 0;
        for (int i = 0; i < 2; ++i) {
          statuses.add(store->check_code(check_of(record, right ? right_digest : wrong_digest, t0, max_attempts)));
        }
      });
      REQUIRE(thrown == 0);
      REQUIRE(statuses.errors.load() == 0);
      const unsigned verified = statuses[CheckStatus::verified];
      const unsigned mismatches = statuses[CheckStatus::mismatch];
      CHECK(verified <= 1);
      CHECK(mismatches + verified <= max_attempts);
      // A right code finds the record either verified, or spent by max_attempts mismatches.
      if (verified == 0) CHECK(mismatches == max_attempts);
      CHECK(statuses[CheckStatus::verified] + statuses[CheckStatus::mismatch] +
                statuses[CheckStatus::already_verified] + statuses[CheckStatus::exhausted] ==
            2 * threads);
      const VerificationRecord after = get(*store, record.id);
      CHECK(after.attempts == mismatches + verified);
      CHECK(after.verified == (verified == 1));
    }
  }

  SECTION("concurrent open_code on one send key opens exactly limit codes; the slot keeps one live holder") {
    auto store = fresh(factory);
    constexpr std::uint32_t limit = 7;
    constexpr unsigned calls_per_thread = 3;
    const unsigned total = threads * calls_per_thread;
    std::vector<std::atomic<unsigned>> opened_with(limit + 2);
    std::atomic<unsigned> opened{0};
    std::atomic<unsigned> limited_at_limit{0};
    std::atomic<unsigned> other{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned t) {
      for (unsigned i = 0; i < calls_per_thread; ++i) {
        const auto r = store->open_code(code_record(test_id(100 + t * calls_per_thread + i), "user-1"),
                                        SendLimit{send_key, 1h, limit}, true, t0);
        if (!r) {
          errors.fetch_add(1);
        } else if (r->status == OpenStatus::opened) {
          opened.fetch_add(1);
          opened_with[std::min<std::size_t>(r->sends, limit + 1)].fetch_add(1);
        } else if (r->status == OpenStatus::rate_limited && r->sends == limit && r->oldest == t0) {
          limited_at_limit.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    CHECK(opened.load() == limit);
    CHECK(limited_at_limit.load() == total - limit);
    CHECK(other.load() == 0);
    for (std::uint32_t n = 1; n <= limit; ++n) {
      INFO("sends " << n);
      CHECK(opened_with[n].load() == 1);
    }
    unsigned stored = 0;
    unsigned live_holders = 0;
    for (unsigned n = 0; n < total; ++n) {
      auto found = ok(store->find(test_id(100 + n), t0), "find");
      if (!found) continue;
      ++stored;
      if (!found->retired) ++live_holders;
    }
    CHECK(stored == limit);
    CHECK(live_holders == 1);
  }

  SECTION("concurrent open_code of one id: exactly one opened, one send counted") {
    auto store = fresh(factory);
    std::atomic<unsigned> opened{0};
    std::atomic<unsigned> taken{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned t) {
      const auto r = store->open_code(code_record(test_id(1), "user-" + std::to_string(t)), unlimited(), true, t0);
      if (!r)
        errors.fetch_add(1);
      else if (r->status == OpenStatus::opened)
        opened.fetch_add(1);
      else if (r->status == OpenStatus::id_taken)
        taken.fetch_add(1);
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    CHECK(opened.load() == 1);
    CHECK(taken.load() == threads - 1);
    CHECK_FALSE(get(*store, test_id(1)).retired);
    CHECK(sends_of(*store, send_key, 1h, t0, 2) == 1);
  }

  SECTION("concurrent open_code into shared slots leaves exactly one live holder per slot") {
    auto store = fresh(factory);
    constexpr unsigned per_thread = 12;
    constexpr unsigned slots = 4;  // users; a thread walks them in its own order
    std::atomic<unsigned> opened{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned t) {
      for (unsigned i = 0; i < per_thread; ++i) {
        const unsigned n = t * per_thread + i;
        const std::string user = "user-" + std::to_string((t + i) % slots);
        const std::string key = "send:email:" + user;  // a send key per slot, another per thread pair
        const auto r = store->open_code(code_record(test_id(100 + n), user), unlimited(key), true, t0);
        if (!r)
          errors.fetch_add(1);
        else if (r->status == OpenStatus::opened)
          opened.fetch_add(1);
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    REQUIRE(opened.load() == threads * per_thread);
    std::vector<unsigned> live(slots, 0);
    for (unsigned t = 0; t < threads; ++t) {
      for (unsigned i = 0; i < per_thread; ++i) {
        if (!get(*store, test_id(100 + t * per_thread + i)).retired) ++live[(t + i) % slots];
      }
    }
    for (unsigned slot = 0; slot < slots; ++slot) {
      INFO("slot of user-" << slot);
      CHECK(live[slot] == 1);
      CHECK(sends_of(*store, "send:email:user-" + std::to_string(slot), 1h, t0, 10'000 + slot) ==
            threads * per_thread / slots);
    }
  }

  SECTION("concurrent count_failure counts every failure once; the one reaching the count reports the block") {
    auto store = fresh(factory);
    constexpr std::uint32_t failures = 20;
    constexpr unsigned calls_per_thread = 3;
    const unsigned total = threads * calls_per_thread;
    const LockoutRule rule{"lock:pw:user-1", 1h, failures, 10min};
    std::vector<std::atomic<unsigned>> with_failures(total + 2);
    std::atomic<unsigned> early_block{0};
    std::atomic<unsigned> reaching_reported{0};
    std::atomic<unsigned> wrong_end{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned) {
      for (unsigned i = 0; i < calls_per_thread; ++i) {
        const auto r = store->count_failure(rule, t0);
        if (!r) {
          errors.fetch_add(1);
          continue;
        }
        with_failures[std::min<std::size_t>(r->failures, total + 1)].fetch_add(1);
        if (r->failures < failures && r->blocked_until) early_block.fetch_add(1);
        if (r->failures == failures && r->blocked_until == at(t0 + 10min)) reaching_reported.fetch_add(1);
        if (r->blocked_until && r->blocked_until != at(t0 + 10min)) wrong_end.fetch_add(1);
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    unsigned once = 0;
    for (unsigned n = 1; n <= total; ++n) once += with_failures[n].load() == 1;
    CHECK(once == total);
    CHECK(early_block.load() == 0);
    CHECK(wrong_end.load() == 0);
    if (total >= failures) CHECK(reaching_reported.load() == 1);
    CHECK(ok(store->blocked_until(rule.key, t0), "blocked_until") == at(t0 + 10min));
  }
}

void purge_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("purge_expired deletes what can no longer matter, within its limit, and never live state") {
    auto store = fresh(factory);
    // Purgeable at t0 + 2 s: 14 records, 4 sends (1 s window), 2 failures (1 s window) and 1
    // ended block. Each record, window event and block counts as one item.
    for (std::uint64_t n = 0; n < 10; ++n) {
      VerificationRecord record = code_record(test_id(100 + n), "user-" + std::to_string(n));
      record.expires_at = t0 + 1s + std::chrono::milliseconds(n);
      REQUIRE(ok(store->insert(record), "insert"));
    }
    for (std::uint64_t n = 0; n < 4; ++n) {
      VerificationRecord record = code_record(test_id(150 + n), "user-" + std::to_string(5 + n));
      record.expires_at = t0 + 2s;
      REQUIRE(ok(store->open_code(record, SendLimit{"send:short", 1s, 10}, true, t0), "open_code").status ==
              OpenStatus::opened);
    }
    REQUIRE(ok(store->count_failure(LockoutRule{"lock:ended", 1s, 1, 2s}, t0), "count_failure").blocked_until);
    REQUIRE(ok(store->count_failure(LockoutRule{"lock:active", 1s, 1, 2001ms}, t0), "count_failure").blocked_until);

    // Live at t0 + 2 s: 5 records with spent attempts (user-0..4's holders), 2 sends, 1 block.
    std::vector<VerificationRecord> live;
    for (std::uint64_t n = 0; n < 5; ++n) {
      VerificationRecord record = code_record(test_id(200 + n), "user-" + std::to_string(n));
      record.expires_at = t0 + 2s + std::chrono::milliseconds(1 + n);
      const Timestamp sent = n < 2 ? t0 + std::chrono::milliseconds(1500 * n) : t0;
      const std::string_view key = n < 2 ? std::string_view("send:long") : std::string_view("send:other");
      REQUIRE(ok(store->open_code(record, SendLimit{key, 10s, 10}, true, sent), "open_code").status ==
              OpenStatus::opened);
      record.attempts = 2;
      REQUIRE(check(*store, check_of(record, wrong_digest, sent, 10, lenient("lock:spent"))).status ==
              CheckStatus::mismatch);
      REQUIRE(check(*store, check_of(record, wrong_digest, sent, 10, lenient("lock:spent"))).status ==
              CheckStatus::mismatch);
      live.push_back(record);
    }

    const Timestamp now = t0 + 2s;
    CHECK(ok(store->purge_expired(now, 0), "purge_expired") == 0);
    std::size_t total = 0;
    for (int call = 0; call < 40; ++call) {
      const std::size_t purged = ok(store->purge_expired(now, 3), "purge_expired");
      CHECK(purged <= 3);
      if (call == 0 && !capabilities.native_expiry) CHECK(purged == 3);
      total += purged;
      if (purged == 0) break;
    }
    if (!capabilities.native_expiry) CHECK(total == 21);
    CHECK(ok(store->purge_expired(now, 1000), "purge_expired") == 0);

    for (const auto& record : live) check_same_record(get(*store, record.id, now), record);
    CHECK(ok(store->blocked_until("lock:active", now), "blocked_until") == at(t0 + 2001ms));
    CHECK_FALSE(ok(store->blocked_until("lock:ended", now), "blocked_until").has_value());
    CHECK(failures_of(*store, "lock:spent", now) == 10);
    const OpenResult r = ok(
        store->open_code(code_record(test_id(300), "user-0"), SendLimit{"send:long", 10s, 10}, true, now), "open_code");
    CHECK(r.sends == 3);
    CHECK(r.oldest == t0);
    // Slots keep working after a purge: user-0's live holder was retired by the open_code above,
    // and user-7's slot, whose holder was purged, takes a new one.
    const VerificationRecord after_purged = code_record(test_id(301), "user-7");
    open(*store, after_purged, true, now);
    CHECK(get(*store, live[0].id, now).retired);
    CHECK_FALSE(get(*store, test_id(300), now).retired);
    CHECK_FALSE(get(*store, after_purged.id, now).retired);
    CHECK_FALSE(get(*store, live[1].id, now).retired);
  }
}

}  // namespace

void store_conformance(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  round_trip_clauses(factory);
  open_code_clauses(factory);
  check_code_clauses(factory);
  failure_clauses(factory);
  use_clauses(factory, capabilities);
  concurrency_clauses(factory, capabilities);
  purge_clauses(factory, capabilities);

  SECTION("a seeded random sequence of operations answers like the reference model") {
    auto store = fresh(factory);
    detail::run_random_sequence(*store, 0x7265766572696679ULL, 4000);
  }
}

}  // namespace reverify::testing
