#include "server_options.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

#include "one_line.hpp"
#include "store_from_uri.hpp"

namespace reverify::server {
namespace {

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// A host name or IPv4 address: letters, digits, '-', '.', '_' (as container runtimes name hosts).
bool is_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
  });
}

// What may stand between brackets: an IPv6 address, optionally with %ZONE (an interface name).
bool is_ipv6_literal(std::string_view host) {
  const auto zone = host.find('%');
  const std::string address(host.substr(0, zone));
  in6_addr parsed{};
  if (::inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return false;
  return zone == std::string_view::npos || (zone + 1 < host.size() && is_host_name(host.substr(zone + 1)));
}

tl::expected<void, std::string> parse_listen(std::string_view text, ServerOptions& options) {
  const std::string bad = "--listen expects HOST:PORT (e.g. 127.0.0.1:3001 or [::1]:0)";
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return tl::unexpected(bad);
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!is_ipv6_literal(host)) return tl::unexpected(bad + "; only an IPv6 address goes in brackets");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return tl::unexpected(bad);
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return tl::unexpected(bad + "; put IPv6 addresses in brackets");
    if (!is_host_name(host)) return tl::unexpected(bad + "; HOST is a name, an IPv4 address or [IPv6]");
  }
  const auto number = parse_decimal(port, 65535);
  if (host.empty() || !number) return tl::unexpected(bad);
  options.host = std::string(host);
  options.port = static_cast<std::uint16_t>(*number);
  return {};
}

tl::expected<std::uint32_t, std::string> count_value(std::string_view flag, std::string_view text) {
  const auto value = parse_decimal(text, std::numeric_limits<std::uint32_t>::max());
  if (!value) return tl::unexpected(std::string(flag) + " expects a whole number, got \"" + one_line(text) + "\"");
  return static_cast<std::uint32_t>(*value);
}

tl::expected<std::chrono::seconds, std::string> seconds_value(std::string_view flag, std::string_view text) {
  const auto value = parse_decimal(text, std::numeric_limits<std::uint32_t>::max());
  if (!value) return tl::unexpected(std::string(flag) + " expects whole seconds, got \"" + one_line(text) + "\"");
  return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(*value));
}

struct Flag {
  const char* name;
  tl::expected<void, std::string> (*apply)(const char* name, std::string_view value, ServerOptions& options);
};

template <std::uint32_t reverify::Policy::*Field>
tl::expected<void, std::string> set_count(const char* name, std::string_view value, ServerOptions& options) {
  auto parsed = count_value(name, value);
  if (!parsed) return tl::unexpected(parsed.error());
  options.policy.*Field = *parsed;
  return {};
}

template <std::chrono::seconds reverify::Policy::*Field>
tl::expected<void, std::string> set_seconds(const char* name, std::string_view value, ServerOptions& options) {
  auto parsed = seconds_value(name, value);
  if (!parsed) return tl::unexpected(parsed.error());
  options.policy.*Field = *parsed;
  return {};
}

tl::expected<void, std::string> set_listen(const char* /*flag*/, std::string_view value, ServerOptions& options) {
  return parse_listen(value, options);
}

tl::expected<void, std::string> set_users(const char* name, std::string_view value, ServerOptions& options) {
  if (value.empty()) return tl::unexpected(std::string(name) + " expects a file name");
  options.users_file = std::string(value);
  return {};
}

tl::expected<void, std::string> set_store(const char* name, std::string_view value, ServerOptions& options) {
  if (value.empty()) return tl::unexpected(std::string(name) + " expects a store URI");
  options.store_uri = std::string(value);
  return {};
}

tl::expected<void, std::string> set_outbox(const char* name, std::string_view value, ServerOptions& options) {
  if (value.empty()) return tl::unexpected(std::string(name) + " expects a file name or -");
  options.outbox = std::string(value);
  return {};
}

tl::expected<void, std::string> set_pepper(const char* name, std::string_view value, ServerOptions& options) {
  if (value.empty()) return tl::unexpected(std::string(name) + " expects a file name");
  options.pepper_file = std::string(value);
  return {};
}

tl::expected<void, std::string> set_pg_verified_marks(const char* name, std::string_view value,
                                                      ServerOptions& options) {
  if (value != "async" && value != "flush") return tl::unexpected(std::string(name) + " expects async or flush");
  options.pg_flush_verified_marks = value == "flush";
  return {};
}

