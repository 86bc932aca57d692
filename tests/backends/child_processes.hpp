#pragma once
// Runs a function in N forked children that start together, and collects one fixed-size result
// from each through a pipe. Children never run destructors of the parent's objects (_exit), so
// they cannot close connections the parent still uses.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

namespace reverify::test {

/// What happened to the children: their results (in fork order) and how many exited badly.
template <class T>
struct ChildResults {
  std::vector<T> results;
  int failed_children = 0;
};

/// How a child is made: fork() by default; a test may pass another (e.g. a raw clone()) that, like
/// fork(), returns 0 in the child and the child's pid in the parent.
using Spawn = std::function<pid_t()>;

template <class T>
ChildResults<T> run_children(
    int count, const std::function<T(int)>& work, const Spawn& spawn = [] { return fork(); }) {
  static_assert(std::is_trivially_copyable_v<T>, "results cross a pipe");
  ChildResults<T> out;
  int go[2];
  if (pipe(go) != 0) {
    out.failed_children = count;
    return out;
  }
  std::vector<std::pair<pid_t, int>> children;
  for (int i = 0; i < count; ++i) {
    int result_pipe[2];
    if (pipe(result_pipe) != 0) break;
    const pid_t pid = spawn();
    if (pid == 0) {
      close(go[1]);
      close(result_pipe[0]);
      char byte = 0;
      (void)!read(go[0], &byte, 1);  // returns at EOF: the parent closed its end, everyone starts
      const T result = work(i);
      const bool written = write(result_pipe[1], &result, sizeof result) == static_cast<ssize_t>(sizeof result);
      _exit(written ? 0 : 3);
    }
    close(result_pipe[1]);
    if (pid < 0) {
      close(result_pipe[0]);
      break;
    }
    children.emplace_back(pid, result_pipe[0]);
  }
  close(go[0]);
  close(go[1]);
  for (const auto& [pid, fd] : children) {
    T result{};
    const bool complete = read(fd, &result, sizeof result) == static_cast<ssize_t>(sizeof result);
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (complete && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      out.results.push_back(result);
    } else {
      ++out.failed_children;
    }
  }
  out.failed_children += count - static_cast<int>(children.size());
  return out;
}

}  // namespace reverify::test
