// Fuzzes the example server's request handling (examples/account_api_server: router, JSON bodies,
// routes) with sequences of up to 16 requests from three users, on a fresh manager per input.
// Bodies are either raw fuzz bytes (the JSON parser and field checks) or JSON objects built from
// fuzz choices that reuse what earlier answers gave (the verification flows, so step-up is
// reached). Every answer must hold:
// - no 500 (an unexpected exception), a status the API documents, a JSON object body unless 204,
//   `code` and `message` strings on errors;
// - no password, password hash or sent code anywhere in a body or header;
// - a 204 on a change only with a step-up record verified for that caller earlier in the input
//   (or none needed: a first password for a user without credentials), and a new email or phone
//   only with a code record verified for that caller.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sodium.h>
#include <nlohmann/json.hpp>

#include "account_api_routes.hpp"
#include "api_router.hpp"
#include "fuzz_digest_hasher.hpp"
#include "fuzz_input.hpp"
#include "reverify/reverify.hpp"
#include "users_file.hpp"

namespace {

using reverify::server::ApiRequest;
using reverify::server::ApiResponse;
using reverify::test::DigestHasher;
using Json = nlohmann::json;

[[noreturn]] void violated(const char* what, const ApiRequest& request, const ApiResponse& response) {
  // The request body may hold a password: only the route and the answer are printed.
  static_cast<void>(std::fprintf(stderr, "api_request_fuzz: %s\n  %s %s -> %u %s\n", what, request.method.c_str(),
                                 request.path.c_str(), response.status, response.body.c_str()));
  std::abort();
}

constexpr std::string_view users_json = R"({"users": [
  {"id": "u-alice", "accessToken": "tok-alice", "username": "alice", "password": "alice-password-1",
   "primaryEmail": "alice@example.com", "primaryPhone": "15550001111"},
  {"id": "u-bob", "accessToken": "tok-bob", "username": "bob", "password": "bob-password-1",
   "primaryEmail": "bob@example.com"},
  {"id": "u-carol", "accessToken": "tok-carol"}
]})";

struct Caller {
  const char* id;
  const char* token;
  const char* password;
};
constexpr std::array<Caller, 3> callers = {{
    {"u-alice", "tok-alice", "alice-password-1"},
    {"u-bob", "tok-bob", "bob-password-1"},
    {"u-carol", "tok-carol", ""},
}};

/// The passwords the harness sets (so they can be looked for in answers).
constexpr std::string_view new_password_prefix = "new-password-";

/// Beside the API's routes, requests the router must refuse or answer without a user.
constexpr std::array<reverify::test::ApiRoute, 3> other_routes = {{
    {"GET", "/health"},
    {"OPTIONS", "/api/my-account"},
    {"PUT", "/api/verifications/password"},
}};

using Input = reverify::test::FuzzInput;

/// What earlier answers of this input gave, for requests to reuse and for the checks.
struct History {
  std::vector<std::string> record_ids;  // from every 201/200 of a verification route, in order
  std::vector<std::string> codes;       // every code the sender delivered, in order
  std::set<std::string> secrets{"alice-password-1", "bob-password-1", std::string(DigestHasher::prefix)};
  std::array<std::set<std::string>, 3> verified;       // per caller: step-up records (password or code)
  std::array<std::set<std::string>, 3> code_verified;  // per caller: code records only
};

Json identifier_json(Input& in) {
  Json id = Json::object();
  const std::uint8_t choice = in.byte();
  id["type"] = choice % 3 == 0 ? "phone" : (choice % 3 == 1 ? "email" : "fax");
  switch (in.byte() % 5) {
    case 0:
      id["value"] = "alice@example.com";
      break;
    case 1:
      id["value"] = "+1 555-000-1111";
      break;
    case 2:
      id["value"] = "new" + std::to_string(in.byte() % 4) + "@example.com";
      break;
    case 3:
      id["value"] = "1555000" + std::to_string(1000 + in.byte() % 8);
      break;
    default:
      id["value"] = in.text(24);
  }
  return id;
}

/// One of the record ids answers gave (ids are random, so the input names them by position),
/// an altered one, or fuzz text.
std::string record_id_choice(Input& in, const History& history) {
  const std::uint8_t choice = in.byte();
  const std::uint8_t index = in.byte();
  if (choice % 3 == 2 || history.record_ids.empty()) return in.text(24);
  const std::string& id = history.record_ids[index % history.record_ids.size()];
  return choice % 3 == 0 ? id : id.substr(1);
}

