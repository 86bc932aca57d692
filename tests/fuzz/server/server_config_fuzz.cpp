// Fuzzes the example server's configuration parsers (examples/account_api_server): operator input
// read once at startup, where a crash, a secret in an error message or a value accepted against
// the documented rules would each be a bug. The first byte picks the parser and whether the rest
// is taken raw (argv split at NUL bytes, JSON text, file content) or drives a generator of
// plausible input (known flags with valid, invalid and fuzz values; users assembled from chosen
// fields with distinctive password tokens; hex and raw peppers), so success paths are reached.
// Every error must be one line (no line break). Beyond that:
// - command line (parse_options): an error names an argument; a --store URI (which may hold a
//   password) is never echoed; an accepted line has a policy Policy::validate accepts, a --listen
//   that round-trips, non-empty names, --pg-verified-marks only with a postgresql:// store, and
//   the values given; a line built only of valid choices is accepted, one with an invalid choice
//   refused. Store URIs (store_from_uri): the durable prefixes are the documented ones; only the
//   URIs that open nothing are opened here (memory, unknown schemes, "sqlite:" without a path).
// - users file (parse_users_json): an error names the user and holds no password or passwordHash
//   value; accepted users have non-empty unique ids and tokens, valid emails and phones unique in
//   normalised form, the documented fields only, and a stored hash that verifies the password.
// - pepper (parse_pepper): accepted iff 32 raw bytes or 64 hex digits and one optional newline,
//   with the requested id and the right key; an error starts with the source and holds no run of
//   the content.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sodium.h>
#include <nlohmann/json.hpp>

#include "fuzz_digest_hasher.hpp"
#include "fuzz_input.hpp"
#include "fuzz_text.hpp"
#include "pepper_file.hpp"
#include "reverify/identifier.hpp"
#include "reverify/policy.hpp"
#include "server_options.hpp"
#include "store_from_uri.hpp"
#include "users_file.hpp"
#ifdef REVERIFY_HAS_LEGACY
#include "reverify/legacy/legacy_hasher.hpp"
#endif

namespace {

using reverify::test::contains;
using reverify::test::ends_with;
using reverify::test::escaped;
using reverify::test::starts_with;

using Json = nlohmann::ordered_json;

[[noreturn]] void violated(const char* parser, const char* what, std::string_view detail) {
  static_cast<void>(std::fprintf(stderr, "server_config_fuzz: %s: %s: %s\n", parser, what, escaped(detail).c_str()));
  std::abort();
}

/// "One line": no line break of any kind ASCII has.
void check_one_line(const char* parser, std::string_view error) {
  if (error.empty()) violated(parser, "an empty error", error);
  if (error.find_first_of("\n\r\v\f") != std::string_view::npos) violated(parser, "an error of several lines", error);
}

/// A value that, if an error holds it, can only have come from the input: 8 bytes or more, and a
/// byte that no fixed message of these parsers (nor of the hash validators they call) uses. The
/// generators' password tokens are built this way; raw inputs are checked for those that are.
bool distinctive(std::string_view value) {
  return value.size() >= 8 && value.find_first_of("~^`<>!&{}") != std::string_view::npos;
}

using Bytes = reverify::test::FuzzInput;

/// `count` input bytes as lowercase hex (a fuzz-chosen digest or key).
std::string hex(Bytes& in, std::size_t count) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t b = in.byte();
    out += digits[b >> 4U];
    out += digits[b & 15U];
  }
  return out;
}

/// A secret token the generators put where a password goes: distinctive() and unique per input.
std::string token(Bytes& in, const char* kind, std::size_t serial) {
  return std::string("~") + kind + std::to_string(serial) + "-" + hex(in, 3) + "~";
}

// ---------------------------------------------------------------------------------------------
// Store URIs

bool documented_durable(std::string_view uri) {
  static constexpr std::array<std::string_view, 4> prefixes = {"sqlite:", "redis://", "postgresql://", "postgres://"};
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [uri](std::string_view prefix) { return starts_with(uri, prefix); });
}

bool documented_postgres(std::string_view uri) {
  return starts_with(uri, "postgresql://") || starts_with(uri, "postgres://");
}

/// The classification always; store_from_uri only where it opens no file and no connection.
void check_store_uri(const std::string& uri, const std::vector<std::string>& secrets) {
  const bool durable = reverify::server::is_durable_store_uri(uri);
  if (durable != documented_durable(uri)) {
    violated("store", "is_durable_store_uri against the documented prefixes", uri);
  }
  if (reverify::server::is_postgres_store_uri(uri) != documented_postgres(uri)) {
    violated("store", "is_postgres_store_uri against the documented prefixes", uri);
  }
  if (durable && uri != "sqlite:") return;
  if (uri == "memory") {
    static bool memory_checked = false;  // a MemoryStore is costly to make; once is enough
    if (memory_checked) return;
    memory_checked = true;
  }
  const auto opened = reverify::server::store_from_uri(uri, {});
  if (uri == "memory") {
    if (!opened || !opened->store || opened->description != "memory") violated("store", "memory not opened", uri);
    return;
  }
  if (opened) violated("store", "an unknown or empty store URI opened", uri);
  if (!opened.error().usage) violated("store", "a bad URI is not a usage error", opened.error().message);
  check_one_line("store", opened.error().message);
  for (const auto& secret : secrets) {
    if (contains(opened.error().message, secret)) violated("store", "a URI password in an error", secret);
  }
  if (distinctive(uri) && contains(opened.error().message, uri)) violated("store", "the URI in an error", uri);
}

