#include "random_sequence.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include "conformance_support.hpp"
#include "reference_store.hpp"

namespace reverify::testing::detail {
namespace {

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

struct WindowKey {
  const char* key;
  std::int64_t window_ms;
};
constexpr std::array<WindowKey, 3> window_keys = {{
    {"lockout:user-1", 3000},
    {"lockout:ann@example.com", 5000},
    {"send:15550100", 2000},
}};

VerificationRecord random_record(Rng& rng, std::string id, std::int64_t now) {
  VerificationRecord record;
  record.id = std::move(id);
  record.user_id = users[rng.below(users.size())];
  if (rng.chance(20)) {
    record.kind = RecordKind::password;
    record.verified = rng.chance(90);
  } else {
    const IdentifierChoice& choice = identifiers[rng.below(identifiers.size())];
    record.kind = choice.kind;
    record.identifier = choice.value;
    record.identifier_key = choice.key;
    record.template_type = templates[rng.below(templates.size())];
    record.code_digest = test_digest(rng.below(1u << 30));
    record.code_expires_at = from_unix_ms(now + 1000 + rng.below(15'000));
    record.verified = rng.chance(5);
  }
  if (rng.chance(20)) record.purpose = "payment";
  if (rng.chance(20)) record.binding_digest = test_digest(rng.below(1u << 30));
  record.pepper_id = 1 + rng.below(3);
  record.attempts = rng.chance(10) ? rng.below(4) : 0;
  record.use_count = rng.chance(5) ? rng.below(3) : 0;
  record.created_at = from_unix_ms(now);
  record.expires_at = from_unix_ms(now + 500 + rng.below(20'000));
  record.retired = rng.chance(3);
  return record;
}

/// One flag per slot, never mixed (see ReferenceStore::insert): BindMfa slots keep Logto's way.
bool retire_flag(const VerificationRecord& record, Rng& rng) {
  if (!record.is_code()) return rng.chance(50);
  return record.template_type != TemplateType::bind_mfa;
}

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

}  // namespace

void run_random_sequence(Store& store, const StoreCapabilities& capabilities, std::uint64_t seed, int steps) {
  ReferenceStore model;
  Rng rng(seed);
  std::int64_t now = to_unix_ms(t0);
  std::vector<std::string> ids;
  std::uint64_t next_id = 1;
  std::map<std::string, std::vector<std::int64_t>> added_events;

  const auto pick_id = [&]() -> std::string {
    if (ids.empty() || rng.chance(8)) return test_id(1'000'000'000 + rng.below(1000));  // never inserted
    if (rng.chance(70)) return ids[ids.size() - 1 - rng.below(std::min<std::size_t>(ids.size(), 8))];
    return ids[rng.below(ids.size())];
  };

  for (int step = 0; step < steps; ++step) {
    const std::uint32_t pace = rng.below(100);
    if (pace >= 30) now += rng.below(pace < 95 ? 400 : 4000);
    const Timestamp at = from_unix_ms(now);
    const std::uint32_t op = rng.below(100);
    INFO("seed " << seed << ", step " << step << ", op " << op << ", now = t0 + " << (now - to_unix_ms(t0)) << " ms");

    if (op < 25) {
      const VerificationRecord record = random_record(rng, test_id(next_id++), now);
      const bool retire = retire_flag(record, rng);
      INFO("insert " << describe(record) << " retire_previous=" << retire);
      ids.push_back(record.id);
      REQUIRE(ok(store.insert(record, retire), "insert") == model.insert(record, retire));
    } else if (op < 28) {
      const std::string id = pick_id();
      if (!model.find(id, now)) continue;  // re-inserting an expired id is outside the contract
      const VerificationRecord record = random_record(rng, id, now);
      const bool retire = retire_flag(record, rng);
      INFO("duplicate insert " << describe(record) << " retire_previous=" << retire);
      REQUIRE_FALSE(ok(store.insert(record, retire), "insert"));
      REQUIRE_FALSE(model.insert(record, retire));
    } else if (op < 38) {
      const std::string id = pick_id();
      INFO("find " << id);
      require_same(ok(store.find(id, at), "find"), model.find(id, now));
    } else if (op < 52) {
      const std::string id = pick_id();
      const std::uint32_t max_attempts = 1 + rng.below(4);
      INFO("spend_attempt " << id << " max " << max_attempts);
      const AttemptResult actual = ok(store.spend_attempt(id, max_attempts, at), "spend_attempt");
      const AttemptResult expected = model.spend_attempt(id, max_attempts, now);
      REQUIRE(static_cast<int>(actual.status) == static_cast<int>(expected.status));
      if (expected.status != AttemptStatus::not_found) REQUIRE(actual.attempts == expected.attempts);
      if (expected.status == AttemptStatus::spent) {
        REQUIRE(actual.code_digest == expected.code_digest);
        REQUIRE(actual.pepper_id == expected.pepper_id);
      }
    } else if (op < 60) {
      const std::string id = pick_id();
      INFO("mark_verified " << id);
      REQUIRE(ok(store.mark_verified(id, at), "mark_verified") == model.mark_verified(id, now));
    } else if (op < 68) {
      const std::string id = pick_id();
      const std::uint32_t max_uses = rng.below(4);
      INFO("use " << id << " max " << max_uses);
      REQUIRE(ok(store.use(id, max_uses, at), "use") == model.use(id, max_uses, now));
    } else if (op < 71) {
      const std::string id = pick_id();
      INFO("retire " << id);
      ok(store.retire(id), "retire");
      model.retire(id);
    } else if (op < 82) {
      const WindowKey& key = window_keys[rng.below(window_keys.size())];
      const std::uint32_t limit = rng.chance(5) ? 0 : 1 + rng.below(4);
      INFO("window_add " << key.key << " window " << key.window_ms << " ms, limit " << limit);
      const WindowResult actual =
          ok(store.window_add(key.key, std::chrono::milliseconds(key.window_ms), limit, at), "window_add");
      const WindowResult expected = model.window_add(key.key, key.window_ms, limit, now);
      REQUIRE(actual.counted == expected.counted);
      REQUIRE(actual.count == expected.count);
      REQUIRE(to_unix_ms(actual.oldest) == to_unix_ms(expected.oldest));
      if (expected.counted) added_events[key.key].push_back(now);
    } else if (op < 85) {
      const WindowKey& key = window_keys[rng.below(window_keys.size())];
      const auto& events = added_events[key.key];
      const std::int64_t event = events.empty() || rng.chance(20) ? now : events[rng.below(events.size())];
      INFO("window_remove " << key.key << " at t0 + " << (event - to_unix_ms(t0)) << " ms");
      ok(store.window_remove(key.key, from_unix_ms(event)), "window_remove");
      model.window_remove(key.key, event);
    } else if (op < 89) {
      const WindowKey& key = window_keys[rng.below(window_keys.size())];
      const std::int64_t until = now - 1000 + rng.below(8000);
      INFO("block " << key.key << " until t0 + " << (until - to_unix_ms(t0)) << " ms");
      ok(store.block(key.key, from_unix_ms(until)), "block");
      model.block(key.key, until);
    } else if (op < 94) {
      const WindowKey& key = window_keys[rng.below(window_keys.size())];
      INFO("blocked_until " << key.key);
      const auto actual = ok(store.blocked_until(key.key, at), "blocked_until");
      const auto expected = model.blocked_until(key.key, now);
      REQUIRE(actual.has_value() == expected.has_value());
      if (expected) REQUIRE(to_unix_ms(*actual) == *expected);
    } else if (op < 96) {
      const WindowKey& key = window_keys[rng.below(window_keys.size())];
      INFO("unblock " << key.key);
      ok(store.unblock(key.key), "unblock");
      model.unblock(key.key);
    } else {
      const std::size_t limit = rng.below(30);
      INFO("purge_expired limit " << limit);
      const std::size_t purged = ok(store.purge_expired(at, limit), "purge_expired");
      REQUIRE(purged <= limit);
      if (capabilities.native_expiry) continue;  // may always answer 0
    }
  }

  // Whatever the operations and purges did, every record reads back as the model has it.
  for (const std::string& id : ids) {
    INFO("final find " << id);
    require_same(ok(store.find(id, from_unix_ms(now)), "find"), model.find(id, now));
  }
}

}  // namespace reverify::testing::detail