const Flag flags[] = {
    {"--listen", &set_listen},
    {"--users", &set_users},
    {"--store", &set_store},
    {"--outbox", &set_outbox},
    {"--pepper-file", &set_pepper},
    {"--pg-verified-marks", &set_pg_verified_marks},
    {"--code-ttl", &set_seconds<&reverify::Policy::code_ttl>},
    {"--code-attempts", &set_count<&reverify::Policy::max_code_attempts>},
    {"--record-ttl", &set_seconds<&reverify::Policy::record_ttl>},
    {"--lockout-failures", &set_count<&reverify::Policy::lockout_failures>},
    {"--lockout-window", &set_seconds<&reverify::Policy::lockout_window>},
    {"--lockout-duration", &set_seconds<&reverify::Policy::lockout_duration>},
    {"--send-limit", &set_count<&reverify::Policy::send_limit>},
    {"--send-window", &set_seconds<&reverify::Policy::send_window>},
};

// The library names the Policy field ("policy.code_ttl …"); point the user at the flag too.
std::string flag_for_policy_message(const std::string& message) {
  static const std::pair<const char*, const char*> names[] = {
      {"policy.code_ttl", "--code-ttl"},
      {"policy.max_code_attempts", "--code-attempts"},
      {"policy.record_ttl", "--record-ttl"},
      {"policy.lockout_failures", "--lockout-failures"},
      {"policy.lockout_window", "--lockout-window"},
      {"policy.lockout_duration", "--lockout-duration"},
      {"policy.send_limit", "--send-limit"},
      {"policy.send_window", "--send-window"},
  };
  for (const auto& [field, flag] : names) {
    if (message.find(field) != std::string::npos) return std::string(flag) + ": ";
  }
  return {};
}

}  // namespace

tl::expected<ServerOptions, std::string> parse_options(int argc, const char* const* argv) {
  ServerOptions options;
  std::set<std::string> seen;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg == "--version") {
      options.version = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") return tl::unexpected("unexpected argument \"" + one_line(arg) + "\" (see --help)");
    const auto equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    const Flag* flag = nullptr;
    for (const auto& candidate : flags) {
      if (name == candidate.name) flag = &candidate;
    }
    if (flag == nullptr) return tl::unexpected("unknown option " + one_line(name) + " (see --help)");
    if (!seen.insert(name).second) return tl::unexpected(name + " given more than once");
    std::string_view value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return tl::unexpected(name + " needs a value");
    }
    // No host, path, URI or number holds one, and each value may end up named in a one-line
    // error or in the startup line.
    if (has_control(value)) {
      return tl::unexpected(name + " must not contain control characters");
    }
    auto applied = flag->apply(flag->name, value, options);
    if (!applied) return tl::unexpected(applied.error());
  }
  if (seen.count("--pg-verified-marks") != 0 && !is_postgres_store_uri(options.store_uri)) {
    return tl::unexpected(std::string("--pg-verified-marks applies only to a postgresql:// --store"));
  }
  if (auto valid = options.policy.validate(); !valid) {
    return tl::unexpected(flag_for_policy_message(valid.error().message()) +
                          "invalid policy: " + valid.error().message());
  }
  return options;
}

std::string usage_text() {
  return "usage: reverify-server [--listen HOST:PORT]      default 127.0.0.1:3001; port 0 picks a free port\n"
         "                       [--users FILE]            JSON users file; default "
         "examples/account_api_server/demo-users.json\n"
         "                       [--store URI]             memory (default), sqlite:PATH, redis://…, postgresql://…\n"
         "                       [--outbox FILE|-]         development sender: one JSON line per message; default -\n"
         "                       [--pepper-file FILE]      32-byte pepper (raw, or 64 hex characters)\n"
         "                       [--pg-verified-marks async|flush]  postgresql:// only: flush = verified marks\n"
         "                                                 wait for their WAL flush; default async\n"
         "                       [--code-ttl S] [--code-attempts N] [--record-ttl S]\n"
         "                       [--lockout-failures N] [--lockout-window S] [--lockout-duration S]\n"
         "                       [--send-limit N] [--send-window S]\n"
         "Serves Logto's Account API verification routes. The outbox holds codes in clear: development only.\n";
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace reverify::server
