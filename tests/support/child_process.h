// Starting a child process from a multi-threaded test, safely.
//
// A test that starts replicas from several threads at once (std::async) forks while other threads
// hold malloc's or the environment's lock. Anything the child does between fork and exec that
// allocates (building an argv vector, putenv, setenv) can then wait forever on a lock no thread
// of the child will ever release: the child never reaches exec and writes nothing. `SpawnChild`
// builds every array before fork and, in the child, makes only async-signal-safe calls
// (open, dup2, close, prctl, execve, _exit).
//
// Owner: the test packages (tests/e2e, tests/cli, tests/deploy, tests/bench, tests/support).
#ifndef AUTHD_TESTS_SUPPORT_CHILD_PROCESS_H_
#define AUTHD_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace authd::test_support {

// What to start and where its output goes.
struct ChildSpec {
  // argv[0] is the executable's path (no PATH search).
  std::vector<std::string> argv;
  // The child's whole environment when set; otherwise the parent's environment plus `extra_env`
  // ("NAME=value"; a name given here replaces the parent's value).
  std::optional<std::vector<std::string>> env;
  std::vector<std::string> extra_env;
  // stdout goes to this file (created 0600). Default: appended to, not truncated.
  std::string stdout_path;
  // stderr goes here; empty: the same file as stdout.
  std::string stderr_path;
  bool truncate = false;
  // The child's stdin: this descriptor when >= 0 (the parent keeps its copy), else /dev/null.
  int stdin_fd = -1;
  // Descriptors the child closes before exec (the parent's ends of pipes).
  std::vector<int> close_in_child;
  // Killed (SIGKILL) when the *thread* that started it exits (PR_SET_PDEATHSIG follows the
  // forking thread, not the process), so a crashed test leaves no servers. Only from a thread that
  // outlives the child (the test's main thread), never from a std::async or worker thread.
  bool die_with_parent = false;
};

// Starts the child and returns its pid. Fails (with errno's text) only when a file cannot be
// opened or fork fails; an exec failure shows as the child's exit code 127.
absl::StatusOr<pid_t> SpawnChild(const ChildSpec& spec);

}  // namespace authd::test_support

#endif  // AUTHD_TESTS_SUPPORT_CHILD_PROCESS_H_
