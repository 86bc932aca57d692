#include "reverify/testing/store_conformance.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
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
using detail::test_id;
using Records = std::initializer_list<const VerificationRecord*>;

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

unsigned thread_count(const StoreCapabilities& capabilities) { return std::max(2u, capabilities.concurrency_threads); }

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
    full.binding_digest = detail::test_digest(2);
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
    state.binding_digest = detail::test_digest(3);
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

    for (const auto& record : records) REQUIRE(ok(store->insert(record, false), "insert"));
    for (const auto& record : records) check_same_record(get(*store, record.id, t0 + 1ms), record);
    CHECK_FALSE(ok(store->find(test_id(99), t0), "find").has_value());
  }

  SECTION("a duplicate id is refused and changes nothing, even with retire_previous") {
    auto store = fresh(factory);
    const VerificationRecord holder = code_record(test_id(1), "user-1");
    const VerificationRecord other = code_record(test_id(2), "user-2");
    REQUIRE(ok(store->insert(holder, true), "insert"));
    REQUIRE(ok(store->insert(other, true), "insert"));

    VerificationRecord clash = code_record(test_id(2), "user-1");  // other's id, holder's slot
    clash.code_digest = detail::test_digest(9);
    clash.verified = true;
    clash.expires_at = t0 + 1h;
    CHECK_FALSE(ok(store->insert(clash, true), "insert"));
    CHECK_FALSE(ok(store->insert(clash, false), "insert"));
    check_same_record(get(*store, other.id), other);
    check_same_record(get(*store, holder.id), holder);  // not retired by the refused insert
  }

  SECTION("a record is invisible from exactly expires_at") {
    auto store = fresh(factory);
    VerificationRecord code = code_record(test_id(1), "user-1");
    VerificationRecord verified = password_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(code, false), "insert"));
    REQUIRE(ok(store->insert(verified, false), "insert"));
    const Timestamp last = code.expires_at - 1ms;

    CHECK(ok(store->find(code.id, last), "find").has_value());
    CHECK_FALSE(ok(store->find(code.id, code.expires_at), "find").has_value());
    CHECK_FALSE(ok(store->find(code.id, code.expires_at + 1ms), "find").has_value());
    CHECK_FALSE(ok(store->find(code.id, code.expires_at + 48h), "find").has_value());

    CHECK(ok(store->spend_attempt(code.id, 10, code.expires_at), "spend_attempt").status == AttemptStatus::not_found);
    CHECK_FALSE(ok(store->mark_verified(code.id, code.expires_at), "mark_verified"));
    CHECK_FALSE(ok(store->use(verified.id, 0, verified.expires_at), "use"));
    // Refusals at expiry changed nothing visible before it.
    check_same_record(get(*store, code.id, last), code);
    check_same_record(get(*store, verified.id, last), verified);
    CHECK(ok(store->use(verified.id, 0, last), "use"));
  }
}

