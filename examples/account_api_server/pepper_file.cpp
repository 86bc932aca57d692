#include "pepper_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

/// Closes a file descriptor at the end of its scope.
class ClosesOnExit {
 public:
  explicit ClosesOnExit(int fd) noexcept : fd_(fd) {}
  ClosesOnExit(const ClosesOnExit&) = delete;
  ClosesOnExit& operator=(const ClosesOnExit&) = delete;
  ClosesOnExit(ClosesOnExit&&) = delete;
  ClosesOnExit& operator=(ClosesOnExit&&) = delete;
  ~ClosesOnExit() { ::close(fd_); }

 private:
  int fd_;
};

}  // namespace

tl::expected<reverify::Pepper, std::string> load_pepper_file(const std::string& path, std::uint32_t pepper_id) {
  const std::string name = "pepper file " + one_line(path);
  // O_NONBLOCK: opening a FIFO with no writer would otherwise hang before the checks below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (fd < 0) return tl::unexpected("cannot read " + name);
  const ClosesOnExit closer(fd);
  // Whoever reads the pepper and a store dump can try all 10^6 codes of every record offline, so
  // it must be the server user's alone, as ssh wants of a private key. Links are followed; the
  // file they lead to is what is checked.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return tl::unexpected(name + " is not a regular file");
  if (st.st_uid != ::geteuid()) return tl::unexpected(name + " belongs to another user");
  if ((st.st_mode & 077U) != 0) {
    return tl::unexpected(name + " is open to other users (it keys every code digest): chmod 600 it");
  }
  // Read at most a little more than the longest valid form, into a buffer that is wiped.
  std::string raw(68, '\0');
  std::size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = ::read(fd, raw.data() + got, raw.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected("cannot read " + name);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  raw.resize(got);
  const reverify::SecretString content(std::move(raw));
  return parse_pepper(content.reveal(), name, pepper_id);
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
