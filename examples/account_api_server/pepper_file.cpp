#include "pepper_file.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string_view>

#include "one_line.hpp"
#include "reverify/secret_string.hpp"

namespace reverify::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

tl::expected<reverify::Pepper, std::string> load_pepper_file(const std::string& path, std::uint32_t pepper_id) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected("cannot read pepper file " + one_line(path));
  // Read at most a little more than the longest valid form, into a buffer that is wiped.
  std::string raw(68, '\0');
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  raw.resize(static_cast<std::size_t>(in.gcount()));
  const reverify::SecretString content(std::move(raw));
  return parse_pepper(content.reveal(), "pepper file " + one_line(path), pepper_id);
}

tl::expected<reverify::Pepper, std::string> parse_pepper(std::string_view content, std::string_view source,
                                                         std::uint32_t pepper_id) {
  std::string_view text = content;
  if (text.size() == reverify::Pepper::size) {
    auto pepper = reverify::Pepper::from_bytes(pepper_id, text);
    if (!pepper) return tl::unexpected(std::string(source) + ": " + pepper.error().message());
    return *pepper;
  }
  const std::string rule = std::string(source) + " must hold 32 raw bytes or 64 hexadecimal characters";
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.size() != 2 * reverify::Pepper::size) return tl::unexpected(rule);
  std::string bytes(reverify::Pepper::size, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return tl::unexpected(rule);
    bytes[i] = static_cast<char>((high << 4) | low);
  }
  const reverify::SecretString key(std::move(bytes));
  auto pepper = reverify::Pepper::from_bytes(pepper_id, key.reveal());
  if (!pepper) return tl::unexpected(std::string(source) + ": " + pepper.error().message());
  return *pepper;
}

}  // namespace reverify::server
