// detail::redact (src/common/redact.hpp): what the senders and the PostgreSQL store cut out of a
// library's error text before it becomes one of ours.
#include <catch2/catch.hpp>

#include <string>

#include "common/redact.hpp"

using reverify::detail::redact;

TEST_CASE("redact cuts every occurrence of every secret", "[unit][redact]") {
  CHECK(redact("to bob@example.com, again bob@example.com", {"bob@example.com"}) == "to [redacted], again [redacted]");
  CHECK(redact("code 123456 token abc", {"123456", "abc"}) == "code [redacted] token [redacted]");
  CHECK(redact("nothing here", {"secret"}) == "nothing here");
}

TEST_CASE("redact takes the longest secret first, so a short one cannot break a long one", "[unit][redact]") {
  // The code inside the URL path: cutting the code first would leave the rest of the path.
  CHECK(redact("GET /hook/123456/x failed", {"123456", "/hook/123456/x"}) == "GET [redacted] failed");
}

TEST_CASE("redact skips empty secrets and never matches inside its own mark", "[unit][redact]") {
  CHECK(redact("abc", {"", "b"}) == "a[redacted]c");
  // A secret that is part of "[redacted]" is not found again in the replacement.
  CHECK(redact("da da", {"da"}) == "[redacted] [redacted]");
  CHECK(redact("x", {}) == "x");
}

TEST_CASE("redact cuts overlapping secrets whole, and never inside its own mark", "[unit][redact]") {
  CHECK(redact("xABCDEFGy", {"ABCD", "DEFG"}) == "x[redacted]y");
  CHECK(redact("xABCDEFGy", {"DEFG", "ABCD"}) == "x[redacted]y");
  // "act" occurs in the mark a first secret leaves: it is looked for in the original text only.
  CHECK(redact("secret act", {"secret", "act"}) == "[redacted] [redacted]");
  CHECK(redact("aaaa", {"aa"}) == "[redacted]");
}
