// Bad input, oversized bodies, raw HTTP, signals and the command line.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>

#include <catch2/catch.hpp>

#include "cheap_argon2.hpp"
#include "test_flows.hpp"

using namespace reverify::http_test;

namespace {

std::uint16_t port_of(const ServerProcess& server) {
  const std::string& url = server.base_url();
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// Sends raw bytes on a fresh connection and reads until the server closes it (or a timeout).
std::string raw_exchange(const ServerProcess& server, const std::string& bytes, bool half_close = false) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port_of(server));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and stop reading early
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd poll_fd{fd, POLLIN, 0};
    if (::poll(&poll_fd, 1, 100) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return received;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

void check_usage_error(const std::vector<std::string>& args, const std::string& mentions) {
  const CommandResult result = run_server_command(args);
  INFO("args: " << Catch::Detail::stringify(args) << "\nstderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(count_of(result.err, "\n") == 1);
  CHECK(result.err.rfind("reverify-server: ", 0) == 0);
  CHECK(result.err.find(mentions) != std::string::npos);
}

}  // namespace

TEST_CASE("malformed bodies answer guard.invalid_input and the server keeps serving", "[http][robustness]") {
  ServerProcess server;
  HttpClient client(server.base_url());
  const std::string path = "/api/verifications/password";
  const std::vector<std::string> bad = {
      "{",
      "{\"password\":}",
      "not json",
      "[]",
      "\"a string\"",
      "42",
      "null",
      R"({"password":"x"} trailing)",
      "{\"password\":\"\xff\xfe\"}",                        // invalid UTF-8
      std::string(10'000, '[') + std::string(10'000, ']'),  // deep nesting
      "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}",
  };
  for (const auto& body : bad) {
    INFO(body.substr(0, 40));
    CHECK_ERROR(client.post(path, body, {bearer("tok-alice")}), 400, "guard.invalid_input");
  }
  // An empty body counts as {} (as in Logto): the password is missing.
  CHECK_ERROR(client.request("POST", path, std::nullopt, {bearer("tok-alice")}), 400, "guard.invalid_input");
  // Unknown fields are ignored.
  CHECK(client.post(path, Json{{"password", alice_password}, {"extra", {1, 2}}}, {bearer("tok-alice")}).status == 201);
}

TEST_CASE("a body over 64 KiB answers 413 request.payload_too_large and the server keeps serving",
          "[http][robustness][limits]") {
  ServerProcess server;
  const std::string path = "/api/verifications/verification-code";
  // {"identifier":0,"pad":"xxx…"} of an exact total size.
  auto body_of_size = [](std::size_t size) {
    const std::string head = R"({"identifier":0,"pad":")";
    const std::string tail = "\"}";
    return head + std::string(size - head.size() - tail.size(), 'x') + tail;
  };

  HttpClient client(server.base_url());
  CHECK_ERROR(client.post(path, body_of_size(std::size_t{64} * 1024), {bearer("tok-alice")}), 400,
              "guard.invalid_input");
  CHECK_ERROR(client.post(path, body_of_size(64 * 1024 + 1), {bearer("tok-alice")}), 413, "request.payload_too_large");
  CHECK_ERROR(client.post(path, body_of_size(std::size_t{1024} * 1024), {bearer("tok-alice")}), 413,
              "request.payload_too_large");
  // With "Expect: 100-continue" the body is refused before it is sent.
  CHECK_ERROR(
      client.request("POST", path, body_of_size(std::size_t{200} * 1024), {bearer("tok-alice")}, /*expect_100=*/true),
      413, "request.payload_too_large");
  // A small body with Expect gets its 100 Continue and is served.
  CHECK(client
            .request("POST", "/api/verifications/password", Json{{"password", alice_password}}.dump(),
                     {bearer("tok-alice")}, /*expect_100=*/true)
            .status == 201);

  // Chunked bodies are limited as they arrive.
  std::string chunked = "POST " + path +
                        " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "1000\r\n" + std::string(4096, 'x') + "\r\n";
  chunked += "0\r\n\r\n";
  const std::string answer = raw_exchange(server, chunked);
  CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(answer.find("request.payload_too_large") != std::string::npos);

  HttpClient after(server.base_url());
  CHECK(after.get("/health").status == 200);
}

// Beast bounds headers and body bytes but not a chunk-extension line or a trailer: the session's
// buffer has a cap of its own, so neither can hold the connection's memory growing until the timeout.
TEST_CASE("a chunk extension or trailer that never ends answers 413 once past the buffer's cap",
          "[http][robustness][limits]") {
  ServerProcess server;
  const std::string head =
      "POST /api/verifications/password HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string endless(std::size_t{200} * 1024, 'a');  // no CRLF: the line never ends
  for (const std::string& body : {"1;" + endless, "0\r\nX-Trailer: " + endless}) {
    const std::string answer = raw_exchange(server, head + body);
    CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(answer.find("request.payload_too_large") != std::string::npos);
  }
  HttpClient after(server.base_url());
  CHECK(after.get("/health").status == 200);
}

// A Transfer-Encoding whose last coding is not chunked must not be read as "no body": the bytes
// after it would run as a second request (smuggling, behind a proxy that reads the header another way).
TEST_CASE("a Transfer-Encoding not ending in chunked answers 400 and runs nothing after it", "[http][robustness]") {
  ServerProcess server;
  const std::string smuggled = "GET /api/my-account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\n\r\n";
  for (const char* coding : {"chunked, identity", "gzip", "chunkedx"}) {
    INFO(coding);
    const std::string request = std::string("POST /api/verifications/password HTTP/1.1\r\nHost: x\r\n") +
                                "Authorization: Bearer tok-alice\r\nTransfer-Encoding: " + coding + "\r\n\r\n" +
                                smuggled;
    const std::string answer = raw_exchange(server, request);
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(answer.find("request.bad_request") != std::string::npos);
    CHECK(count_of(answer, "HTTP/1.1 ") == 1);
  }
  HttpClient after(server.base_url());
  CHECK(after.get("/health").status == 200);
}

TEST_CASE("raw HTTP: pipelining, HTTP/1.0, garbage", "[http][robustness]") {
  ServerProcess server;
  const std::string get = "GET /api/my-account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\n\r\n";
  const std::string last = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string pipelined = raw_exchange(server, get + get + last);
  CHECK(count_of(pipelined, "HTTP/1.1 200 OK") == 3);
  CHECK(count_of(pipelined, "\"id\":\"u-alice\"") == 2);

  const std::string old = raw_exchange(server, "GET /health HTTP/1.0\r\n\r\n");
  CHECK(old.rfind("HTTP/1.0 200", 0) == 0);

  const std::string garbage = raw_exchange(server, "HELLO THERE\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(garbage.find("request.bad_request") != std::string::npos);

  const std::string huge_header = raw_exchange(
      server, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(std::size_t{32} * 1024, 'a') + "\r\n\r\n");
  CHECK(huge_header.rfind("HTTP/1.1 431", 0) == 0);

  HttpClient after(server.base_url());
  CHECK(after.get("/health").status == 200);
}

TEST_CASE("SIGTERM and SIGINT stop the server cleanly with exit code 0", "[http][robustness][signals]") {
  const int signal = GENERATE(SIGTERM, SIGINT);
  ServerProcess server;
  HttpClient client(server.base_url());
  // An idle keep-alive connection must not hold the shutdown up.
  REQUIRE(client.get("/api/my-account", {bearer("tok-alice")}).status == 200);
  const auto started = std::chrono::steady_clock::now();
  CHECK(server.stop(signal) == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("bad command lines: one line on stderr and exit code 2", "[http][robustness][cli]") {
  TempDir dir;
  const std::string users = dir.write("users.json", default_users_json());
  const std::vector<std::string> ok = {"--listen", "127.0.0.1:0", "--users", users, "--outbox", dir.path() + "/o"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = ok;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };

  check_usage_error(with({"--bogus"}), "--bogus");
  check_usage_error(with({"stray"}), "stray");
  check_usage_error(with({"--code-ttl"}), "--code-ttl");
  check_usage_error(with({"--code-ttl", "0"}), "--code-ttl");
  check_usage_error(with({"--code-ttl", "90000"}), "--code-ttl");
  check_usage_error(with({"--code-attempts", "0"}), "--code-attempts");
  check_usage_error(with({"--send-limit", "ten"}), "--send-limit");
  check_usage_error(with({"--lockout-window=-5"}), "--lockout-window");
  check_usage_error(with({"--lockout-duration", "700000"}), "--lockout-duration");
  check_usage_error(with({"--record-ttl", "1.5"}), "--record-ttl");
  check_usage_error(with({"--code-ttl", "5", "--code-ttl", "6"}), "--code-ttl");
  check_usage_error({"--listen", "nohostport"}, "--listen");
  check_usage_error({"--listen", "127.0.0.1:99999"}, "--listen");
  // Only an IPv6 address goes in brackets, and a bare host is a name or IPv4 address: these used
  // to pass the parser and fail at startup as an unresolvable host.
  for (const char* listen : {"[[x]:80", "[example.org]:80", "[::1%]:80", "a/b:80", "exa mple:80", "[1.2.3.4]:80"}) {
    check_usage_error({"--listen", listen}, "--listen");
  }
  check_usage_error(with({"--store", "mongodb://x"}), "--store");
  check_usage_error(with({"--store", "redis://127.0.0.1:1"}), "--pepper-file");
  // A URL the store refuses as written is the operator's to fix: a usage error, like an unknown one.
  const std::string good_pepper = dir.write("good.key", std::string(64, 'a') + "\n");
#ifdef REVERIFY_HTTP_TESTS_HAVE_REDIS
  check_usage_error(with({"--store", "redis://::1", "--pepper-file", good_pepper}), "IPv6");
#endif
  check_usage_error(with({"--store", "rediss://127.0.0.1:1", "--pepper-file", good_pepper}), "--store");
  check_usage_error(with({"--pg-verified-marks", "flush"}), "--pg-verified-marks");  // memory store
  check_usage_error(with({"--store", "postgresql://127.0.0.1:1/x", "--pg-verified-marks", "sometimes"}),
                    "--pg-verified-marks");
  check_usage_error(with({"--pepper-file", dir.path() + "/missing"}), "pepper");
  check_usage_error(with({"--pepper-file", dir.write("short.key", std::string(31, 'k'))}), "pepper");
  check_usage_error(with({"--pepper-file", dir.write("badhex.key", std::string(63, 'a') + "g\n")}), "pepper");
  // With the pepper and a store dump, anyone can try every code offline: it must be the owner's alone.
  const std::string shared_key = dir.write("shared.key", std::string(64, 'a') + "\n");
  for (const mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0620}}) {
    REQUIRE(::chmod(shared_key.c_str(), mode) == 0);
    check_usage_error(with({"--pepper-file", shared_key}), "chmod 600");
  }
  check_usage_error(with({"--pepper-file", dir.path()}), "not a regular file");
  const std::string fifo = dir.path() + "/pepper.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), S_IRUSR | S_IWUSR) == 0);
  check_usage_error(with({"--pepper-file", fifo}), "not a regular file");  // refused, not waited on

  check_usage_error({"--listen", "127.0.0.1:0", "--users", dir.path() + "/missing.json"}, "missing.json");
  // The demo users' tokens and passwords are in the docs: never served beyond this machine.
  for (const char* listen : {"0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.org:0"}) {
    check_usage_error({"--listen", listen, "--outbox", dir.path() + "/o"}, "--users");
  }
  const std::vector<std::pair<std::string, std::string>> bad_users = {
      {"not json", "not valid JSON"},
      {R"({"people":[]})", "users"},
      {R"({"users":[{"id":"u1"}]})", "accessToken"},
      {R"({"users":[{"id":"","accessToken":"t"}]})", "id"},
      {R"({"users":[{"id":"u1","accessToken":"t"},{"id":"u2","accessToken":"t"}]})", "duplicate accessToken"},
      {R"({"users":[{"id":"u1","accessToken":"t"},{"id":"u1","accessToken":"s"}]})", "duplicate id"},
      {R"({"users":[{"id":"u1","accessToken":"t","primaryEmail":"nope"}]})", "primaryEmail"},
      {R"({"users":[{"id":"u1","accessToken":"t","primaryPhone":"call me"}]})", "primaryPhone"},
      {R"({"users":[{"id":"u1","accessToken":"t","primaryEmail":"a@b.co"},
                    {"id":"u2","accessToken":"s","primaryEmail":"A@B.CO"}]})",
       "primaryEmail"},
      {R"({"users":[{"id":"u1","accessToken":"t","pasword":"typo-in-the-key"}]})", "pasword"},
      {R"({"users":[{"id":"u1","accessToken":"t","password":"p","passwordHash":"$argon2id$x"}]})", "passwordHash"},
      {R"({"users":[{"id":"u1","accessToken":"t","passwordHash":"plain-text"}]})", "passwordHash"},
      {R"({"users":[{"id":"u1","accessToken":"t","password":7}]})", "password"},
  };
  for (const auto& [content, mentions] : bad_users) {
    const std::string file = dir.write("bad-users.json", content);
    check_usage_error({"--listen", "127.0.0.1:0", "--users", file}, mentions);
  }
  // A password never appears in an error.
  const CommandResult typo = run_server_command(
      {"--users", dir.write("typo.json", R"({"users":[{"id":"u1","accessToken":"t","pasword":"typo-in-the-key"}]})")});
  CHECK(typo.err.find("typo-in-the-key") == std::string::npos);