/// A body built from fuzz choices: the fields the routes read, with values an attacker or a
/// confused client would send (right or wrong password, the code just sent, the record just made).
std::string structured_body(Input& in, const History& history, const Caller& caller) {
  Json body = Json::object();
  const std::uint8_t fields = in.byte();
  if ((fields & 1) != 0) {
    const std::uint8_t choice = in.byte();
    body["password"] = choice % 3 == 0   ? std::string(caller.password)
                       : choice % 3 == 1 ? std::string(new_password_prefix) + std::to_string(in.byte())
                                         : in.text(24);
  }
  if ((fields & 2) != 0) body["identifier"] = identifier_json(in);
  if ((fields & 4) != 0) body["verificationId"] = record_id_choice(in, history);
  if ((fields & 8) != 0) {
    const bool last_sent = (in.byte() & 1) != 0;
    body["code"] = !last_sent ? in.text(8) : history.codes.empty() ? std::string() : history.codes.back();
  }
  if ((fields & 16) != 0) body["newIdentifierVerificationRecordId"] = record_id_choice(in, history);
  if ((fields & 32) != 0) body["email"] = (in.byte() & 1) != 0 ? "new1@example.com" : in.text(24);
  if ((fields & 64) != 0) body["phone"] = (in.byte() & 1) != 0 ? "15550003333" : in.text(24);
  if ((fields & 128) != 0) body["templateType"] = (in.byte() & 1) != 0 ? "BindMfa" : in.text(24);
  // Fuzz text may be invalid UTF-8, which JSON cannot carry: such bytes become U+FFFD here (the
  // raw bodies send them as they are).
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool documented_status(unsigned status) {
  constexpr std::array<unsigned, 11> documented = {200, 201, 204, 400, 401, 403, 404, 405, 413, 422, 429};
  return std::find(documented.begin(), documented.end(), status) != documented.end();
}

bool contains_secret(std::string_view text, const History& history, bool codes_too) {
  const auto found = [text](const std::string& secret) {
    return !secret.empty() && text.find(secret) != std::string_view::npos;
  };
  return std::any_of(history.secrets.begin(), history.secrets.end(), found) ||
         (codes_too && std::any_of(history.codes.begin(), history.codes.end(), found));
}

void check_shape(const ApiRequest& request, const ApiResponse& response, const History& history) {
  if (response.status == 500) violated("500: a route threw", request, response);
  if (!documented_status(response.status)) violated("an undocumented status", request, response);
  for (const auto& [name, value] : response.headers) {
    if (contains_secret(name, history, true) || contains_secret(value, history, true)) {
      violated("a secret in a header", request, response);
    }
  }
  if (response.body.empty()) {
    if (response.status != 204 && request.method != "OPTIONS") violated("an empty body", request, response);
    return;
  }
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) violated("a body that is not a JSON object", request, response);
  if (response.status >= 400) {
    const auto code = body.find("code");
    const auto message = body.find("message");
    if (code == body.end() || !code->is_string() || message == body.end() || !message->is_string()) {
      violated("an error without code and message", request, response);
    }
    if (contains_secret(message->get<std::string>(), history, true)) violated("a code in a message", request, response);
  }
  // The fields that echo what a caller stored or was given (an email may be any text, a record id
  // may hold a code's digits by chance) are left out; nothing else may hold a password or hash.
  for (const char* echoed : {"id", "username", "primaryEmail", "primaryPhone", "verificationRecordId"}) {
    body.erase(echoed);
  }
  if (contains_secret(body.dump(), history, false)) violated("a password or hash in a body", request, response);
}

/// The step-up rule, checked from outside: a change that succeeded must have named a record this
/// input saw verified for the same caller.
void check_step_up(const ApiRequest& request, const ApiResponse& response, const History& history, std::size_t caller,
                   bool had_credential) {
  if (response.status != 204 || request.method == "OPTIONS") return;
  const bool first_password = request.path == "/api/my-account/password" && !had_credential;
  if (!first_password && (!request.verification_id || history.verified[caller].count(*request.verification_id) == 0)) {
    violated("a change without a verified step-up record", request, response);
  }
  if (request.method == "POST" && request.path != "/api/my-account/password") {
    const Json body = Json::parse(request.body.reveal(), nullptr, false);
    const auto proof = body.is_object() ? body.find("newIdentifierVerificationRecordId") : body.end();
    if (proof == body.end() || !proof->is_string() ||
        history.code_verified[caller].count(proof->get<std::string>()) == 0) {
      violated("a new identifier without a verified code record", request, response);
    }
  }
}