void attempt_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("spend_attempt counts exactly up to max_attempts, then answers exhausted") {
    auto store = fresh(factory);
    VerificationRecord record = code_record(test_id(1), "user-1");
    record.pepper_id = 42;
    REQUIRE(ok(store->insert(record, false), "insert"));
    for (std::uint32_t i = 1; i <= 3; ++i) {
      const AttemptResult spent = ok(store->spend_attempt(record.id, 3, t0), "spend_attempt");
      CHECK(spent.status == AttemptStatus::spent);
      CHECK(spent.attempts == i);
      CHECK(spent.code_digest == record.code_digest);
      CHECK(spent.pepper_id == 42);
    }
    for (int i = 0; i < 3; ++i) {
      const AttemptResult refused = ok(store->spend_attempt(record.id, 3, t0), "spend_attempt");
      CHECK(refused.status == AttemptStatus::exhausted);
      CHECK(refused.attempts == 3);
    }
    CHECK(get(*store, record.id).attempts == 3);
    // The limit is the caller's: a higher one allows more.
    CHECK(ok(store->spend_attempt(record.id, 4, t0), "spend_attempt").status == AttemptStatus::spent);
    CHECK(ok(store->spend_attempt(record.id, 4, t0), "spend_attempt").status == AttemptStatus::exhausted);

    VerificationRecord preset = code_record(test_id(2), "user-1");
    preset.attempts = 2;
    REQUIRE(ok(store->insert(preset, false), "insert"));
    CHECK(ok(store->spend_attempt(preset.id, 2, t0), "spend_attempt").status == AttemptStatus::exhausted);
    CHECK(ok(store->spend_attempt(preset.id, 0, t0), "spend_attempt").status == AttemptStatus::exhausted);
    CHECK(get(*store, preset.id).attempts == 2);
  }

  SECTION("spend_attempt refuses missing, expired, retired and verified records, counting nothing") {
    auto store = fresh(factory);
    const VerificationRecord expiring = code_record(test_id(1), "user-1");
    VerificationRecord retired = code_record(test_id(2), "user-2");
    VerificationRecord verified = code_record(test_id(3), "user-3");
    verified.verified = true;
    verified.attempts = 1;
    VerificationRecord verified_retired = code_record(test_id(4), "user-4");
    verified_retired.verified = true;
    for (const auto* r : Records{&expiring, &retired, &verified, &verified_retired}) {
      REQUIRE(ok(store->insert(*r, false), "insert"));
    }
    ok(store->retire(retired.id), "retire");
    ok(store->retire(verified_retired.id), "retire");
    retired.retired = true;
    verified_retired.retired = true;

    const AttemptResult missing = ok(store->spend_attempt(test_id(99), 10, t0), "spend_attempt");
    CHECK(missing.status == AttemptStatus::not_found);
    CHECK_FALSE(missing.code_digest.has_value());
    CHECK(ok(store->spend_attempt(expiring.id, 10, expiring.expires_at), "spend_attempt").status ==
          AttemptStatus::not_found);
    CHECK(ok(store->spend_attempt(retired.id, 10, t0), "spend_attempt").status == AttemptStatus::not_found);
    CHECK(ok(store->spend_attempt(verified_retired.id, 10, t0), "spend_attempt").status == AttemptStatus::not_found);
    const AttemptResult already = ok(store->spend_attempt(verified.id, 10, t0), "spend_attempt");
    CHECK(already.status == AttemptStatus::already_verified);
    CHECK(already.attempts == 1);
    CHECK_FALSE(already.code_digest.has_value());

    check_same_record(get(*store, expiring.id), expiring);
    check_same_record(get(*store, retired.id), retired);
    check_same_record(get(*store, verified.id), verified);
    check_same_record(get(*store, verified_retired.id), verified_retired);
  }

  SECTION("concurrent spend_attempt never counts past max_attempts") {
    auto store = fresh(factory);
    const unsigned threads = thread_count(capabilities);
    // The default limit, then a larger one so that more increments race (lost updates show up
    // as a count handed out twice).
    for (const std::uint32_t max_attempts : {10u, 200u}) {
      INFO("max_attempts " << max_attempts);
      const VerificationRecord record = code_record(test_id(max_attempts), "user-1");
      REQUIRE(ok(store->insert(record, false), "insert"));
      const unsigned calls_per_thread = std::max(3u, 2 * max_attempts / threads + 1);

      std::vector<std::atomic<unsigned>> spent_with_count(max_attempts + 2);
      std::atomic<unsigned> spent{0};
      std::atomic<unsigned> exhausted{0};
      std::atomic<unsigned> other{0};
      std::atomic<unsigned> errors{0};
      std::atomic<unsigned> bad_digest{0};
      const unsigned thrown = run_threads(threads, [&](unsigned) {
        for (unsigned i = 0; i < calls_per_thread; ++i) {
          auto result = store->spend_attempt(record.id, max_attempts, t0);
          if (!result) {
            errors.fetch_add(1);
          } else if (result->status == AttemptStatus::spent) {
            spent.fetch_add(1);
            spent_with_count[std::min<std::size_t>(result->attempts, max_attempts + 1)].fetch_add(1);
            if (result->code_digest != record.code_digest) bad_digest.fetch_add(1);
          } else if (result->status == AttemptStatus::exhausted && result->attempts == max_attempts) {
            exhausted.fetch_add(1);
          } else {
            other.fetch_add(1);
          }
        }
      });
      REQUIRE(thrown == 0);
      REQUIRE(errors.load() == 0);
      CHECK(spent.load() == max_attempts);
      CHECK(exhausted.load() == threads * calls_per_thread - max_attempts);
      CHECK(other.load() == 0);
      CHECK(bad_digest.load() == 0);
      unsigned counts_handed_out_once = 0;
      for (std::uint32_t n = 1; n <= max_attempts; ++n) counts_handed_out_once += spent_with_count[n].load() == 1;
      CHECK(counts_handed_out_once == max_attempts);
      CHECK(get(*store, record.id).attempts == max_attempts);
    }
  }
}