  const CommandResult help = run_server_command({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--lockout-failures") != std::string::npos);
}

// Found by tests/fuzz/server/server_config_fuzz.cpp: arguments, keys and ids were echoed as they
// were, so a line break in one split the error over several lines; a flag's value with one (a
// path, a host) is refused before anything names it.
TEST_CASE("bad command lines and users files with line breaks: still one line on stderr", "[http][robustness][cli]") {
  TempDir dir;
  const auto users = [&dir](const char* name, const std::string& content) { return dir.write(name, content); };
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--send-limit", "1\n2"}, "--send-limit"},
      {{"--code-ttl=60\r"}, "--code-ttl"},
      {{"stray\nline"}, "unexpected argument"},
      {{"--bo\rgus"}, "unknown option"},
      {{"--users", users("key.json", R"({"users":[{"id":"u1","accessToken":"t","pas\nword":"x"}]})")}, "unknown field"},
      {{"--users", users("id.json", R"({"users":[{"id":"u\r1","accessToken":"t"},{"id":"u\r1","accessToken":"s"}]})")},
       "duplicate id"},
      {{"--users", dir.path() + "/missing\nusers.json"}, "--users must not contain control characters"},
      {{"--pepper-file", dir.path() + "/missing\npepper.key"}, "--pepper-file must not contain control characters"},
      {{"--outbox", dir.path() + "/out\nbox.jsonl"}, "--outbox must not contain control characters"},
      {{"--store", "sqlite:" + dir.path() + "/st\rore.db"}, "--store must not contain control characters"},
      {{"--listen", "local\nhost:0"}, "--listen must not contain control characters"},
  };
  for (const auto& [args, mentions] : cases) {
    std::vector<std::string> all;
    if (args.front() != "--listen") all = {"--listen", "127.0.0.1:0"};
    all.insert(all.end(), args.begin(), args.end());
    const CommandResult result = run_server_command(all);
    INFO("args: " << Catch::Detail::stringify(all) << "\nstderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(count_of(result.err, "\n") == 1);
    CHECK(result.err.find('\r') == std::string::npos);
    CHECK(result.err.find(mentions) != std::string::npos);
  }
}

TEST_CASE("pepper files: 64 hex characters with a newline, or 32 raw bytes", "[http][robustness][cli]") {
  TempDir keys;
  const std::string hex = keys.write("hex.key", std::string(64, 'a') + "\n");
  const std::string raw = keys.write("raw.key", std::string(32, '\x07'));
  // A link to a private file is followed.
  const std::string link = keys.path() + "/link.key";
  REQUIRE(::symlink(hex.c_str(), link.c_str()) == 0);
  for (const auto& file : {hex, raw, link}) {
    ServerProcess server({"--pepper-file", file});
    HttpClient client(server.base_url());
    const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
    CHECK(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, sent.code).status == 200);
  }
}

TEST_CASE("users file: a passwordHash (PHC string) verifies like a password", "[http][robustness][users]") {
  auto hash = reverify::test::cheap_hasher()->hash(reverify::SecretString(std::string_view("hashed-password-9")));
  REQUIRE(hash);
  const Json users = {{"users", {{{"id", "u-erin"}, {"accessToken", "tok-erin"}, {"passwordHash", *hash}}}}};
  ServerProcess server({}, users.dump());
  HttpClient client(server.base_url());
  CHECK(client.get("/api/my-account", {bearer("tok-erin")}).json().at("hasPassword") == true);
  CHECK_FALSE(password_record(client, "tok-erin", "hashed-password-9").empty());
  // The weaker hash was upgraded in memory; the password still works.
  CHECK_FALSE(password_record(client, "tok-erin", "hashed-password-9").empty());
  CHECK_ERROR(client.post("/api/verifications/password", Json{{"password", "wrong"}}, {bearer("tok-erin")}), 422,
              "session.invalid_credentials");
}

#ifdef REVERIFY_HTTP_TESTS_HAVE_LEGACY
TEST_CASE("users file: Logto's legacy password formats verify, then upgrade", "[http][robustness][users][legacy]") {
  // Hex digests of "legacy-password-1" (SHA256) and "legacy-password-2" (MD5), as Logto stores them.
  const Json users = {{"users",
                       {{{"id", "u-sha"},
                         {"accessToken", "tok-sha"},
                         {"passwordEncryptionMethod", "SHA256"},
                         {"passwordHash", "57240048fb2acc89f15580a6b8543674ce5afa34395a2977a235e8a98e730e64"}},
                        {{"id", "u-md5"},
                         {"accessToken", "tok-md5"},
                         {"passwordEncryptionMethod", "MD5"},
                         {"passwordHash", "bbc9aa5280756ca042d8502807e5e516"}}}}};
  ServerProcess server({}, users.dump());
  HttpClient client(server.base_url());
  CHECK_ERROR(client.post("/api/verifications/password", Json{{"password", "legacy-password-2"}}, {bearer("tok-sha")}),
              422, "session.invalid_credentials");
  CHECK_FALSE(password_record(client, "tok-sha", "legacy-password-1").empty());
  // Upgraded to Argon2id in memory on that success; the password keeps working.
  CHECK_FALSE(password_record(client, "tok-sha", "legacy-password-1").empty());
  CHECK_FALSE(password_record(client, "tok-md5", "legacy-password-2").empty());

  TempDir dir;
  const CommandResult unknown = run_server_command(
      {"--listen", "127.0.0.1:0", "--users",
       dir.write("u.json", R"({"users":[{"id":"u1","accessToken":"t","passwordEncryptionMethod":"ROT13",
                                         "passwordHash":"abc"}]})")});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("passwordEncryptionMethod") != std::string::npos);
}
#endif