// ---------------------------------------------------------------------------------------------
// Command line

enum class ValueKind { listen, path, store, outbox, marks, seconds, count };

struct KnownFlag {
  const char* name;
  ValueKind kind;
};

constexpr std::array<KnownFlag, 14> known_flags = {{
    {"--listen", ValueKind::listen},
    {"--users", ValueKind::path},
    {"--store", ValueKind::store},
    {"--outbox", ValueKind::outbox},
    {"--pepper-file", ValueKind::path},
    {"--pg-verified-marks", ValueKind::marks},
    {"--code-ttl", ValueKind::seconds},
    {"--code-attempts", ValueKind::count},
    {"--record-ttl", ValueKind::seconds},
    {"--lockout-failures", ValueKind::count},
    {"--lockout-window", ValueKind::seconds},
    {"--lockout-duration", ValueKind::seconds},
    {"--send-limit", ValueKind::count},
    {"--send-window", ValueKind::seconds},
}};

bool is_known_name(std::string_view name) {
  return name == "--help" || name == "-h" || name == "--version" ||
         std::any_of(known_flags.begin(), known_flags.end(), [name](const KnownFlag& f) { return name == f.name; });
}

enum class Validity { valid, invalid, unknown };

/// A flag value and what the documented rules say of it.
struct FlagValue {
  std::string text;
  Validity validity = Validity::unknown;
  std::optional<std::uint32_t> number;                             // seconds and counts
  std::optional<std::pair<std::string, std::uint16_t>> host_port;  // --listen
};

/// A command line from the generator and what the parser must make of it.
struct CommandLine {
  std::vector<std::string> args;  // argv[1..]
  /// Every element is what the generator meant (no flag without its value, no stray "--…"
  /// element), so the model below holds.
  bool well_formed = true;
  bool invalid = false;      // a choice the documented rules refuse
  bool unknown = false;      // a fuzz value the model does not judge
  bool policy_known = true;  // every number given is known
  std::map<std::string, FlagValue> given;
  reverify::Policy policy;  // the defaults and the numbers given
  bool help = false;
  bool version = false;
  std::vector<std::string> store_secrets;  // the password parts of --store URIs
};

/// argv elements are C strings: fuzz text loses its NUL bytes.
std::string c_string(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
  return text;
}