void verify_and_use_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("concurrent mark_verified: exactly one caller wins") {
    auto store = fresh(factory);
    const VerificationRecord record = code_record(test_id(1), "user-1");
    REQUIRE(ok(store->insert(record, false), "insert"));
    std::atomic<unsigned> wins{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(thread_count(capabilities), [&](unsigned) {
      for (int i = 0; i < 2; ++i) {
        auto result = store->mark_verified(record.id, t0);
        if (!result)
          errors.fetch_add(1);
        else if (*result)
          wins.fetch_add(1);
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    CHECK(wins.load() == 1);
    CHECK(get(*store, record.id).verified);
    CHECK(ok(store->spend_attempt(record.id, 10, t0), "spend_attempt").status == AttemptStatus::already_verified);
  }

  SECTION("mark_verified refuses missing, expired, retired and verified records") {
    auto store = fresh(factory);
    const VerificationRecord expiring = code_record(test_id(1), "user-1");
    const VerificationRecord retired = code_record(test_id(2), "user-2");
    VerificationRecord verified = password_record(test_id(3), "user-3");
    for (const auto* r : Records{&expiring, &retired, &verified}) REQUIRE(ok(store->insert(*r, false), "insert"));
    ok(store->retire(retired.id), "retire");

    CHECK_FALSE(ok(store->mark_verified(test_id(99), t0), "mark_verified"));
    CHECK_FALSE(ok(store->mark_verified(expiring.id, expiring.expires_at), "mark_verified"));
    CHECK_FALSE(ok(store->mark_verified(retired.id, t0), "mark_verified"));
    CHECK_FALSE(ok(store->mark_verified(verified.id, t0), "mark_verified"));
    CHECK_FALSE(get(*store, expiring.id).verified);
    CHECK_FALSE(get(*store, retired.id).verified);
    CHECK(ok(store->mark_verified(expiring.id, expiring.expires_at - 1ms), "mark_verified"));
  }

  SECTION("use counts exactly up to max_uses under contention; 0 means no limit") {
    auto store = fresh(factory);
    const VerificationRecord limited = password_record(test_id(1), "user-1");
    const VerificationRecord unlimited = password_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(limited, false), "insert"));
    REQUIRE(ok(store->insert(unlimited, false), "insert"));
    const unsigned threads = thread_count(capabilities);
    constexpr std::uint32_t max_uses = 5;
    constexpr unsigned calls_per_thread = 3;
    std::atomic<unsigned> limited_ok{0};
    std::atomic<unsigned> unlimited_ok{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned) {
      for (unsigned i = 0; i < calls_per_thread; ++i) {
        auto a = store->use(limited.id, max_uses, t0);
        auto b = store->use(unlimited.id, 0, t0);
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
    CHECK(get(*store, unlimited.id).use_count == threads * calls_per_thread);
  }

  SECTION("use refuses missing, unverified, retired and expired records") {
    auto store = fresh(factory);
    const VerificationRecord unverified = code_record(test_id(1), "user-1");
    const VerificationRecord retired = password_record(test_id(2), "user-1");
    const VerificationRecord expiring = password_record(test_id(3), "user-1");
    for (const auto* r : Records{&unverified, &retired, &expiring}) REQUIRE(ok(store->insert(*r, false), "insert"));
    ok(store->retire(retired.id), "retire");
    CHECK_FALSE(ok(store->use(test_id(99), 0, t0), "use"));
    CHECK_FALSE(ok(store->use(unverified.id, 0, t0), "use"));
    CHECK_FALSE(ok(store->use(retired.id, 0, t0), "use"));
    CHECK_FALSE(ok(store->use(expiring.id, 0, expiring.expires_at), "use"));
    CHECK(get(*store, unverified.id).use_count == 0);
    CHECK(get(*store, retired.id).use_count == 0);
    CHECK(ok(store->mark_verified(unverified.id, t0), "mark_verified"));
    CHECK(ok(store->use(unverified.id, 1, t0), "use"));
    CHECK_FALSE(ok(store->use(unverified.id, 1, t0), "use"));
  }

  SECTION("retire makes a record unusable whatever its state; absent ids are fine") {
    auto store = fresh(factory);
    const VerificationRecord code = code_record(test_id(1), "user-1");
    const VerificationRecord verified = password_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(code, false), "insert"));
    REQUIRE(ok(store->insert(verified, false), "insert"));
    CHECK(ok(store->use(verified.id, 0, t0), "use"));
    ok(store->retire(code.id), "retire");
    ok(store->retire(verified.id), "retire");
    ok(store->retire(verified.id), "retire again");
    ok(store->retire(test_id(99)), "retire of an absent id");
    CHECK_FALSE(ok(store->find(test_id(99), t0), "find").has_value());

    const VerificationRecord code_after = get(*store, code.id);
    CHECK(code_after.retired);  // retired records stay visible to find
    CHECK_FALSE(code_after.verified);
    CHECK(code_after.attempts == 0);
    CHECK(ok(store->spend_attempt(code.id, 10, t0), "spend_attempt").status == AttemptStatus::not_found);
    CHECK_FALSE(ok(store->mark_verified(code.id, t0), "mark_verified"));
    CHECK_FALSE(ok(store->use(verified.id, 0, t0), "use"));
    const VerificationRecord verified_after = get(*store, verified.id);
    CHECK(verified_after.retired);
    CHECK(verified_after.verified);
    CHECK(verified_after.use_count == 1);
  }
}

void retire_previous_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("insert with retire_previous retires the earlier unverified holder of the same slot only") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    REQUIRE(ok(store->insert(first, true), "insert"));

    // Records of other slots: another user, identifier, template or kind, and a password record.
    VerificationRecord other_user = code_record(test_id(2), "user-2");
    VerificationRecord other_identifier = code_record(test_id(3), "user-1");
    other_identifier.identifier = "bob@example.com";
    other_identifier.identifier_key = "bob@example.com";
    VerificationRecord other_template = code_record(test_id(4), "user-1");
    other_template.template_type = TemplateType::bind_mfa;
    VerificationRecord other_kind = code_record(test_id(5), "user-1");
    other_kind.kind = RecordKind::phone_verification_code;
    VerificationRecord password = password_record(test_id(6), "user-1");
    password.verified = false;
    for (const auto* r : Records{&other_user, &other_identifier, &other_template, &other_kind, &password}) {
      REQUIRE(ok(store->insert(*r, true), "insert"));
    }
    CHECK_FALSE(get(*store, first.id).retired);

    // Same user, kind, identifier key and template (the identifier as typed may differ).
    VerificationRecord second = code_record(test_id(7), "user-1");
    second.identifier = "ANN@example.COM";
    second.code_digest = detail::test_digest(2);
    REQUIRE(ok(store->insert(second, true), "insert"));
    CHECK(get(*store, first.id).retired);
    CHECK_FALSE(get(*store, second.id).retired);
    for (const auto* r : Records{&other_user, &other_identifier, &other_template, &other_kind, &password}) {
      INFO("record of another slot: " << r->id);
      CHECK_FALSE(get(*store, r->id).retired);
    }

    const VerificationRecord third = code_record(test_id(8), "user-1");
    REQUIRE(ok(store->insert(third, true), "insert"));
    CHECK(get(*store, second.id).retired);
    CHECK_FALSE(get(*store, third.id).retired);
  }

  SECTION("a verified holder is not retired by a newer code") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    REQUIRE(ok(store->insert(first, true), "insert"));
    REQUIRE(ok(store->mark_verified(first.id, t0), "mark_verified"));
    const VerificationRecord second = code_record(test_id(2), "user-1");
    REQUIRE(ok(store->insert(second, true), "insert"));
    CHECK_FALSE(get(*store, first.id).retired);
    CHECK(get(*store, first.id).verified);
    CHECK(ok(store->use(first.id, 0, t0), "use"));
    // The newer code is now the holder and goes when a third arrives.
    const VerificationRecord third = code_record(test_id(3), "user-1");
    REQUIRE(ok(store->insert(third, true), "insert"));
    CHECK(get(*store, second.id).retired);
    CHECK_FALSE(get(*store, first.id).retired);
  }

  SECTION("insert without retire_previous retires nothing") {
    auto store = fresh(factory);
    const VerificationRecord first = code_record(test_id(1), "user-1");
    const VerificationRecord second = code_record(test_id(2), "user-1");
    const VerificationRecord third = code_record(test_id(3), "user-1");
    REQUIRE(ok(store->insert(first, false), "insert"));
    REQUIRE(ok(store->insert(second, false), "insert"));
    REQUIRE(ok(store->insert(third, false), "insert"));
    CHECK_FALSE(get(*store, first.id).retired);
    CHECK_FALSE(get(*store, second.id).retired);
    CHECK_FALSE(get(*store, third.id).retired);
    CHECK(ok(store->spend_attempt(first.id, 10, t0), "spend_attempt").status == AttemptStatus::spent);
  }

  SECTION("concurrent inserts into shared slots leave exactly one live holder per slot") {
    auto store = fresh(factory);
    const unsigned threads = thread_count(capabilities);
    constexpr unsigned per_thread = 12;
    constexpr unsigned slots = 4;  // users; a thread walks them in its own order
    std::atomic<unsigned> inserted{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned t) {
      for (unsigned i = 0; i < per_thread; ++i) {
        const unsigned n = t * per_thread + i;
        auto result = store->insert(code_record(test_id(100 + n), "user-" + std::to_string((t + i) % slots)), true);
        if (!result)
          errors.fetch_add(1);
        else if (*result)
          inserted.fetch_add(1);
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    REQUIRE(inserted.load() == threads * per_thread);
    std::vector<unsigned> live(slots, 0);
    for (unsigned t = 0; t < threads; ++t) {
      for (unsigned i = 0; i < per_thread; ++i) {
        if (!get(*store, test_id(100 + t * per_thread + i)).retired) ++live[(t + i) % slots];
      }
    }
    for (unsigned slot = 0; slot < slots; ++slot) {
      INFO("slot of user-" << slot);
      CHECK(live[slot] == 1);
    }
  }

  SECTION("concurrent inserts of one id: exactly one succeeds") {
    auto store = fresh(factory);
    std::atomic<unsigned> inserted{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(thread_count(capabilities), [&](unsigned t) {
      VerificationRecord record = code_record(test_id(1), "user-" + std::to_string(t));
      auto result = store->insert(record, true);
      if (!result)
        errors.fetch_add(1);
      else if (*result)
        inserted.fetch_add(1);
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    CHECK(inserted.load() == 1);
    CHECK_FALSE(get(*store, test_id(1)).retired);
  }
}

void window_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("window_add counts to the limit and forgets events at or before now - window") {
    auto store = fresh(factory);
    const std::string key = "lockout:user-1";
    const auto add = [&](Timestamp now, std::uint32_t limit = 3) {
      return ok(store->window_add(key, 10s, limit, now), "window_add");
    };
    WindowResult r = add(t0);
    CHECK(r.counted);
    CHECK(r.count == 1);
    CHECK(r.oldest == t0);
    CHECK(add(t0 + 1s).count == 2);
    r = add(t0 + 2s);
    CHECK(r.counted);
    CHECK(r.count == 3);
    r = add(t0 + 3s);
    CHECK_FALSE(r.counted);
    CHECK(r.count == 3);
    CHECK(r.oldest == t0);
    // t0's event is still in the window 1 ms before t0 + 10 s ...
    r = add(t0 + 10s - 1ms);
    CHECK_FALSE(r.counted);
    CHECK(r.count == 3);
    CHECK(r.oldest == t0);
    // ... and forgotten at exactly t0 + 10 s, which frees one place.
    r = add(t0 + 10s);
    CHECK(r.counted);
    CHECK(r.count == 3);
    CHECK(r.oldest == t0 + 1s);
    // Long after, everything is forgotten.
    r = add(t0 + 1h);
    CHECK(r.counted);
    CHECK(r.count == 1);
    CHECK(r.oldest == t0 + 1h);

    // Keys are independent, and a limit of 0 never counts.
    r = ok(store->window_add("other", 10s, 0, t0), "window_add");
    CHECK_FALSE(r.counted);
    CHECK(r.count == 0);
    CHECK(r.oldest == Timestamp{});
    r = ok(store->window_add("other", 10s, 1, t0), "window_add");
    CHECK(r.counted);
    CHECK(r.count == 1);
  }

  SECTION("window_remove undoes exactly one event") {
    auto store = fresh(factory);
    const std::string key = "send:ann@example.com";
    CHECK(ok(store->window_add(key, 60s, 5, t0), "window_add").count == 1);
    CHECK(ok(store->window_add(key, 60s, 5, t0), "window_add").count == 2);
    CHECK(ok(store->window_add(key, 60s, 5, t0 + 1s), "window_add").count == 3);
    ok(store->window_remove(key, t0), "window_remove");
    CHECK(ok(store->window_add(key, 60s, 5, t0 + 2s), "window_add").count == 3);
    ok(store->window_remove(key, t0 + 500ms), "window_remove of no event");
    ok(store->window_remove("unknown", t0), "window_remove of an unknown key");
    WindowResult r = ok(store->window_add(key, 60s, 5, t0 + 3s), "window_add");
    CHECK(r.count == 4);
    CHECK(r.oldest == t0);
    ok(store->window_remove(key, t0), "window_remove");
    r = ok(store->window_add(key, 60s, 5, t0 + 4s), "window_add");
    CHECK(r.count == 4);
    CHECK(r.oldest == t0 + 1s);
  }

  SECTION("concurrent window_add counts exactly limit events") {
    auto store = fresh(factory);
    const unsigned threads = thread_count(capabilities);
    constexpr std::uint32_t limit = 7;
    constexpr unsigned calls_per_thread = 3;
    std::vector<std::atomic<unsigned>> counted_with(limit + 2);
    std::atomic<unsigned> counted{0};
    std::atomic<unsigned> refused_at_limit{0};
    std::atomic<unsigned> other{0};
    std::atomic<unsigned> errors{0};
    const unsigned thrown = run_threads(threads, [&](unsigned) {
      for (unsigned i = 0; i < calls_per_thread; ++i) {
        auto r = store->window_add("lockout:shared", 1h, limit, t0);
        if (!r) {
          errors.fetch_add(1);
        } else if (r->counted) {
          counted.fetch_add(1);
          counted_with[std::min<std::size_t>(r->count, limit + 1)].fetch_add(1);
        } else if (r->count == limit) {
          refused_at_limit.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      }
    });
    REQUIRE(thrown == 0);
    REQUIRE(errors.load() == 0);
    CHECK(counted.load() == limit);
    CHECK(refused_at_limit.load() == threads * calls_per_thread - limit);
    CHECK(other.load() == 0);
    for (std::uint32_t n = 1; n <= limit; ++n) {
      INFO("count " << n);
      CHECK(counted_with[n].load() == 1);
    }
  }
}

void block_clauses(const StoreFactory& factory) {
  SECTION("block lasts until its end, exclusive, and keeps the later end") {
    auto store = fresh(factory);
    const std::string key = "lockout:user-1";
    CHECK_FALSE(ok(store->blocked_until(key, t0), "blocked_until").has_value());
    ok(store->block(key, t0 + 60s), "block");
    CHECK(ok(store->blocked_until(key, t0), "blocked_until") == std::optional<Timestamp>(t0 + 60s));
    CHECK(ok(store->blocked_until(key, t0 + 60s - 1ms), "blocked_until") == std::optional<Timestamp>(t0 + 60s));
    CHECK_FALSE(ok(store->blocked_until(key, t0 + 60s), "blocked_until").has_value());
    CHECK_FALSE(ok(store->blocked_until("lockout:user-2", t0), "blocked_until").has_value());

    ok(store->block(key, t0 + 120s), "block");
    ok(store->block(key, t0 + 90s), "block with an earlier end");
    CHECK(ok(store->blocked_until(key, t0 + 100s), "blocked_until") == std::optional<Timestamp>(t0 + 120s));
    CHECK_FALSE(ok(store->blocked_until(key, t0 + 120s), "blocked_until").has_value());
  }

  SECTION("unblock lifts the block and forgets the key's window events") {
    auto store = fresh(factory);
    const std::string key = "lockout:ann@example.com";
    for (int i = 0; i < 3; ++i) REQUIRE(ok(store->window_add(key, 1h, 3, t0), "window_add").counted);
    ok(store->window_add("lockout:other", 1h, 3, t0), "window_add");
    ok(store->block("lockout:other", t0 + 1h), "block");
    ok(store->block(key, t0 + 1h), "block");
    ok(store->unblock(key), "unblock");
    ok(store->unblock("never-seen"), "unblock of an unknown key");
    CHECK_FALSE(ok(store->blocked_until(key, t0 + 1s), "blocked_until").has_value());
    const WindowResult r = ok(store->window_add(key, 1h, 3, t0 + 1s), "window_add");
    CHECK(r.counted);
    CHECK(r.count == 1);
    // Other keys are untouched.
    CHECK(ok(store->blocked_until("lockout:other", t0 + 1s), "blocked_until").has_value());
    CHECK(ok(store->window_add("lockout:other", 1h, 3, t0 + 1s), "window_add").count == 2);
  }
}

void purge_clauses(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  SECTION("purge_expired deletes what can no longer matter, within its limit, and never live state") {
    auto store = fresh(factory);
    // Purgeable at t0 + 2 s: 10 records, 4 window events (1 s window), 1 ended block. Each
    // record, event and block counts as one item.
    std::vector<VerificationRecord> live;
    for (std::uint64_t n = 0; n < 10; ++n) {
      VerificationRecord record = code_record(test_id(100 + n), "user-" + std::to_string(n));
      record.expires_at = t0 + 1s + std::chrono::milliseconds(n);
      REQUIRE(ok(store->insert(record, true), "insert"));
    }
    for (std::uint64_t n = 0; n < 5; ++n) {
      VerificationRecord record = code_record(test_id(200 + n), "user-" + std::to_string(n));
      record.expires_at = t0 + 2s + std::chrono::milliseconds(1 + n);
      REQUIRE(ok(store->insert(record, true), "insert"));
      record.attempts = 2;
      REQUIRE(ok(store->spend_attempt(record.id, 10, t0), "spend_attempt").status == AttemptStatus::spent);
      REQUIRE(ok(store->spend_attempt(record.id, 10, t0), "spend_attempt").status == AttemptStatus::spent);
      live.push_back(record);
    }
    for (int i = 0; i < 4; ++i) REQUIRE(ok(store->window_add("short", 1s, 10, t0), "window_add").counted);
    REQUIRE(ok(store->window_add("long", 10s, 10, t0), "window_add").counted);
    REQUIRE(ok(store->window_add("long", 10s, 10, t0 + 1500ms), "window_add").counted);
    ok(store->block("ended", t0 + 2s), "block");
    ok(store->block("active", t0 + 2s + 1ms), "block");

    const Timestamp now = t0 + 2s;
    CHECK(ok(store->purge_expired(now, 0), "purge_expired") == 0);
    std::size_t total = 0;
    for (int call = 0; call < 20; ++call) {
      const std::size_t purged = ok(store->purge_expired(now, 3), "purge_expired");
      CHECK(purged <= 3);
      if (call == 0 && !capabilities.native_expiry) CHECK(purged == 3);
      total += purged;
      if (purged == 0) break;
    }
    if (!capabilities.native_expiry) CHECK(total == 15);
    CHECK(ok(store->purge_expired(now, 1000), "purge_expired") == 0);

    for (const auto& record : live) check_same_record(get(*store, record.id, now), record);
    CHECK(ok(store->blocked_until("active", now), "blocked_until") == std::optional<Timestamp>(t0 + 2s + 1ms));
    const WindowResult r = ok(store->window_add("long", 10s, 10, now), "window_add");
    CHECK(r.count == 3);
    CHECK(r.oldest == t0);
    // Slots keep working after a purge: user-0's live holder is retired by a newer code, and
    // user-7's slot, whose holder was purged, takes a new holder.
    const VerificationRecord next = code_record(test_id(300), "user-0");
    const VerificationRecord after_purged = code_record(test_id(301), "user-7");
    REQUIRE(ok(store->insert(next, true), "insert"));
    REQUIRE(ok(store->insert(after_purged, true), "insert"));
    CHECK(get(*store, live[0].id, now).retired);
    CHECK_FALSE(get(*store, next.id, now).retired);
    CHECK_FALSE(get(*store, after_purged.id, now).retired);
    CHECK_FALSE(get(*store, live[1].id, now).retired);
  }
}

}  // namespace

void store_conformance(const StoreFactory& factory, const StoreCapabilities& capabilities) {
  round_trip_clauses(factory);
  attempt_clauses(factory, capabilities);
  verify_and_use_clauses(factory, capabilities);
  retire_previous_clauses(factory, capabilities);
  window_clauses(factory, capabilities);
  block_clauses(factory);
  purge_clauses(factory, capabilities);

  SECTION("a seeded random sequence of operations answers like the reference model") {
    auto store = fresh(factory);
    detail::run_random_sequence(*store, capabilities, 0x7265766572696679ULL, 4000);
  }
}

}  // namespace reverify::testing