#ifdef REVERIFY_HTTP_TESTS_HAVE_POSTGRES
// The server's own schema ("reverify", the library's default) in the test database, so the send
// limit is raised: runs of this test in a row share its send windows. The startup line names the
// setting the store was given.
TEST_CASE("postgresql store: --pg-verified-marks reaches the store, and a code verifies either way",
          "[http][robustness][store]") {
  const char* url = std::getenv("REVERIFY_TEST_PG_URL");  // NOLINT(concurrency-mt-unsafe): no thread runs yet
  INFO("start the test services: scripts/services.sh start; eval \"$(scripts/services.sh env)\"");
  REQUIRE(url != nullptr);
  TempDir dir;
  const std::string pepper = dir.write("pepper.key", std::string(64, 'd') + "\n");
  for (const std::string marks : {"async", "flush"}) {
    INFO("--pg-verified-marks " << marks);
    ServerProcess server(
        {"--store", url, "--pepper-file", pepper, "--pg-verified-marks", marks, "--send-limit", "1000000"});
    HttpClient client(server.base_url());
    const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
    CHECK(verify_code(client, "tok-bob", "email", "bob@example.com", sent.record_id, sent.code).status == 200);
    CHECK(server.stop(SIGTERM) == 0);
    CHECK(server.stderr_text().find("store postgresql, verified marks " + marks + ",") != std::string::npos);
  }
  ServerProcess by_default({"--store", url, "--pepper-file", pepper});
  CHECK(by_default.stop(SIGTERM) == 0);
  CHECK(by_default.stderr_text().find("store postgresql, verified marks async,") != std::string::npos);
}
#endif

