#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

namespace reverify::http_test {
namespace {

// alice: password, username, email and phone. bob: username, email, phone, no password.
// carol: nothing but a token. dave: an email only (no username).
const char* const users_json = R"({"users":[
  {"id":"u-alice","accessToken":"tok-alice","username":"alice","password":"alice-password-1",
   "primaryEmail":"alice@example.com","primaryPhone":"15550001111"},
  {"id":"u-bob","accessToken":"tok-bob","username":"bob","primaryEmail":"bob@example.com",
   "primaryPhone":"15550002222"},
  {"id":"u-carol","accessToken":"tok-carol"},
  {"id":"u-dave","accessToken":"tok-dave","primaryEmail":"dave@example.com"}
]})";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits for `pid` up to `timeout`; returns the exit code (128+signal if killed), or -1 on timeout.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

std::string default_users_json() { return users_json; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "reverify-http-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string file = path_ + "/" + name;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
  }
  // Private to the test, as a pepper file must be (the server refuses one others can read).
  ::chmod(file.c_str(), S_IRUSR | S_IWUSR);
  return file;
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args, const std::string& users) {
  const std::string users_file = dir_.write("users.json", users);
  const std::string outbox_file = dir_.path() + "/outbox.jsonl";
  const std::string stderr_file = dir_.path() + "/stderr.log";
  std::vector<std::string> args = {REVERIFY_SERVER_PATH, "--listen", "127.0.0.1:0", "--users",
                                   users_file,           "--outbox", outbox_file};
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  int out_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  const int err_fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(err_fd >= 0);
  auto argv = argv_of(args);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_fd);
  stdout_fd_ = out_pipe[0];

  // Startup hashes the users' passwords (Argon2id), so allow a generous while.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (::poll(&fd, 1, 100) <= 0) continue;
    char buffer[256];
    const ssize_t got = ::read(stdout_fd_, buffer, sizeof buffer);
    if (got <= 0) break;
    line.append(buffer, static_cast<std::size_t>(got));
  }
  INFO("server stderr: " << stderr_text());
  REQUIRE(line.find('\n') != std::string::npos);
  listening_line_ = line.substr(0, line.find('\n'));
  const std::string prefix = "reverify-server listening on ";
  REQUIRE(listening_line_.rfind(prefix + "http://127.0.0.1:", 0) == 0);
  base_url_ = listening_line_.substr(prefix.size());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(10));
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

int ServerProcess::stop(int signal, std::chrono::seconds timeout) {
  REQUIRE(pid_ > 0);
  ::kill(pid_, signal);
  const int code = wait_for(pid_, timeout);
  if (code == -1) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(10));
  }
  pid_ = -1;
  return code;
}

std::vector<nlohmann::json> ServerProcess::outbox() const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(read_file(dir_.path() + "/outbox.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    lines.push_back(std::move(parsed));
  }
  return lines;
}

std::string ServerProcess::code_for(const std::string& record_id) const {
  for (const auto& line : outbox()) {
    if (line.value("verificationRecordId", "") == record_id) return line.at("code").get<std::string>();
  }
  FAIL("no outbox line for record " << record_id);
  return {};
}

std::string ServerProcess::stderr_text() const { return read_file(dir_.path() + "/stderr.log"); }

CommandResult run_server_command(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  TempDir dir;
  const std::string out_file = dir.path() + "/out";
  const std::string err_file = dir.path() + "/err";
  std::vector<std::string> all = {REVERIFY_SERVER_PATH};
  all.insert(all.end(), args.begin(), args.end());
  auto argv = argv_of(all);
  const int out_fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(out_fd >= 0);
  REQUIRE(err_fd >= 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  CommandResult result;
  result.exit_code = wait_for(pid, timeout);
  if (result.exit_code == -1) {
    ::kill(pid, SIGKILL);
    wait_for(pid, std::chrono::seconds(10));
  }
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  return result;
}

}  // namespace reverify::http_test
