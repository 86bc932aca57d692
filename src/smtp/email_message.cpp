#include "email_message.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace reverify::smtp::detail {
namespace {

bool is_atext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
  return specials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_dot_atom(std::string_view text, bool host) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = '\0';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '.') {
      if (previous == '.') return false;
    } else if (host ? !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || ch == '-')
                    : !is_atext(c)) {
      return false;
    }
    previous = ch;
  }
  return true;
}

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c <= 0x7e;
  });
}

std::string base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // the LF adds it
    if (text[i] == '\n' || text[i] == '\r') {
      out += "\r\n";
    } else {
      out.push_back(text[i]);
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

bool needs_transfer_encoding(std::string_view crlf_text) {
  std::size_t line = 0;
  for (const char ch : crlf_text) {
    if (static_cast<unsigned char>(ch) > 0x7e) return true;
    line = ch == '\n' ? 0 : line + 1;
    if (line > 998) return true;
  }
  return false;
}

// RFC 2045 section 6.7, with soft breaks keeping encoded lines within 76 characters.
std::string quoted_printable(std::string_view crlf_text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (std::size_t i = 0; i < crlf_text.size(); ++i) {
    const auto c = static_cast<unsigned char>(crlf_text[i]);
    if (c == '\r' && i + 1 < crlf_text.size() && crlf_text[i + 1] == '\n') {
      out += "\r\n";
      column = 0;
      ++i;
      continue;
    }
    const bool at_line_end = i + 1 == crlf_text.size() || crlf_text[i + 1] == '\r';
    const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    if (literal) {
      const char one[1] = {static_cast<char>(c)};
      put(std::string_view(one, 1));
    } else {
      const char escaped[3] = {'=', hex[c >> 4], hex[c & 0x0f]};
      put(std::string_view(escaped, 3));
    }
  }
  return out;
}

std::string_view domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view("localhost") : address.substr(at + 1);
}

}  // namespace

bool is_plain_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  return local.size() <= 64 && is_dot_atom(local, false) && is_dot_atom(domain, true);
}

std::string fill_template(std::string_view text, std::string_view code, std::string_view minutes) {
  static constexpr std::string_view code_tag = "{code}";
  static constexpr std::string_view minutes_tag = "{minutes}";
  std::string out;
  out.reserve(text.size() + code.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, code_tag.size(), code_tag) == 0) {
      out += code;
      i += code_tag.size();
    } else if (text.compare(i, minutes_tag.size(), minutes_tag) == 0) {
      out += minutes;
      i += minutes_tag.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string encode_header_text(std::string_view text) {
  if (is_printable_ascii(text)) return std::string(text);
  // Encoded words of at most 39 source bytes (52 base64 characters, 64 in all), each split at a
  // character boundary, on folded lines: with "Subject: " before the first, every line holding
  // one stays within RFC 2047's 76 characters.
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(start + 39, text.size());
    while (end < text.size() && end > start && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

std::string rfc5322_date(Timestamp t) {
  static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = static_cast<std::time_t>(to_unix_ms(t) / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  const int written = std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                                    days.at(static_cast<std::size_t>(utc.tm_wday)), utc.tm_mday,
                                    months.at(static_cast<std::size_t>(utc.tm_mon)), utc.tm_year + 1900, utc.tm_hour,
                                    utc.tm_min, utc.tm_sec);
  // 64 bytes hold every value these fields can take (the year has at most 11 characters).
  if (written <= 0 || static_cast<std::size_t>(written) >= sizeof buffer) return {};
  return std::string(buffer, static_cast<std::size_t>(written));
}

std::string new_message_id(std::string_view domain) {
  std::array<unsigned char, 16> random{};
  randombytes_buf(random.data(), random.size());
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), random.data(), random.size());
  return "<" + std::string(hex.data()) + "@" + std::string(domain) + ">";
}

std::string build_message(const MessageParts& parts) {
  std::string from_header;
  if (parts.from_name.empty()) {
    from_header = std::string(parts.from);
  } else if (is_printable_ascii(parts.from_name)) {
    from_header = "\"";
    for (const char c : parts.from_name) {
      if (c == '"' || c == '\\') from_header.push_back('\\');
      from_header.push_back(c);
    }
    from_header += "\" <" + std::string(parts.from) + ">";
  } else {
    // The address goes on a fold of its own: a line holding an encoded word may have only 76
    // characters (RFC 2047 section 2), and the address alone can have 254.
    from_header = encode_header_text(parts.from_name) + "\r\n <" + std::string(parts.from) + ">";
  }

  std::string body = to_crlf(parts.body);
  const bool encode = needs_transfer_encoding(body);

  std::string message;
  message.reserve(512 + body.size() * (encode ? 3 : 1));
  message += "Date: " + rfc5322_date(parts.date) + "\r\n";
  message += "Message-ID: " + new_message_id(domain_of(parts.from)) + "\r\n";
  message += "From: " + from_header + "\r\n";
  message += "To: " + std::string(parts.to) + "\r\n";
  message += "Subject: " + encode_header_text(parts.subject) + "\r\n";
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=utf-8\r\n";
  message += encode ? "Content-Transfer-Encoding: quoted-printable\r\n" : "Content-Transfer-Encoding: 7bit\r\n";
  message += "Auto-Submitted: auto-generated\r\n";
  message += "\r\n";
  message += encode ? quoted_printable(body) : body;
  if (message.compare(message.size() - 2, 2, "\r\n") != 0) message += "\r\n";
  sodium_memzero(body.data(), body.size());  // it holds the code
  return message;
}

}  // namespace reverify::smtp::detail