#ifdef REVERIFY_HTTP_TESTS_HAVE_SQLITE
TEST_CASE("sqlite store: codes survive a restart with the same pepper, not with another", "[http][robustness][store]") {
  TempDir dir;
  const std::string store = "sqlite:" + dir.path() + "/reverify.db";
  const std::string pepper = dir.write("pepper.key", std::string(64, 'b') + "\n");
  const std::string other_pepper = dir.write("other.key", std::string(64, 'c') + "\n");
  std::string record_id;
  std::string code;
  std::string second_record_id;
  std::string second_code;
  {
    ServerProcess server({"--store", store, "--pepper-file", pepper});
    HttpClient client(server.base_url());
    const auto sent = send_code(client, server, "tok-bob", "email", "bob@example.com");
    record_id = sent.record_id;
    code = sent.code;
    const auto second = send_code(client, server, "tok-bob", "phone", "15550002222");
    second_record_id = second.record_id;
    second_code = second.code;
    CHECK(server.stop(SIGTERM) == 0);
  }
  {
    // Another pepper: the stored digest no longer matches the right code.
    ServerProcess server({"--store", store, "--pepper-file", other_pepper});
    HttpClient client(server.base_url());
    CHECK_ERROR(verify_code(client, "tok-bob", "phone", "15550002222", second_record_id, second_code), 400,
                "verification_code.code_mismatch");
    CHECK(server.stop(SIGTERM) == 0);
  }
  {
    ServerProcess server({"--store", store, "--pepper-file", pepper});
    HttpClient client(server.base_url());
    const auto verified = verify_code(client, "tok-bob", "email", "bob@example.com", record_id, code);
    CHECK(verified.status == 200);
    CHECK(client.del("/api/my-account/primary-phone", {bearer("tok-bob"), step_up(record_id)}).status == 204);
  }
  // Unreachable store file: a runtime error at startup (exit 1), not a usage error.
  const CommandResult missing_dir =
      run_server_command({"--listen", "127.0.0.1:0", "--users", dir.write("users.json", default_users_json()),
                          "--store", "sqlite:" + dir.path() + "/no/such/dir/x.db", "--pepper-file", pepper});
  CHECK(missing_dir.exit_code == 1);
  CHECK(missing_dir.err.rfind("reverify-server: ", 0) == 0);
}
#endif