FlagValue listen_value(Bytes& in) {
  struct Known {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  static constexpr std::array<Known, 7> valid = {{
      {"127.0.0.1:3001", "127.0.0.1", 3001},
      {"[::1]:0", "::1", 0},
      {"0.0.0.0:8080", "0.0.0.0", 8080},
      {"localhost:65535", "localhost", 65535},
      {"[fe80::1%eth0]:443", "fe80::1%eth0", 443},
      {"example.org:0000000080", "example.org", 80},
      {"[::]:1", "::", 1},
  }};
  static constexpr std::array<const char*, 16> invalid = {"nohostport",
                                                          "127.0.0.1:99999",
                                                          "::1:80",
                                                          "[::1]80",
                                                          "[]:1",
                                                          ":80",
                                                          "127.0.0.1:",
                                                          "[::1]:",
                                                          "127.0.0.1:-1",
                                                          "[::1",
                                                          "127.0.0.1:65536",
                                                          "[[x]:80",
                                                          "[example.org]:80",
                                                          "[::1%]:80",
                                                          "a/b:80",
                                                          "[1.2.3.4]:80"};
  const std::size_t choice = in.pick(16);
  if (choice < 8) {
    const Known& k = valid[in.pick(valid.size())];
    return {k.text, Validity::valid, std::nullopt, std::make_pair(std::string(k.host), k.port)};
  }
  if (choice < 14) {
    const std::uint16_t port = in.u16();
    const std::string host = "10.0.0." + std::to_string(in.byte());
    return {host + ":" + std::to_string(port), Validity::valid, std::nullopt, std::make_pair(host, port)};
  }
  if (choice == 14) return {invalid[in.pick(invalid.size())], Validity::invalid, std::nullopt, std::nullopt};
  return {c_string(in.text(24)), Validity::unknown, std::nullopt, std::nullopt};
}

FlagValue number_value(Bytes& in, ValueKind kind) {
  static constexpr std::array<std::uint32_t, 10> seconds = {1,     30,     300,    600, 86400,
                                                            86401, 604800, 604801, 0,   4294967295U};
  static constexpr std::array<std::uint32_t, 9> counts = {1, 3, 5, 10, 1000000, 1000001, 0, 4294967295U, 100};
  static constexpr std::array<const char*, 10> malformed = {"-5",          "1.5",  "ten",  "",     "4294967296",
                                                            "00000000300", " 300", "300s", "+300", "0x10"};
  // Whole numbers (the policy decides on their range): edges, or any within the policy's ranges.
  const std::size_t choice = in.pick(16);
  if (choice < 6) {
    const std::uint32_t n =
        kind == ValueKind::seconds ? seconds[in.pick(seconds.size())] : counts[in.pick(counts.size())];
    return {std::to_string(n), Validity::valid, n, std::nullopt};
  }
  if (choice < 14) {
    const std::uint32_t n = 1U + std::uint32_t{in.u16()} % (kind == ValueKind::seconds ? 86400U : 1000000U);
    std::string text = std::to_string(n);
    if ((in.byte() & 3) == 0) text = std::string(10 - text.size(), '0') + text;  // still a whole number
    return {text, Validity::valid, n, std::nullopt};
  }
  if (choice == 14) return {malformed[in.pick(malformed.size())], Validity::invalid, std::nullopt, std::nullopt};
  return {c_string(in.text(12)), Validity::unknown, std::nullopt, std::nullopt};
}

FlagValue flag_value(Bytes& in, ValueKind kind, CommandLine& line) {
  switch (kind) {
    case ValueKind::listen:
      return listen_value(in);
    case ValueKind::seconds:
    case ValueKind::count:
      return number_value(in, kind);
    case ValueKind::marks: {
      static constexpr std::array<const char*, 4> wrong = {"sometimes", "FLUSH", "", "async "};
      const std::size_t i = in.pick(16);
      if (i < 14) return {i % 2 == 0 ? "flush" : "async", Validity::valid, std::nullopt, std::nullopt};
      return {wrong[in.pick(wrong.size())], Validity::invalid, std::nullopt, std::nullopt};
    }
    case ValueKind::store: {
      const std::size_t choice = in.pick(8);
      if (choice >= 2 && choice <= 6) {
        // With a password; a scheme the server does not know is refused later, by store_from_uri.
        std::string secret = token(in, "store", line.store_secrets.size());
        line.store_secrets.push_back(secret);
        static constexpr std::array<const char*, 5> schemes = {
            "redis://:", "rediss://app:", "postgresql://app:", "postgres://app:", "mongodb://app:"};
        return {schemes[choice - 2] + secret + "@db.internal:5432/reverify", Validity::valid, std::nullopt,
                std::nullopt};
      }
      if (choice == 0) return {"memory", Validity::valid, std::nullopt, std::nullopt};
      if (choice == 1) return {"sqlite:/var/lib/reverify/codes.db", Validity::valid, std::nullopt, std::nullopt};
      return {c_string(in.text(24)), Validity::unknown, std::nullopt, std::nullopt};
    }
    case ValueKind::outbox:
    case ValueKind::path:
    default: {
      static constexpr std::array<const char*, 4> names = {"users.json", "/etc/reverify/secret file.key", "-",
                                                           "relative/outbox.jsonl"};
      if ((in.byte() & 3) != 0) return {names[in.pick(names.size())], Validity::valid, std::nullopt, std::nullopt};
      return {c_string(in.text(24)), Validity::unknown, std::nullopt, std::nullopt};
    }
  }
}

void set_policy_field(reverify::Policy& policy, std::string_view flag, std::uint32_t value) {
  const std::chrono::seconds seconds(value);
  if (flag == "--code-ttl") policy.code_ttl = seconds;
  if (flag == "--code-attempts") policy.max_code_attempts = value;
  if (flag == "--record-ttl") policy.record_ttl = seconds;
  if (flag == "--lockout-failures") policy.lockout_failures = value;
  if (flag == "--lockout-window") policy.lockout_window = seconds;
  if (flag == "--lockout-duration") policy.lockout_duration = seconds;
  if (flag == "--send-limit") policy.send_limit = value;
  if (flag == "--send-window") policy.send_window = seconds;
}

bool same_policy(const reverify::Policy& a, const reverify::Policy& b) {
  return a.code_ttl == b.code_ttl && a.max_code_attempts == b.max_code_attempts && a.record_ttl == b.record_ttl &&
         a.lockout_failures == b.lockout_failures && a.lockout_window == b.lockout_window &&
         a.lockout_duration == b.lockout_duration && a.send_limit == b.send_limit && a.send_window == b.send_window &&
         a.code_length == b.code_length && a.max_record_uses == b.max_record_uses;
}

/// A known flag with a value, as one element (`--name=value`) or two, or without its value.
void add_known_flag(Bytes& in, CommandLine& line, const KnownFlag& flag) {
  const std::size_t form = in.pick(16);
  if (form == 15) {  // no value: the next element, whatever it is, becomes the value
    line.args.emplace_back(flag.name);
    line.well_formed = false;
    return;
  }
  FlagValue value = flag_value(in, flag.kind, line);
  if (form < 10) {
    line.args.emplace_back(flag.name);
    line.args.push_back(value.text);
  } else {
    line.args.push_back(std::string(flag.name) + "=" + value.text);
  }
  if (line.given.count(flag.name) != 0) line.invalid = true;  // each flag at most once
  if (value.validity == Validity::invalid) line.invalid = true;
  if (value.validity == Validity::unknown) line.unknown = true;
  if (flag.kind == ValueKind::seconds || flag.kind == ValueKind::count) {
    if (value.number) {
      set_policy_field(line.policy, flag.name, *value.number);
    } else {
      line.policy_known = false;
    }
  }
  line.given[flag.name] = std::move(value);
}

CommandLine generate_command_line(Bytes& in) {
  CommandLine line;
  const std::size_t items = 1 + in.pick(8);
  for (std::size_t item = 0; item < items && !in.done(); ++item) {
    const std::size_t kind = in.pick(64);
    if (kind < 60 || (kind == 61 && line.given.empty())) {
      add_known_flag(in, line, known_flags[in.pick(known_flags.size())]);
    } else if (kind == 60) {
      static constexpr std::array<const char*, 3> help = {"--help", "-h", "--version"};
      const std::string_view chosen = help[in.pick(help.size())];
      line.args.emplace_back(chosen);
      (chosen == "--version" ? line.version : line.help) = true;
    } else if (kind == 61) {
      // A flag given before, again with a value the rules accept on its own.
      auto it = line.given.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(in.pick(line.given.size())));
      line.args.push_back(it->first);
      line.args.push_back(it->second.text);
      line.invalid = true;
    } else if (kind == 62 && (in.byte() & 1) != 0) {
      std::string name = "--" + c_string(in.text(12));
      const std::string value = c_string(in.text(8));
      if ((in.byte() & 1) != 0) name += "=" + value;
      if (is_known_name(name.substr(0, name.find('=')))) line.well_formed = false;
      line.invalid = true;
      line.args.push_back(name);
    } else if (kind == 62) {
      static constexpr std::array<const char*, 4> strays = {"stray", "-v", "", "users.json"};
      line.args.emplace_back(strays[in.pick(strays.size())]);
      line.invalid = true;
    } else {
      // Any element at all: the model no longer says what the parser makes of the line.
      line.args.push_back(c_string(in.text(24)));
      line.well_formed = false;
    }
  }
  const auto marks = line.given.find("--pg-verified-marks");
  const auto store = line.given.find("--store");
  if (marks != line.given.end() && !documented_postgres(store == line.given.end() ? "memory" : store->second.text)) {
    line.invalid = true;
  }
  if (line.policy_known && !line.policy.validate()) line.invalid = true;
  return line;
}

