#include "reverify/outbox_sender.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <system_error>

#include <sodium.h>

#include "json_escape.hpp"

namespace reverify {

struct OutboxSender::Impl {
  std::mutex mutex;
  std::ofstream file;  // owned output, when opened from a path
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
  // Create with 0600 first: the outbox holds codes in clear.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::invalid_configuration,
                "cannot open outbox file " + path + ": " + std::generic_category().message(errno));
  }
  ::close(fd);
  auto impl = std::make_unique<Impl>();
  impl->file.open(path, std::ios::out | std::ios::app);
  if (!impl->file) return fail(Errc::invalid_configuration, "cannot open outbox file " + path);
  impl->out = &impl->file;
  return std::make_shared<OutboxSender>(std::move(impl));
}

std::string OutboxSender::to_json_line(const CodeMessage& message) {
  std::string line = "{\"channel\":";
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
  std::string line = to_json_line(message);
  line += '\n';
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->out->write(line.data(), static_cast<std::streamsize>(line.size()));
  impl_->out->flush();
  sodium_memzero(line.data(), line.size());  // the line holds the code in clear
  if (!*impl_->out) {
    impl_->out->clear();
    return fail(Errc::sender_unavailable, "could not write to the outbox");
  }
  return {};
}

}  // namespace reverify
