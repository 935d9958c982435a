#include "tests/cli/authctl_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/e2e/authd_process.h"
#include "tests/support/child_process.h"

namespace authd::cli_test {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

AuthctlResult RunAuthctl(const std::vector<std::string>& args, const std::vector<std::string>& env,
                         const std::string& stdin_text, absl::Duration timeout) {
  const std::string dir = e2e::MakeTempDir("authctl_run");
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";
  std::vector<std::string> argv = {e2e::RunfilePath("cli/authctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envv = {"PATH=/usr/bin:/bin"};
  envv.insert(envv.end(), env.begin(), env.end());

  int in_pipe[2];
  AuthctlResult result;
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return result;
  test_support::ChildSpec child;
  child.argv = argv;
  child.env = envv;
  child.stdout_path = out_path;
  child.stderr_path = err_path;
  child.truncate = true;
  child.stdin_fd = in_pipe[0];
  absl::StatusOr<pid_t> spawned = test_support::SpawnChild(child);
  close(in_pipe[0]);
  if (!spawned.ok()) {
    close(in_pipe[1]);
    result.err = spawned.status().ToString();
    return result;
  }
  const pid_t pid = *spawned;
  // Small inputs fit in the pipe buffer; closing gives authctl end-of-input after them.
  size_t written = 0;
  while (written < stdin_text.size()) {
    ssize_t n = write(in_pipe[1], stdin_text.data() + written, stdin_text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(in_pipe[1]);

  absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.err = "authctl did not finish in time\n" + ReadFile(err_path);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace authd::cli_test
