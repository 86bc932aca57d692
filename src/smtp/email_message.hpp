#pragma once
// Building an RFC 5322 text/plain message from validated parts (private to reverify::smtp).

#include <string>
#include <string_view>

#include "reverify/clock.hpp"

namespace reverify::smtp::detail {

// A bare addr-spec we can put in an envelope and a header as is: dot-atom local part (RFC 5322
// atext), one '@', a host name of letters, digits, '-' and dots; at most 254 bytes. Everything
// that could end a header or add a recipient (CR, LF, ',', ';', '<', '>', '"', space…) fails.
bool is_plain_address(std::string_view address);

// One left-to-right pass: "{code}" and "{minutes}" are replaced; the inserted text is never
// rescanned.
std::string fill_template(std::string_view text, std::string_view code, std::string_view minutes);

// Header text: as is when printable ASCII, else RFC 2047 B-encoded words of at most 64
// characters, one per folded line, so that a line holding one stays within 76 characters.
std::string encode_header_text(std::string_view text);

// "Tue, 21 Aug 2026 12:10:00 +0000".
std::string rfc5322_date(Timestamp t);

// "<32 random hex digits@domain>".
std::string new_message_id(std::string_view domain);

struct MessageParts {
  std::string_view from;
  std::string_view from_name;
  std::string_view to;
  std::string_view subject;  // already filled
  std::string_view body;     // already filled; "\n" or "\r\n" line ends
  Timestamp date{};
};

// The whole message, CRLF line ends. The body is 7bit when ASCII with short lines, else
// quoted-printable. Dot-stuffing is left to libcurl.
std::string build_message(const MessageParts& parts);

}  // namespace reverify::smtp::detail
