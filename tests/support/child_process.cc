#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace authd::test_support {
namespace {

std::string NameOf(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// The child's environment as owned strings, built in the parent.
std::vector<std::string> EnvironmentFor(const ChildSpec& spec) {
  if (spec.env.has_value()) return *spec.env;
  absl::flat_hash_set<std::string> replaced;
  for (const std::string& kv : spec.extra_env) replaced.insert(NameOf(kv));
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    if (!replaced.contains(NameOf(kv))) out.push_back(std::move(kv));
  }
  out.insert(out.end(), spec.extra_env.begin(), spec.extra_env.end());
  return out;
}

absl::Status OpenError(const std::string& path) {
  return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<pid_t> SpawnChild(const ChildSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("SpawnChild: empty argv");
  // Everything below the fork is built here.
  std::vector<std::string> args = spec.argv;
  std::vector<std::string> env = EnvironmentFor(spec);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int mode = O_WRONLY | O_CREAT | O_CLOEXEC | (spec.truncate ? O_TRUNC : O_APPEND);
  const int out_fd = open(spec.stdout_path.c_str(), mode, 0600);
  if (out_fd < 0) return OpenError(spec.stdout_path);
  int err_fd = out_fd;
  if (!spec.stderr_path.empty()) {
    err_fd = open(spec.stderr_path.c_str(), mode, 0600);
    if (err_fd < 0) {
      absl::Status s = OpenError(spec.stderr_path);
      close(out_fd);
      return s;
    }
  }
  const int null_fd = spec.stdin_fd >= 0 ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int in_fd = spec.stdin_fd >= 0 ? spec.stdin_fd : null_fd;
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {
    if (spec.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(126);
    }
    for (int fd : spec.close_in_child) close(fd);
    if (in_fd >= 0) dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  const int fork_errno = errno;
  close(out_fd);
  if (err_fd != out_fd) close(err_fd);
  if (null_fd >= 0) close(null_fd);
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  return pid;
}

}  // namespace authd::test_support