/// An argument as the parser's errors show it: control characters as \xNN (lower-case hex).
std::string shown(std::string_view arg) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  for (const char c : arg) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += hex[byte >> 4U];
      out += hex[byte & 15U];
    } else {
      out += c;
    }
  }
  return out;
}

/// What an error may point at: a flag's name, or a stray argument in quotes.
bool names_an_argument(std::string_view error, const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [error](const std::string& arg) {
    const bool flag = starts_with(arg, "--");
    const std::string needle = flag ? arg.substr(0, arg.find('=')) : "\"" + shown(arg) + "\"";
    return contains(error, flag ? shown(needle) : needle);
  });
}

/// A host --listen may accept, by the harness's own reading: with a ':' an IPv6 address (inet_pton)
/// with an optional %ZONE of name characters; otherwise only name characters (names and IPv4).
bool listen_host(const std::string& host) {
  const auto name_chars = [](std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
    });
  };
  if (host.find(':') == std::string::npos) return name_chars(host);
  const auto percent = host.find('%');
  in6_addr address{};
  if (::inet_pton(AF_INET6, host.substr(0, percent).c_str(), &address) != 1) return false;
  return percent == std::string::npos || name_chars(std::string_view(host).substr(percent + 1));
}

reverify::server::ServerOptions parse_or_die(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"reverify-server"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  auto parsed = reverify::server::parse_options(static_cast<int>(argv.size()), argv.data());
  if (!parsed) violated("options", "a --listen from format_host_port refused", parsed.error());
  return *parsed;
}

void check_accepted_options(const reverify::server::ServerOptions& options) {
  if (auto valid = options.policy.validate(); !valid) {
    violated("options", "an accepted policy Policy::validate refuses", valid.error().message());
  }
  if (options.host.empty()) violated("options", "an empty host", "");
  if (!listen_host(options.host))
    violated("options", "a --listen host that is no name, IPv4 or IPv6 address", options.host);
  // The listening line's HOST:PORT reads back as the same address.
  const std::string listen = reverify::server::format_host_port(options.host, options.port);
  const auto again = parse_or_die({"--listen", listen});
  if (again.host != options.host || again.port != options.port) violated("options", "--listen round trip", listen);
  if (options.store_uri.empty() || options.outbox.empty() || (options.users_file && options.users_file->empty()) ||
      (options.pepper_file && options.pepper_file->empty())) {
    violated("options", "an empty file name or store URI accepted", "");
  }
  // (A line the model knows is refused when the flag comes with any other store.)
  if (options.pg_flush_verified_marks && !documented_postgres(options.store_uri)) {
    violated("options", "--pg-verified-marks without a postgresql:// store", options.store_uri);
  }
}