/// Whose token the Authorization header carries, by the router's rule ("Bearer", at least one
/// space, the token); nullopt when it names none of the three.
std::optional<std::size_t> authenticated(const ApiRequest& request) {
  if (!request.authorization) return std::nullopt;
  std::string_view header = *request.authorization;
  if (header.substr(0, 7) != "Bearer ") return std::nullopt;
  header.remove_prefix(6);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  for (std::size_t i = 0; i < callers.size(); ++i) {
    if (header == callers[i].token) return i;
  }
  return std::nullopt;
}

void remember(const ApiRequest& request, const ApiResponse& response, History& history, std::size_t caller) {
  if (response.status != 200 && response.status != 201) return;
  const Json body = Json::parse(response.body, nullptr, false);
  const auto id = body.is_object() ? body.find("verificationRecordId") : body.end();
  if (id == body.end() || !id->is_string()) return;
  const std::string record_id = id->get<std::string>();
  history.record_ids.push_back(record_id);
  if (request.path == "/api/verifications/password") history.verified[caller].insert(record_id);
  if (request.path == "/api/verifications/verification-code/verify") {
    history.verified[caller].insert(record_id);
    history.code_verified[caller].insert(record_id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (sodium_init() < 0) std::abort();
  Input in(data, size);
  auto history = std::make_shared<History>();
  auto hasher = std::make_shared<DigestHasher>();
  auto users = reverify::server::parse_users_json(users_json, *hasher);
  if (!users) std::abort();
  auto clock = std::make_shared<reverify::ManualClock>();

  reverify::Dependencies deps;
  deps.store = std::make_shared<reverify::MemoryStore>(16);
  deps.hasher = hasher;
  deps.clock = clock;
  deps.sender = std::make_shared<reverify::CallbackSender>(
      [history](const reverify::CodeMessage& message) -> reverify::Result<void> {
        history->codes.emplace_back(message.code.reveal());
        return {};
      });
  deps.peppers.peppers.push_back(reverify::Pepper::random(1));
  reverify::Policy policy;
  policy.max_code_attempts = 1 + in.byte() % 4;  // reach exhaustion and lockout paths sooner
  auto manager = reverify::VerificationManager::create(policy, std::move(deps));
  if (!manager) std::abort();
  auto directory = std::make_shared<reverify::server::UserDirectory>(std::move(*users));
  const reverify::server::ApiRouter router(
      {std::make_shared<const reverify::VerificationManager>(std::move(*manager)), hasher, directory});

  for (int step = 0; step < 16 && !in.done(); ++step) {
    const std::uint8_t route = in.byte();
    const std::size_t caller = in.byte() % callers.size();
    ApiRequest request;
    const std::size_t pick = route % 16;
    const auto& api = reverify::test::account_api_routes;
    if (pick < api.size()) {
      request.method = api[pick].method;
      request.path = api[pick].path;
    } else if (pick < api.size() + other_routes.size()) {
      request.method = other_routes[pick - api.size()].method;
      request.path = other_routes[pick - api.size()].path;
    } else {
      request.method = in.text(8);
      request.path = in.text(48);
    }
    switch (in.byte() % 6) {
      case 0:
        break;  // no Authorization header
      case 1:
        request.authorization = "Bearer " + in.text(16);
        break;
      case 2:
        request.authorization = in.text(24);
        break;
      default:
        request.authorization = std::string("Bearer ") + callers[caller].token;
    }
    if ((in.byte() & 1) != 0) request.verification_id = record_id_choice(in, *history);
    if ((in.byte() & 1) != 0) {
      request.body = reverify::SecretString(in.text(96));
    } else {
      request.body = reverify::SecretString(structured_body(in, *history, callers[caller]));
    }
    if (request.path == "/api/my-account/password") {
      // A password this input sets must not come back either. Only the harness's own new
      // passwords are tracked: fuzz text could equal a word of a fixed message.
      const Json body = Json::parse(request.body.reveal(), nullptr, false);
      const auto password = body.is_object() ? body.find("password") : body.end();
      if (password != body.end() && password->is_string() &&
          password->get<std::string>().rfind(new_password_prefix, 0) == 0) {
        history->secrets.insert(password->get<std::string>());
      }
    }
    const auto who = authenticated(request);
    const auto before = who ? directory->find_by_token(callers[*who].token) : std::nullopt;
    const bool had_credential = before && before->has_credential();

    const ApiResponse response = router.handle(request);
    check_shape(request, response, *history);
    if (who) {
      check_step_up(request, response, *history, *who, had_credential);
      remember(request, response, *history, *who);
    }
    clock->advance(std::chrono::seconds(in.byte() % 4 == 0 ? 301 : 1));
  }
  return 0;
}
