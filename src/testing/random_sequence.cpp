#include "random_sequence.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "conformance_support.hpp"
#include "reference_store.hpp"

namespace reverify::testing::detail {
namespace {

using std::chrono::milliseconds;

/// splitmix64: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform enough in [0, n) for n > 0.
  std::uint32_t below(std::uint64_t n) { return static_cast<std::uint32_t>(next() % n); }
  bool chance(std::uint32_t percent) { return below(100) < percent; }

 private:
  std::uint64_t state_;
};

struct IdentifierChoice {
  RecordKind kind;
  const char* value;
  const char* key;
};

constexpr std::array<IdentifierChoice, 5> identifiers = {{
    {RecordKind::email_verification_code, "Ann@Example.com", "ann@example.com"},
    {RecordKind::email_verification_code, "bob@example.com", "bob@example.com"},
    {RecordKind::email_verification_code, "Jos\xc3\xa9@Ex\xc3\xa4mple.com", "jos\xc3\xa9@ex\xc3\xa4mple.com"},
    {RecordKind::phone_verification_code, "+1 555-0100", "15550100"},
    {RecordKind::phone_verification_code, "15550199", "15550199"},
}};
constexpr std::array<const char*, 3> users = {"user-1", "user-2", "user-3"};
constexpr std::array<TemplateType, 3> templates = {TemplateType::user_permission_validation,
                                                   TemplateType::bind_new_identifier, TemplateType::bind_mfa};
constexpr std::array<std::uint32_t, 3> peppers = {1, 2, 3};

/// One window per send key, one rule per lock key (the suite never mixes them on one key).
constexpr std::int64_t send_window_ms(RecordKind kind) {
  return kind == RecordKind::phone_verification_code ? 4000 : 6000;
}

struct Rule {
  std::int64_t window_ms;
  std::uint32_t failures;
  std::int64_t duration_ms;
};
Rule lock_rule(const std::string& key) {
  if (key.rfind("lock:pw:", 0) == 0) return {5000, 2, 2000};
  if (key.rfind("lock:phone:", 0) == 0) return {6000, 2, 5000};
  return {8000, 3, 3000};
}

std::string kind_prefix(RecordKind kind) { return kind == RecordKind::phone_verification_code ? "phone:" : "email:"; }
std::string send_key(RecordKind kind, const std::string& identifier_key) {
  return "send:" + kind_prefix(kind) + identifier_key;
}
std::string lock_key(RecordKind kind, const std::string& identifier_key) {
  return "lock:" + kind_prefix(kind) + identifier_key;
}

/// Every key the sequence uses, for the lockout and unblock operations and the final comparison.
std::vector<std::string> all_keys() {
  std::vector<std::string> keys;
  for (const auto& choice : identifiers) {
    keys.push_back(send_key(choice.kind, choice.key));
    keys.push_back(lock_key(choice.kind, choice.key));
  }
  for (const char* user : users) keys.push_back(std::string("lock:pw:") + user);
  return keys;
}

VerificationRecord random_code(Rng& rng, std::string id, std::int64_t now) {
  VerificationRecord record;
  record.id = std::move(id);
  record.user_id = users[rng.below(users.size())];
  const IdentifierChoice& choice = identifiers[rng.below(identifiers.size())];
  record.kind = choice.kind;
  record.identifier = choice.value;
  record.identifier_key = choice.key;
  record.template_type = templates[rng.below(templates.size())];
  if (!rng.chance(3)) record.code_digest = test_digest(rng.below(1u << 30));
  if (rng.chance(20)) record.purpose = "payment";
  if (rng.chance(20)) record.binding_digest = test_digest(rng.below(1u << 30));
  record.pepper_id = peppers[rng.below(peppers.size())];
  record.created_at = from_unix_ms(now);
  record.expires_at = from_unix_ms(now + 500 + rng.below(20'000));
  record.code_expires_at = from_unix_ms(now + 300 + rng.below(15'000));
  return record;
}

/// A record for `insert`: any kind and state.
VerificationRecord random_record(Rng& rng, std::string id, std::int64_t now) {
  VerificationRecord record = random_code(rng, std::move(id), now);
  if (rng.chance(40)) {
    record.kind = RecordKind::password;
    record.template_type = TemplateType::user_permission_validation;
    record.identifier.clear();
    record.identifier_key.clear();
    record.code_digest.reset();
    record.code_expires_at = Timestamp{};
    record.verified = rng.chance(90);
  } else {
    record.verified = rng.chance(5);
  }
  record.attempts = rng.chance(10) ? rng.below(4) : 0;
  record.use_count = rng.chance(5) ? rng.below(3) : 0;
  record.retired = rng.chance(3);
  return record;
}

/// One flag per slot, never mixed: BindMfa slots keep Logto's way.
bool retire_flag(const VerificationRecord& record) { return record.template_type != TemplateType::bind_mfa; }

void require_same(const std::optional<VerificationRecord>& actual, const std::optional<VerificationRecord>& expected) {
  REQUIRE(actual.has_value() == expected.has_value());
  if (!expected) return;
  INFO("expected " << describe(*expected));
  INFO("actual   " << describe(*actual));
  REQUIRE(actual->id == expected->id);
  REQUIRE(actual->user_id == expected->user_id);
  REQUIRE(actual->kind == expected->kind);
  REQUIRE(actual->template_type == expected->template_type);
  REQUIRE(actual->identifier == expected->identifier);
  REQUIRE(actual->identifier_key == expected->identifier_key);
  REQUIRE(actual->purpose == expected->purpose);
  REQUIRE(actual->binding_digest == expected->binding_digest);
  REQUIRE(actual->code_digest == expected->code_digest);
  REQUIRE(actual->pepper_id == expected->pepper_id);
  REQUIRE(actual->attempts == expected->attempts);
  REQUIRE(actual->use_count == expected->use_count);
  REQUIRE(to_unix_ms(actual->created_at) == to_unix_ms(expected->created_at));
  REQUIRE(to_unix_ms(actual->expires_at) == to_unix_ms(expected->expires_at));
  REQUIRE(to_unix_ms(actual->code_expires_at) == to_unix_ms(expected->code_expires_at));
  REQUIRE(actual->verified == expected->verified);
  REQUIRE(actual->retired == expected->retired);
}

std::int64_t ms(const std::optional<Timestamp>& t) { return t ? to_unix_ms(*t) : -1; }

void require_same(const ModelFailure& expected, const FailureResult& actual) {
  REQUIRE(actual.failures == expected.result.failures);
  if (expected.end_reported) {
    REQUIRE(ms(actual.blocked_until) == ms(expected.result.blocked_until));
  } else if (actual.blocked_until) {
    REQUIRE(to_unix_ms(*actual.blocked_until) >= to_unix_ms(*expected.result.blocked_until));
  }
}

struct Sent {
  std::string id;
  std::string key;
  std::int64_t at = 0;
};

}  // namespace

void run_random_sequence(Store& store, std::uint64_t seed, int steps) {
  ReferenceStore model;
  Rng rng(seed);
  std::int64_t now = to_unix_ms(t0);
  std::vector<std::string> ids;
  std::vector<Sent> sent;
  const std::vector<std::string> keys = all_keys();
  std::uint64_t next_id = 1;
  std::array<unsigned, 9> check_statuses{};
  // Instants where an answer changes (expiry, window and block edges): time sometimes jumps to
  // one exactly, so that the millisecond rules are compared too.
  std::set<std::int64_t> edges;
  const auto edges_of = [&](const VerificationRecord& record) {
    edges.insert(to_unix_ms(record.expires_at));
    edges.insert(to_unix_ms(record.code_expires_at));
    edges.insert(to_unix_ms(record.code_expires_at) + 1);
  };
  unsigned edge_jumps = 0;

  const auto pick_id = [&]() -> std::string {
    if (ids.empty() || rng.chance(6)) return test_id(1'000'000'000 + rng.below(1000));  // never inserted
    if (rng.chance(70)) return ids[ids.size() - 1 - rng.below(std::min<std::size_t>(ids.size(), 8))];
    return ids[rng.below(ids.size())];
  };
  const auto pick_live_id = [&]() -> std::optional<std::string> {
    const std::string id = pick_id();
    if (!model.find(id, now)) return std::nullopt;  // re-using an expired id is outside the contract
    return id;
  };

  for (int step = 0; step < steps; ++step) {
    const std::uint32_t pace = rng.below(100);
    edges.erase(edges.begin(), edges.upper_bound(now));
    if (pace < 10 && !edges.empty() && *edges.begin() - now < 4000) {
      now = *edges.begin();
      ++edge_jumps;
      // Read-only probes at the edge: every block, and the latest records.
      INFO("edge probe at t0 + " << (now - to_unix_ms(t0)) << " ms");
      for (const std::string& key : keys) {
        const auto expected = model.blocked_until(key, now);
        REQUIRE(ms(ok(store.blocked_until(key, from_unix_ms(now)), "blocked_until")) ==
                (expected ? *expected : std::int64_t{-1}));
      }
      for (std::size_t back = 0; back < std::min<std::size_t>(ids.size(), 8); ++back) {
        const std::string& id = ids[ids.size() - 1 - back];
        require_same(ok(store.find(id, from_unix_ms(now)), "find"), model.find(id, now));
      }
    } else if (pace >= 30) {
      now += rng.below(pace < 95 ? 400 : 4000);
    }
    const Timestamp at = from_unix_ms(now);
    const std::uint32_t op = rng.below(100);
    INFO("seed " << seed << ", step " << step << ", op " << op << ", now = t0 + " << (now - to_unix_ms(t0)) << " ms");

    if (op < 8) {
      const VerificationRecord record = random_record(rng, test_id(next_id++), now);
      INFO("insert " << describe(record));
      ids.push_back(record.id);
      edges_of(record);
      REQUIRE(ok(store.insert(record), "insert") == model.insert(record));
    } else if (op < 10) {
      const auto id = pick_live_id();
      if (!id) continue;
      const VerificationRecord record = random_record(rng, *id, now);
      INFO("duplicate insert " << describe(record));
      REQUIRE_FALSE(ok(store.insert(record), "insert"));
      REQUIRE_FALSE(model.insert(record));
    } else if (op < 26) {
      std::string id = test_id(next_id++);
      if (rng.chance(5)) {
        if (const auto live = pick_live_id()) id = *live;
      }
      const VerificationRecord record = random_code(rng, id, now);
      const bool retire = retire_flag(record);
      const std::string key = send_key(record.kind, record.identifier_key);
      const std::int64_t window = send_window_ms(record.kind);
      const std::uint32_t limit = 2 + rng.below(3);
      INFO("open_code " << describe(record) << " key " << key << " limit " << limit << " retire_previous=" << retire);
      const OpenResult actual =
          ok(store.open_code(record, SendLimit{key, milliseconds(window), limit}, retire, at), "open_code");
      const OpenResult expected = model.open_code(record, key, window, limit, retire, now);
      REQUIRE(static_cast<int>(actual.status) == static_cast<int>(expected.status));
      if (expected.status != OpenStatus::id_taken) {
        REQUIRE(actual.sends == expected.sends);
        REQUIRE(to_unix_ms(actual.oldest) == to_unix_ms(expected.oldest));
      }
      if (expected.status == OpenStatus::opened) {
        ids.push_back(record.id);
        sent.push_back({record.id, key, now});
        edges_of(record);
        edges.insert(now + window);
      }
    } else if (op < 30) {
      Sent cancel;
      if (!sent.empty() && rng.chance(85)) {
        cancel = sent[sent.size() - 1 - rng.below(std::min<std::size_t>(sent.size(), 6))];
        if (rng.chance(15)) cancel.id = pick_id();  // another record than the send's
      } else {
        const IdentifierChoice& choice = identifiers[rng.below(identifiers.size())];
        cancel = {pick_id(), send_key(choice.kind, choice.key), now - rng.below(3000)};
      }
      INFO("cancel_code " << cancel.id << " key " << cancel.key << " at t0 + " << (cancel.at - to_unix_ms(t0)));
      ok(store.cancel_code(cancel.id, cancel.key, from_unix_ms(cancel.at)), "cancel_code");
      model.cancel_code(cancel.id, cancel.key, cancel.at);
    } else if (op < 38) {
      const std::string id = pick_id();
      INFO("find " << id);
      require_same(ok(store.find(id, at), "find"), model.find(id, now));
    } else if (op < 66) {
      // Mostly one of the latest codes sent, so that attempts run out and lockouts happen.
      const std::string id = !sent.empty() && rng.chance(60)
                                 ? sent[sent.size() - 1 - rng.below(std::min<std::size_t>(sent.size(), 4))].id
                                 : pick_id();
      const auto present = model.records().find(id);
      VerificationRecord target = present != model.records().end() ? present->second : random_code(rng, id, now);
      // Mostly the owner naming the record's identifier; sometimes someone or something else.
      if (rng.chance(5)) target.user_id = users[rng.below(users.size())];
      if (rng.chance(4)) target.kind = rng.chance(50) ? RecordKind::email_verification_code : RecordKind::password;
      if (rng.chance(6) || target.kind == RecordKind::password) {
        target.identifier_key = identifiers[rng.below(identifiers.size())].key;
      }
      const std::string lock = lock_key(target.kind, target.identifier_key);
      const Rule rule = lock_rule(lock);
      CodeCheck check;
      check.record_id = id;
      check.user_id = target.user_id;
      check.kind = target.kind;
      check.identifier_key = target.identifier_key;
      check.max_attempts = 1 + rng.below(3);
      check.lockout = LockoutRule{lock, milliseconds(rule.window_ms), rule.failures, milliseconds(rule.duration_ms)};
      check.now = at;
      const std::uint32_t form = rng.below(100);
      const Digest right = target.code_digest.value_or(test_digest(5));
      const Digest wrong = test_digest(rng.below(1u << 30) | (1u << 30));
      for (const std::uint32_t pepper : peppers) {
        if (pepper == target.pepper_id) {
          // 0..44 right, 45..89 wrong, 90..99 the record's pepper not offered.
          if (form < 45) check.offered.push_back({pepper, right});
          if (form >= 45 && form < 90) check.offered.push_back({pepper, wrong});
        } else if (rng.chance(60)) {
          // Other peppers: a random digest, or the right one under the wrong pepper id.
          check.offered.push_back({pepper, rng.chance(50) ? right : test_digest(rng.below(1u << 30))});
        }
      }
      if (check.offered.size() > 1 && rng.chance(50)) std::swap(check.offered.front(), check.offered.back());
      INFO("check_code " << id << " user " << target.user_id << " kind " << static_cast<int>(target.kind) << " key "
                         << target.identifier_key << " max " << check.max_attempts << " form " << form << " offered "
                         << check.offered.size());
      const CheckResult actual = ok(store.check_code(check), "check_code");
      CheckResult expected;
      const ModelFailure failure = model.check_code(check, expected);
      REQUIRE(static_cast<int>(actual.status) == static_cast<int>(expected.status));
      ++check_statuses[static_cast<std::size_t>(expected.status)];
      REQUIRE(actual.attempts == expected.attempts);
      if (expected.status == CheckStatus::exhausted || expected.status == CheckStatus::mismatch) {
        require_same(failure, FailureResult{actual.failures, actual.blocked_until});
        edges.insert(now + rule.window_ms);
        if (failure.result.blocked_until) edges.insert(to_unix_ms(*failure.result.blocked_until));
      } else {
        REQUIRE(ms(actual.blocked_until) == ms(expected.blocked_until));
      }
    } else if (op < 74) {
      const std::string id = pick_id();
      const std::uint32_t max_uses = rng.below(4);
      INFO("use " << id << " max " << max_uses);
      REQUIRE(ok(store.use(id, max_uses, at), "use") == model.use(id, max_uses, now));
    } else if (op < 82) {
      std::string key = keys[rng.below(keys.size())];
      if (key.rfind("send:", 0) == 0) key.replace(0, 4, "lock");
      const Rule rule = lock_rule(key);
      INFO("count_failure " << key);
      const FailureResult actual =
          ok(store.count_failure(
                 LockoutRule{key, milliseconds(rule.window_ms), rule.failures, milliseconds(rule.duration_ms)}, at),
             "count_failure");
      const ModelFailure expected = model.count_failure(key, rule.window_ms, rule.failures, rule.duration_ms, now);
      require_same(expected, actual);
      edges.insert(now + rule.window_ms);
      if (expected.result.blocked_until) edges.insert(to_unix_ms(*expected.result.blocked_until));
    } else if (op < 91) {
      const std::string& key = keys[rng.below(keys.size())];
      INFO("blocked_until " << key);
      const auto expected = model.blocked_until(key, now);
      REQUIRE(ms(ok(store.blocked_until(key, at), "blocked_until")) == (expected ? *expected : std::int64_t{-1}));
    } else if (op < 95) {
      const std::string& key = keys[rng.below(keys.size())];
      INFO("unblock " << key);
      ok(store.unblock(key), "unblock");
      model.unblock(key);
    } else {
      const std::size_t limit = rng.below(30);
      INFO("purge_expired limit " << limit);
      const std::size_t purged = ok(store.purge_expired(at, limit), "purge_expired");
      REQUIRE(purged <= limit);
      if (limit == 0) REQUIRE(purged == 0);
    }
  }

  // The mix reached every answer of check_code at least once and the edges often (else the seed
  // tests too little).
  CHECK(edge_jumps >= static_cast<unsigned>(steps / 40));
  for (std::size_t status = 0; status < check_statuses.size(); ++status) {
    INFO("check_code status " << status << " answered " << check_statuses[status] << " times");
    CHECK(check_statuses[status] > 0);
  }
  // Whatever the operations and purges did, every record and block reads back as the model has it.
  for (const std::string& id : ids) {
    INFO("final find " << id);
    require_same(ok(store.find(id, from_unix_ms(now)), "find"), model.find(id, now));
  }
  for (const std::string& key : keys) {
    INFO("final blocked_until " << key);
    const auto expected = model.blocked_until(key, now);
    REQUIRE(ms(ok(store.blocked_until(key, from_unix_ms(now)), "blocked_until")) ==
            (expected ? *expected : std::int64_t{-1}));
  }
  // Once everything has ended, a purge leaves nothing visible.
  const Timestamp later = from_unix_ms(now + 86'400'000);
  for (int call = 0; call < 1000 && ok(store.purge_expired(later, 1000), "purge_expired") != 0; ++call) {
  }
  for (const std::string& id : ids) REQUIRE_FALSE(ok(store.find(id, later), "find").has_value());
}

}  // namespace reverify::testing::detail