/// On a well-formed line: the options hold exactly what was given, defaults elsewhere.
void check_against_model(const reverify::server::ServerOptions& options, const CommandLine& line) {
  const reverify::server::ServerOptions defaults;
  const auto given = [&line](const char* flag) -> const FlagValue* {
    const auto it = line.given.find(flag);
    return it == line.given.end() ? nullptr : &it->second;
  };
  const auto same_text = [](const FlagValue* value, const std::optional<std::string>& actual) {
    return value == nullptr ? !actual.has_value() : actual == value->text;
  };
  if (const FlagValue* listen = given("--listen")) {
    if (listen->host_port && (options.host != listen->host_port->first || options.port != listen->host_port->second)) {
      violated("options", "--listen not as given", listen->text);
    }
  } else if (options.host != defaults.host || options.port != defaults.port) {
    violated("options", "--listen default changed", options.host);
  }
  if (!same_text(given("--users"), options.users_file)) violated("options", "--users not as given", "");
  if (!same_text(given("--pepper-file"), options.pepper_file)) violated("options", "--pepper-file not as given", "");
  const FlagValue* store = given("--store");
  if (options.store_uri != (store != nullptr ? store->text : defaults.store_uri)) {
    violated("options", "--store not as given", options.store_uri);
  }
  const FlagValue* outbox = given("--outbox");
  if (options.outbox != (outbox != nullptr ? outbox->text : defaults.outbox)) {
    violated("options", "--outbox not as given", options.outbox);
  }
  const FlagValue* marks = given("--pg-verified-marks");
  if (options.pg_flush_verified_marks != (marks != nullptr && marks->text == "flush")) {
    violated("options", "--pg-verified-marks not as given", "");
  }
  if (line.policy_known && !same_policy(options.policy, line.policy)) violated("options", "policy not as given", "");
  if (options.help != line.help || options.version != line.version) violated("options", "--help/--version", "");
}

