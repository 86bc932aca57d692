#include "legacy_tuple.hpp"

#include <cstdint>
#include <optional>

#include "common/json_text.hpp"

namespace reverify::legacy {
namespace {

constexpr std::size_t max_input = std::size_t{64} * 1024;
constexpr std::size_t max_args = 64;

tl::unexpected<Error> bad(const char* what) { return fail(Errc::invalid_input, std::string("Legacy tuple: ") + what); }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_ws() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool peek(char c) {
    skip_ws();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  [[nodiscard]] bool at_end() {
    skip_ws();
    return pos_ == text_.size();
  }

  std::optional<std::uint32_t> hex4() {
    if (pos_ + 4 > text_.size()) return std::nullopt;
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    return v;
  }

  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (!reverify::detail::is_valid_utf8(out)) return std::nullopt;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return std::nullopt;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return std::nullopt;
          if (*cp >= 0xDC00 && *cp <= 0xDFFF) return std::nullopt;
          if (*cp >= 0xD800 && *cp <= 0xDBFF) {
            if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') return std::nullopt;
            pos_ += 2;
            auto low = hex4();
            if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
          }
          append_utf8(out, *cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // A non-negative JSON integer (no fraction or exponent), kept as text.
  std::optional<std::string> integer() {
    skip_ws();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    const std::string_view digits = text_.substr(start, pos_ - start);
    if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) return std::nullopt;
    return std::string(digits);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<LegacyTuple> parse_legacy_tuple(std::string_view json) {
  if (json.size() > max_input) return bad("too long");
  Reader in(json);
  LegacyTuple tuple;
  if (!in.eat('[')) return bad("not a JSON array");
  auto algorithm = in.string();
  if (!algorithm || algorithm->empty()) return bad("algorithm is not a non-empty string");
  tuple.algorithm = std::move(*algorithm);
  if (!in.eat(',') || !in.eat('[')) return bad("args is not an array");
  if (!in.eat(']')) {
    do {
      if (tuple.args.size() == max_args) return bad("too many args");
      auto arg = in.peek('"') ? in.string() : in.integer();
      if (!arg) return bad("args element is not a string or a non-negative integer");
      tuple.args.push_back(std::move(*arg));
    } while (in.eat(','));
    if (!in.eat(']')) return bad("args array is not closed");
  }
  if (!in.eat(',')) return bad("not exactly three elements");
  auto expected = in.string();
  if (!expected) return bad("expected hash is not a string");
  tuple.expected = std::move(*expected);
  if (!in.eat(']')) return bad("not exactly three elements");
  if (!in.at_end()) return bad("trailing characters");
  bool has_password = false;
  for (const auto& arg : tuple.args) has_password = has_password || arg == "@";
  if (!has_password) return bad("no \"@\" element in args");
  return tuple;
}

}  // namespace reverify::legacy
