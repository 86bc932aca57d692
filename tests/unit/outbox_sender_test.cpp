#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <algorithm>

#include "reverify/outbox_sender.hpp"

using namespace reverify;

namespace {
CodeMessage sample(IdentifierType channel, std::string to) {
  CodeMessage m;
  m.channel = channel;
  m.to = std::move(to);
  m.code = SecretString("042133");
  m.template_type = TemplateType::bind_mfa;
  m.record_id = "abc";
  m.sent_at = from_unix_ms(1'700'000'000'123);
  return m;
}
}  // namespace

TEST_CASE("an outbox line is the documented JSON object") {
  CHECK(OutboxSender::to_json_line(sample(IdentifierType::email, "Alice@Example.com")) ==
        R"({"channel":"email","to":"Alice@Example.com","code":"042133","template":"BindMfa",)"
        R"("verificationRecordId":"abc","sentAt":"2023-11-14T22:13:20.123Z"})");
  CHECK(OutboxSender::to_json_line(sample(IdentifierType::phone, "+1 555")).find(R"("channel":"sms")") !=
        std::string::npos);
}

TEST_CASE("outbox strings are JSON-escaped") {
  const auto line = OutboxSender::to_json_line(sample(IdentifierType::email, "a\"b\\c\n\x01@x.io"));
  CHECK(line.find(R"("to":"a\"b\\c\u000a\u0001@x.io")") != std::string::npos);
}

TEST_CASE("a stream outbox writes one line per message") {
  std::ostringstream out;
  OutboxSender sender(out);
  REQUIRE(sender.send(sample(IdentifierType::email, "a@b.co")).has_value());
  REQUIRE(sender.send(sample(IdentifierType::phone, "1555")).has_value());
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
}

namespace {
/// A fresh path under /tmp that does not exist yet.
std::string fresh_outbox_path() {
  char path[] = "/tmp/reverify-outbox-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  REQUIRE(std::remove(path) == 0);
  return path;
}
}  // namespace

TEST_CASE("a file outbox appends and is private to its owner") {
  const std::string name = fresh_outbox_path();  // the outbox must create the file itself
  const char* path = name.c_str();
  {
    auto sender = OutboxSender::open_file(path);
    REQUIRE(sender.has_value());
    REQUIRE((*sender)->send(sample(IdentifierType::email, "a@b.co")).has_value());
  }
  {
    auto sender = OutboxSender::open_file(path);
    REQUIRE((*sender)->send(sample(IdentifierType::email, "a@b.co")).has_value());
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  CHECK(lines == 2);
  struct stat st {};
  REQUIRE(::stat(path, &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(std::remove(path) == 0);
}

TEST_CASE("an outbox that cannot be opened is a configuration error") {
  const auto sender = OutboxSender::open_file("/nonexistent-dir/outbox.jsonl");
  REQUIRE_FALSE(sender.has_value());
  CHECK(sender.error() == Errc::invalid_configuration);
}

TEST_CASE("an outbox path with a control character is refused before an error names it") {
  const std::string path = "/tmp/reverify-outbox\n-test.jsonl";
  const auto sender = OutboxSender::open_file(path);
  REQUIRE_FALSE(sender.has_value());
  CHECK(sender.error() == Errc::invalid_configuration);
  CHECK(sender.error().message().find('\n') == std::string::npos);
  struct stat st {};
  CHECK(::stat(path.c_str(), &st) != 0);  // nothing created
}

TEST_CASE("an existing outbox file open to other users, or of another user, is refused") {
  const std::string path = fresh_outbox_path();
  { std::ofstream create(path); }
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto sender = OutboxSender::open_file(path);
  REQUIRE_FALSE(sender.has_value());
  CHECK(sender.error() == Errc::invalid_configuration);
  CHECK(sender.error().message().find("chmod 600") != std::string::npos);
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CHECK(OutboxSender::open_file(path).has_value());
  if (::geteuid() == 0) {
    // Only root can give the file away; elsewhere the owner check cannot be set up.
    REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
    sender = OutboxSender::open_file(path);
    REQUIRE_FALSE(sender.has_value());
    CHECK(sender.error().message().find("belongs to another user") != std::string::npos);
  }
  CHECK(std::remove(path.c_str()) == 0);
}

TEST_CASE("a message that is not valid UTF-8 is refused and nothing is written") {
  std::ostringstream out;
  OutboxSender sender(out);
  for (const std::string& to :
       {std::string("a\xff@b.co"), std::string("a\xc0\xaf@b.co"), std::string("a\xed\xa0\x80@b.co")}) {
    const auto sent = sender.send(sample(IdentifierType::email, to));
    REQUIRE_FALSE(sent.has_value());
    CHECK(sent.error() == Errc::invalid_input);
  }
  CHECK(out.str().empty());
  CHECK(sender.send(sample(IdentifierType::email, "\xc3\xa9lise@b.co")).has_value());
}

TEST_CASE("an outbox path that is a symbolic link is refused") {
  const std::string target = fresh_outbox_path();
  const std::string link = fresh_outbox_path();
  { std::ofstream create(target); }
  REQUIRE(::chmod(target.c_str(), 0600) == 0);
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  const auto sender = OutboxSender::open_file(link);
  REQUIRE_FALSE(sender.has_value());
  CHECK(sender.error() == Errc::invalid_configuration);
  CHECK(std::remove(link.c_str()) == 0);
  CHECK(std::remove(target.c_str()) == 0);
}
