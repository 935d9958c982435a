// AuthdProcess: runs the real `authd` binary for end-to-end tests, the way an operator would: on a
// data dir, on 127.0.0.1 port 0, reading the bound address from its log. Supports graceful stop
// (SIGTERM), kill -9 and restart on the same data dir. testonly; not thread-safe.
#ifndef AUTHD_TESTS_E2E_AUTHD_PROCESS_H_
#define AUTHD_TESTS_E2E_AUTHD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <functional>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace authd::e2e {

// Path of a binary in the test's runfiles, e.g. RunfilePath("services/authd").
std::string RunfilePath(const std::string& workspace_relative);

// A fresh directory under $TEST_TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& prefix);

// Every file under `dir`, recursively, whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle);

struct ProcessResult {
  int exit_code = -1;     // -1 when killed by a signal
  int signal = 0;
  std::string output;     // stdout + stderr
};

// Runs a command to completion (bounded by `timeout`), capturing its output.
absl::StatusOr<ProcessResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& extra_env = {});

// Runs one of the authd binary's offline commands (`verify`, `downgrade --to-schema 2`,
// `recovery ...`) on a stopped server's `data_dir`, bounded by 60 s.
absl::StatusOr<ProcessResult> RunAuthdOffline(const std::string& data_dir,
                                              std::vector<std::string> args);

// Polls `done` every 20 ms until it holds or `limit` passes; returns whether it held (what a
// test waits for must be bounded, never a fixed sleep).
bool PollUntil(const std::function<bool()>& done, absl::Duration limit);

class AuthdProcess;

// Moves the test clock of an authd started with --clock-offset-file=`offset_file` (and
// AUTHD_TESTING=1) to `seconds` ahead of the wall clock: writes the file atomically, then waits
// (at most 10 s) for authd to log the new offset. Errors: kInternal (the file), kDeadlineExceeded.
absl::Status SetClockOffset(const AuthdProcess& authd, const std::string& offset_file,
                            int64_t seconds);

class AuthdProcess {
 public:
  // `data_dir` is kept across restarts; `extra_args` are appended to every start.
  explicit AuthdProcess(std::string data_dir, std::vector<std::string> extra_args = {},
                        std::vector<std::string> extra_env = {});
  ~AuthdProcess();

  // Starts authd and waits (bounded) until it logs its address and health reports SERVING.
  absl::Status Start();
  // SIGTERM and wait for exit; returns the exit code.
  absl::StatusOr<int> Stop();
  // SIGKILL and reap.
  void Kill9();
  absl::Status Restart() {
    auto code = Stop();
    if (!code.ok()) return code.status();
    return Start();
  }

  // Credentials of the channel Start() opens (default: plaintext), e.g. TLS with a test CA.
  void set_channel_credentials(std::shared_ptr<grpc::ChannelCredentials> creds) {
    creds_ = std::move(creds);
  }

  // Arguments and environment (`NAME=value`) for the next Start.
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }
  void set_extra_env(std::vector<std::string> env) { extra_env_ = std::move(env); }

  bool running() const { return pid_ > 0; }
  // The running authd's process ID; -1 when it is not running.
  pid_t pid() const { return pid_; }
  const std::string& address() const { return address_; }
  // The HTTP API's port when started with --http-listen=127.0.0.1:0 (from its log line), else 0.
  int http_port() const { return http_port_; }
  const std::string& data_dir() const { return data_dir_; }
  // Everything the process has logged so far (all runs).
  std::string Log() const;
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> extra_env_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string address_;
  int http_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;
};

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_AUTHD_PROCESS_H_
