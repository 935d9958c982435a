// RunAuthctl: runs the real `authctl` binary the way a user's shell would, for end-to-end tests:
// with a controlled environment (only what the test passes, plus PATH), `stdin_text` fed on a pipe
// (so authctl takes its non-interactive prompt path), and stdout and stderr captured separately.
// testonly; thread-compatible.
#ifndef AUTHD_TESTS_CLI_AUTHCTL_RUNNER_H_
#define AUTHD_TESTS_CLI_AUTHCTL_RUNNER_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace authd::cli_test {

struct AuthctlResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `<runfiles>/cli/authctl args...` with environment `env` ("NAME=value" entries; PATH is
// added), bounded by `timeout` (then SIGKILL).
AuthctlResult RunAuthctl(const std::vector<std::string>& args, const std::vector<std::string>& env,
                         const std::string& stdin_text = "",
                         absl::Duration timeout = absl::Seconds(30));

// The lines of `text`, without the newlines (a trailing newline adds no empty line).
std::vector<std::string> Lines(const std::string& text);

}  // namespace authd::cli_test

#endif  // AUTHD_TESTS_CLI_AUTHCTL_RUNNER_H_
