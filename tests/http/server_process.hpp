#pragma once
// Starts the real reverify-server binary for a test and stops it again.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reverify::http_test {

// The users every test server starts with (see the .cpp for who has what).
[[nodiscard]] std::string default_users_json();

// A private temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// One running server: `--listen 127.0.0.1:0 --users <tmp>/users.json --outbox <tmp>/outbox.jsonl`
// plus `extra_args`. The constructor returns once the listening line has been read.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {},
                         const std::string& users_json = default_users_json());
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] const std::string& base_url() const { return base_url_; }
  [[nodiscard]] const std::string& listening_line() const { return listening_line_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const TempDir& dir() const { return dir_; }

  // Every outbox line so far, parsed.
  [[nodiscard]] std::vector<nlohmann::json> outbox() const;
  // The code sent for a record (fails the test when there is none).
  [[nodiscard]] std::string code_for(const std::string& record_id) const;
  // What the server wrote to stderr so far.
  [[nodiscard]] std::string stderr_text() const;

  // Sends `signal` and waits for the exit. Returns the exit code, or 128+signal when killed.
  int stop(int signal, std::chrono::seconds timeout = std::chrono::seconds(20));
  [[nodiscard]] bool running() const { return pid_ > 0; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string base_url_;
  std::string listening_line_;
};

// Runs the server binary to completion (for command lines that must fail fast).
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
[[nodiscard]] CommandResult run_server_command(const std::vector<std::string>& args,
                                               std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace reverify::http_test