void fuzz_options(const std::vector<std::string>& args, const CommandLine* line) {
  std::vector<const char*> argv = {"reverify-server"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  const auto parsed = reverify::server::parse_options(static_cast<int>(argv.size()), argv.data());
  const bool modelled = line != nullptr && line->well_formed;
  if (!parsed) {
    check_one_line("options", parsed.error());
    if (!names_an_argument(parsed.error(), args)) {
      violated("options", "an error that names no argument", parsed.error());
    }
    if (modelled) {
      for (const auto& secret : line->store_secrets) {
        if (contains(parsed.error(), secret)) violated("options", "a --store password in an error", parsed.error());
      }
      if (!line->invalid && !line->unknown) violated("options", "a valid command line refused", parsed.error());
    }
    return;
  }
  check_accepted_options(*parsed);
  check_store_uri(parsed->store_uri, line != nullptr ? line->store_secrets : std::vector<std::string>{});
  if (modelled) {
    if (line->invalid) violated("options", "an invalid command line accepted", "");
    check_against_model(*parsed, *line);
  }
}

/// Raw: the rest of the input is argv, elements split at NUL bytes.
std::vector<std::string> raw_args(Bytes& in) {
  std::vector<std::string> args;
  const std::string rest = in.rest();
  if (rest.empty()) return args;
  std::size_t start = 0;
  while (start <= rest.size() && args.size() < 32) {
    const std::size_t end = std::min(rest.find('\0', start), rest.size());
    args.push_back(rest.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Users file

/// The documented keys of a user; the others are refused.
const std::set<std::string> user_keys = {"id",           "accessToken",  "username",
                                         "password",     "passwordHash", "passwordEncryptionMethod",
                                         "primaryEmail", "primaryPhone"};
/// Keys whose values an error may show (they name the user or the problem).
const std::set<std::string> public_keys = {"id",           "accessToken", "username", "passwordEncryptionMethod",
                                           "primaryEmail", "primaryPhone"};

/// A string from a small pool, mostly the first one (so that whole files are accepted),
/// the others to collide across users or to be refused; sometimes fuzz text.
std::string pooled(Bytes& in, const std::vector<std::string>& pool) {
  const std::size_t choice = in.pick(32);
  if (choice < 24 || pool.size() == 1) return pool[0];
  return choice < 31 ? pool[1 + choice % (pool.size() - 1)] : in.text(24);
}

/// A string most of the time; sometimes null, a number or an array (wrong types).
Json maybe_mistyped(Bytes& in, std::string value) {
  switch (in.pick(64)) {
    case 61:
      return nullptr;
    case 62:
      return 7;
    case 63:
      return Json::array({value});
    default:
      return value;
  }
}

std::string base64(Bytes& in, std::size_t count) {
  std::vector<unsigned char> bytes(count);
  for (auto& b : bytes) b = in.byte();
  std::vector<char> out(sodium_base64_encoded_len(count, sodium_base64_VARIANT_ORIGINAL_NO_PADDING));
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return out.data();
}

/// A stored hash with (or without) its method, in each format the users file knows, or not. The
/// generated values are long and fuzz-made, so `secrets` gets them to look for in errors.
void add_password_hash(Bytes& in, Json& user, std::vector<std::string>& secrets, std::size_t serial) {
  std::string hash;
  std::optional<std::string> method;
  switch (in.pick(9)) {
    case 0:
      hash = "$argon2id$v=19$m=8192,t=1,p=1$" + base64(in, 16) + "$" + base64(in, 32);
      if ((in.byte() & 1) != 0) method = "Argon2id";
      break;
    case 1:
      hash = "$argon2i$v=19$m=8192,t=8,p=1$" + base64(in, 16) + "$" + base64(in, 32);
      if ((in.byte() & 1) != 0) method = "argon2i";
      break;
    case 2: {
      static constexpr std::string_view alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
      hash = "$2b$04$";
      for (int i = 0; i < 53; ++i) hash += alphabet[in.byte() % alphabet.size()];
      if ((in.byte() & 1) != 0) method = "Bcrypt";
      break;
    }
    case 3: {
      static constexpr std::array<std::pair<const char*, std::size_t>, 3> digests = {
          {{"MD5", 16}, {"SHA1", 20}, {"SHA256", 32}}};
      const auto& [name, length] = digests[in.pick(digests.size())];
      hash = hex(in, length);
      method = name;
      if ((in.byte() & 7) == 7) method = "SHA256";  // a length that does not fit the method
      break;
    }
    case 4:
      hash = R"(["sha256", ["salt", "@"], ")" + hex(in, 32) + R"("])";
      method = "Legacy";
      break;
    case 5:
      hash = token(in, "hash", serial);  // a plain text where a hash belongs
      if ((in.byte() & 1) != 0) method = pooled(in, {"Argon2i", "ROT13", "MD5"});
      break;
    case 6:  // a method without a hash
      user["passwordEncryptionMethod"] = maybe_mistyped(in, pooled(in, {"Argon2id", "SHA1"}));
      return;
    case 7:  // fuzz text: checked if distinctive()
      user["passwordHash"] = in.text(48);
      if ((in.byte() & 1) != 0) user["passwordEncryptionMethod"] = in.text(12);
      return;
    default:
      user["passwordHash"] = (in.byte() & 1) != 0 ? Json(nullptr) : Json(42);
      return;
  }
  secrets.push_back(hash);
  user["passwordHash"] = hash;
  if (method) user["passwordEncryptionMethod"] = *method;
}

/// One user built from fuzz-chosen fields (most of them right, so that whole files are accepted);
/// every password is a distinctive token.
Json generate_user(Bytes& in, std::vector<std::string>& secrets, std::size_t serial) {
  if (in.pick(32) == 31) return Json::array({"not", "a", "user"});
  Json user = Json::object();
  // The first choice of each pool is this user's own; the others collide across users.
  const std::string own = std::to_string(serial);
  const std::string n = std::to_string(in.pick(4));
  if (in.pick(32) != 31) user["id"] = maybe_mistyped(in, pooled(in, {"u-" + own, "u-alice", "u-bob", "u-" + n, ""}));
  if (in.pick(32) != 31) {
    user["accessToken"] = maybe_mistyped(in, pooled(in, {"tok-" + own, "tok-alice", "tok-bob", "tok-" + n, ""}));
  }
  const unsigned fields = in.byte();
  if ((fields & 0x01U) != 0) user["username"] = maybe_mistyped(in, pooled(in, {"alice", "bob"}));
  const std::size_t credential = in.pick(8);  // a password, a hash, both (refused) or none
  if (credential < 3 || credential == 6) {
    const std::size_t choice = in.pick(8);
    if (choice >= 6) {
      user["password"] = choice == 6 ? std::string() : in.text(24);  // checked if distinctive()
    } else {
      const std::string password = token(in, "pw", serial);
      secrets.push_back(password);
      user["password"] = choice == 5 ? maybe_mistyped(in, password) : Json(password);
    }
  }
  if (credential >= 3 && credential <= 6) add_password_hash(in, user, secrets, serial);
  if ((fields & 0x02U) != 0) {
    user["primaryEmail"] =
        maybe_mistyped(in, pooled(in, {"user" + own + "@example.com", "alice@example.com", "ALICE@Example.COM",
                                       " bob@example.com", "user" + n + "@example.com", "nope"}));
  }
  if ((fields & 0x04U) != 0) {
    user["primaryPhone"] = maybe_mistyped(
        in, pooled(in, {"+1555000100" + own, "15550001111", "+1 555-000-1111", "1555000111" + n, "call me"}));
  }
  if ((fields & 0xf0U) == 0xf0U) {
    // A misspelt key: its value is a password all the same.
    const std::string secret = token(in, "typo", serial);
    secrets.push_back(secret);
    user[pooled(in, {"pasword", "Password", "email"})] = secret;
  }
  return user;
}

std::string generate_users_json(Bytes& in, std::vector<std::string>& secrets) {
  Json users = Json::array();
  const std::size_t count = in.pick(6);
  for (std::size_t i = 0; i < count && !in.done(); ++i) users.push_back(generate_user(in, secrets, i));
  Json root = Json::object();
  switch (in.pick(32)) {
    case 28:
      root["people"] = users;
      break;
    case 29:
      root["users"] = Json::object({{"u", users}});
      break;
    case 30:
      root = users;
      break;
    case 31:
      root["users"] = users;
      root["version"] = 2;  // other top-level keys are not the parser's business
      break;
    default:
      root["users"] = users;
  }
  return root.dump(-1, ' ', false, Json::error_handler_t::replace);
}

/// Every string of a JSON value: keys and the values an error may show go to `shown`, the values
/// of a user's other keys (password, passwordHash, a misspelt key) to `secret`.
void collect_strings(const Json& value, bool user, bool secret_context, std::vector<std::string>& shown,
                     std::vector<std::string>& secret) {
  if (value.is_string()) {
    (secret_context ? secret : shown).push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& item : value) collect_strings(item, false, secret_context, shown, secret);
  } else if (value.is_object()) {
    for (const auto& item : value.items()) {
      shown.push_back(item.key());
      const bool secret_value = secret_context || (user && public_keys.count(item.key()) == 0);
      collect_strings(item.value(), false, secret_value, shown, secret);
    }
  }
}

/// The users array of a document the parser could accept, or nullptr.
const Json* users_of(const Json& root) {
  if (!root.is_object()) return nullptr;
  const auto it = root.find("users");
  return it != root.end() && it->is_array() ? &*it : nullptr;
}

std::optional<std::string> string_field(const Json& user, const char* key) {
  const auto it = user.find(key);
  if (it == user.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

/// Whether `word` stands in `text` as a word of its own (so "id" is not found in "valid").
bool names_word(std::string_view text, std::string_view word) {
  const auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (std::size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !is_name_char(text[at - 1]);
    const bool ends = at + word.size() == text.size() || !is_name_char(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

/// What follows "user #N: " or "user #N (id <JSON string>): "; the whole error if neither.
std::string_view reason_after_user(std::string_view error) {
  std::size_t at = std::string_view("user #").size();
  while (at < error.size() && error[at] >= '0' && error[at] <= '9') ++at;
  constexpr std::string_view id_open = " (id \"";
  if (error.substr(at, id_open.size()) == id_open) {
    at += id_open.size();
    while (at < error.size() && error[at] != '"') at += error[at] == '\\' ? 2 : 1;
    at += 1;  // the closing quote
    if (error.substr(at, 1) != ")") return error;
    at += 1;
  }
  return error.substr(at, 2) == ": " ? error.substr(at + 2) : error;
}

void check_users_error(const std::string& error, const Json* users, const std::vector<std::string>& secrets,
                       const std::vector<std::string>& public_text) {
  check_one_line("users", error);
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    const bool shown_elsewhere = std::any_of(public_text.begin(), public_text.end(),
                                             [&secret](const std::string& text) { return contains(text, secret); });
    if (!shown_elsewhere && contains(error, secret)) violated("users", "a password or hash in an error", error);
  }
  if (users == nullptr) return;
  // "user #N" for a user that exists, then a field of it (or that it is not an object).
  constexpr std::string_view user_prefix = "user #";
  std::size_t index = 0;
  for (std::size_t at = user_prefix.size(); at < error.size() && at < 12 && error[at] >= '0' && error[at] <= '9';
       ++at) {
    index = index * 10 + static_cast<std::size_t>(error[at] - '0');
  }
  if (!starts_with(error, user_prefix) || index == 0 || index > users->size()) {
    violated("users", "an error that names no user", error);
  }
  const Json& entry = (*users)[index - 1];
  if (!entry.is_object()) return;
  // The reason after "user #N: " or "user #N (id "…"): ", so that the id's own text and the word
  // "id" in the prefix cannot count as naming a field.
  const std::string_view reason = reason_after_user(error);
  bool names_field = std::any_of(user_keys.begin(), user_keys.end(),
                                 [reason](const std::string& key) { return names_word(reason, key); });
  for (const auto& item : entry.items()) {
    // An unknown key, as a JSON string.
    names_field =
        names_field || contains(reason, Json(item.key()).dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  if (!names_field) violated("users", "an error that names no field", error);
}

void check_accepted_user(const reverify::server::User& user, const Json& entry, reverify::PasswordHasher& hasher) {
  if (!entry.is_object()) violated("users", "a user that is not an object accepted", "");
  for (const auto& item : entry.items()) {
    if (user_keys.count(item.key()) == 0) violated("users", "an unknown field accepted", item.key());
  }
  if (user.id.empty() || user.access_token.empty()) violated("users", "an empty id or accessToken", user.id);
  if (string_field(entry, "id") != user.id || string_field(entry, "accessToken") != user.access_token ||
      string_field(entry, "username") != user.username || string_field(entry, "primaryEmail") != user.primary_email ||
      string_field(entry, "primaryPhone") != user.primary_phone) {
    violated("users", "a field not as given", user.id);
  }
  const auto password = string_field(entry, "password");
  const auto hash = string_field(entry, "passwordHash");
  const auto method = string_field(entry, "passwordEncryptionMethod");
  if (password && hash) violated("users", "both password and passwordHash accepted", user.id);
  if (method && !hash) violated("users", "passwordEncryptionMethod without passwordHash accepted", user.id);
  if (password) {
    if (password->empty() || !user.password_hash) violated("users", "a password accepted without a hash", user.id);
    const auto check = hasher.verify(reverify::SecretString(*password), *user.password_hash);
    if (!check || check->result != reverify::PasswordMatch::match) {
      violated("users", "the stored hash does not verify the password", user.id);
    }
  } else if (hash) {
    if (!user.password_hash || !ends_with(*user.password_hash, *hash)) {
      violated("users", "the stored hash is not the given one", user.id);
    }
#ifdef REVERIFY_HAS_LEGACY
    if (method) {
      const auto expected = reverify::legacy::to_stored_hash(*method, *hash);
      if (!expected || *expected != *user.password_hash) violated("users", "not to_stored_hash's form", user.id);
    }
#endif
  } else if (user.password_hash) {
    violated("users", "a hash from nowhere", user.id);
  }
}

void fuzz_users(const std::string& text, const std::vector<std::string>& generated_secrets) {
  reverify::test::DigestHasher hasher;
  const auto parsed = reverify::server::parse_users_json(text, hasher);
  const Json root = Json::parse(text, nullptr, false);
  const Json* users = root.is_discarded() ? nullptr : users_of(root);
  std::vector<std::string> public_text;
  std::vector<std::string> document_secrets;
  if (users != nullptr) {
    for (const auto& entry : *users) collect_strings(entry, true, false, public_text, document_secrets);
    for (const auto& item : root.items()) {
      public_text.push_back(item.key());
      if (item.key() != "users") collect_strings(item.value(), false, false, public_text, document_secrets);
    }
  }
  if (!parsed) {
    std::vector<std::string> secrets = generated_secrets;
    for (const auto& secret : document_secrets) {
      if (distinctive(secret)) secrets.push_back(secret);
    }
    check_users_error(parsed.error(), users, secrets, public_text);
    return;
  }
  if (users == nullptr || users->size() != parsed->size()) violated("users", "not one user per entry", text);
  std::set<std::string> ids;
  std::set<std::string> tokens;
  std::set<std::string> emails;
  std::set<std::string> phones;
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    const auto& user = (*parsed)[i];
    check_accepted_user(user, (*users)[i], hasher);
    if (!ids.insert(user.id).second || !tokens.insert(user.access_token).second) {
      violated("users", "a duplicate id or accessToken accepted", user.id);
    }
    if (user.primary_email) {
      const auto email = reverify::normalize_identifier(reverify::Identifier::email(*user.primary_email));
      if (!email || !emails.insert(*email).second) violated("users", "an invalid or shared email", user.id);
    }
    if (user.primary_phone) {
      const auto phone = reverify::normalize_identifier(reverify::Identifier::phone(*user.primary_phone));
      if (!phone || !phones.insert(*phone).second) violated("users", "an invalid or shared phone", user.id);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pepper

constexpr std::string_view pepper_source = "pepper file under test";

/// The documented rule, decoded independently (libsodium's hex decoder): the key, or nullopt.
std::optional<std::string> documented_pepper(std::string_view content) {
  if (content.size() == reverify::Pepper::size) return std::string(content);
  for (const std::string_view newline : {"\r\n", "\n", "\r"}) {
    if (ends_with(content, newline)) {
      content.remove_suffix(newline.size());
      break;
    }
  }
  if (content.size() != 2 * reverify::Pepper::size) return std::nullopt;
  if (content.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) return std::nullopt;
  std::string key(reverify::Pepper::size, '\0');
  std::size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), content.data(), content.size(), nullptr,
                     &length, nullptr) != 0 ||
      length != key.size()) {
    return std::nullopt;
  }
  return key;
}

void fuzz_pepper(std::string_view content, std::uint32_t id) {
  const auto parsed = reverify::server::parse_pepper(content, pepper_source, id);
  const auto expected = documented_pepper(content);
  if (parsed) {
    if (!expected) violated("pepper", "content outside the documented forms accepted", content);
    if (parsed->id() != id) violated("pepper", "not the requested id", "");
    if (std::memcmp(parsed->key().data(), expected->data(), expected->size()) != 0) {
      violated("pepper", "not the key the content holds", content);
    }
    return;
  }
  if (expected) violated("pepper", "a documented form refused", parsed.error());
  const std::string& error = parsed.error();
  check_one_line("pepper", error);
  if (!starts_with(error, pepper_source)) violated("pepper", "an error that does not name the file", error);
  // No run of 8 bytes of the content, unless the fixed text (the error for empty content) has it.
  const auto fixed = reverify::server::parse_pepper("", pepper_source, id);
  const std::string baseline = fixed ? std::string() : fixed.error();
  for (std::size_t at = 0; at + 8 <= content.size(); ++at) {
    const std::string_view run = content.substr(at, 8);
    if (contains(error, run) && !contains(baseline, run)) violated("pepper", "pepper content in an error", error);
  }
}

/// A pepper file as an operator would write it, or one character off.
std::string generate_pepper(Bytes& in) {
  std::string content;
  if ((in.byte() & 1) != 0) {
    content = hex(in, reverify::Pepper::size);
    const std::size_t casing = in.pick(3);
    for (char& c : content) {
      if (casing == 1 || (casing == 2 && (in.byte() & 1) != 0)) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    static constexpr std::array<const char*, 8> endings = {"", "\n", "\r\n", "\r", "\n\n", " ", "\r\r", "\n\r"};
    content += endings[in.pick(endings.size())];
  } else {
    for (std::size_t i = 0; i < reverify::Pepper::size; ++i) content += static_cast<char>(in.byte());
  }
  switch (in.pick(6)) {
    case 3:
      if (!content.empty()) content.pop_back();
      break;
    case 4:
      content += static_cast<char>(in.byte());
      break;
    case 5:
      if (!content.empty()) content[in.byte() % content.size()] = static_cast<char>(in.byte());
      break;
    default:
      break;
  }
  return content;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (sodium_init() < 0) std::abort();
  if (size == 0) return 0;
  Bytes in(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      const CommandLine line = generate_command_line(in);
      fuzz_options(line.args, &line);
      break;
    }
    case 1:
      fuzz_options(raw_args(in), nullptr);
      break;
    case 2: {
      std::vector<std::string> secrets;
      const std::string text = generate_users_json(in, secrets);
      fuzz_users(text, secrets);
      break;
    }
    case 3:
      fuzz_users(in.rest(), {});
      break;
    case 4: {
      const std::uint32_t id = in.byte();
      fuzz_pepper(generate_pepper(in), id);
      break;
    }
    default: {
      const std::uint32_t id = in.byte();
      fuzz_pepper(in.rest(), id);
    }
  }
  return 0;
}
