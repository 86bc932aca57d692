#include "reverify/outbox_sender.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <ostream>
#include <string_view>
#include <system_error>

#include <sodium.h>

#include "common/json_text.hpp"

namespace reverify {
namespace {

/// Writes all of `line` to `fd`; an `O_APPEND` write of one line lands whole at the file's end.
bool write_all(int fd, std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(fd, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    line.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool write_stream(std::ostream& out, std::string_view line) {
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  out.flush();
  if (out) return true;
  out.clear();
  return false;
}

}  // namespace

struct OutboxSender::Impl {
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
  std::mutex mutex;
  int fd = -1;  // owned output, when opened from a path
  std::ostream* out = nullptr;
};

OutboxSender::OutboxSender(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

OutboxSender::OutboxSender(std::ostream& stream) : impl_(std::make_unique<Impl>()) { impl_->out = &stream; }

OutboxSender::~OutboxSender() = default;

Result<std::shared_ptr<OutboxSender>> OutboxSender::open_file(const std::string& path) {
  // The path is named in the errors below, which must stay one line.
  if (std::any_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return fail(Errc::invalid_configuration, "the outbox path must not contain control characters");
  }
  // Created with 0600: the outbox holds codes in clear. The descriptor opened here is the one
  // written to, so the file checked below is the file that receives the codes; a symbolic link
  // is not followed (one planted in a shared directory could point at another file).
  auto impl = std::make_unique<Impl>();
  impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (impl->fd < 0) {
    return fail(Errc::invalid_configuration,
                "cannot open outbox file " + path + ": " + std::generic_category().message(errno));
  }
  // An existing file keeps its owner and mode: one someone else owns (a file, a FIFO or a socket
  // they read), or that others may read or write, would hand them every code. Character devices
  // (a terminal, /dev/null) are the system's.
  struct stat st {};
  if (::fstat(impl->fd, &st) != 0) {
    return fail(Errc::invalid_configuration,
                "cannot inspect outbox file " + path + ": " + std::generic_category().message(errno));
  }
  if (!S_ISCHR(st.st_mode) && st.st_uid != ::geteuid()) {
    return fail(Errc::invalid_configuration, "the outbox file " + path + " belongs to another user");
  }
  if (!S_ISCHR(st.st_mode) && (st.st_mode & 077U) != 0) {
    return fail(Errc::invalid_configuration,
                "the outbox file " + path + " is open to other users (it holds codes in clear): chmod 600 it");
  }
  return std::make_shared<OutboxSender>(std::move(impl));
}

std::string OutboxSender::to_json_line(const CodeMessage& message) {
  // Room for the whole line and send()'s newline, reserved before the code goes in (a byte
  // escapes to at most 6): growing the string later would free buffers holding the code, out of
  // reach of send()'s wipe. The 160 cover the keys, channel, template and time.
  std::string line;
  line.reserve(160 + 6 * (message.to.size() + message.code.size() + message.record_id.size()));
  line += "{\"channel\":";
  detail::append_json_string(line, message.channel == IdentifierType::phone ? "sms" : "email");
  line += ",\"to\":";
  detail::append_json_string(line, message.to);
  line += ",\"code\":";
  detail::append_json_string(line, message.code.reveal());
  line += ",\"template\":";
  detail::append_json_string(line, to_string(message.template_type));
  line += ",\"verificationRecordId\":";
  detail::append_json_string(line, message.record_id);
  line += ",\"sentAt\":";
  detail::append_json_string(line, to_iso8601(message.sent_at));
  line += '}';
  return line;
}

Result<void> OutboxSender::send(const CodeMessage& message) {
  // Valid JSON holds valid UTF-8 only: refused, as the HTTP sender refuses it.
  if (!detail::message_text_is_utf8(message)) {
    return fail(Errc::invalid_input, "a message field is not valid UTF-8");
  }
  std::string line = to_json_line(message);
  line += '\n';
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  const bool written = impl_->fd >= 0 ? write_all(impl_->fd, line) : write_stream(*impl_->out, line);
  sodium_memzero(line.data(), line.size());  // the line holds the code in clear
  if (!written) return fail(Errc::sender_unavailable, "could not write to the outbox");
  return {};
}

}  // namespace reverify
