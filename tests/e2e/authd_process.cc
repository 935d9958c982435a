#include "tests/e2e/authd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/child_process.h"

namespace authd::e2e {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// fork+exec with stdout/stderr appended to `log_path`; -1 when it cannot start.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
            const std::string& log_path) {
  test_support::ChildSpec child;
  child.argv = argv;
  child.extra_env = extra_env;
  child.stdout_path = log_path;
  absl::StatusOr<pid_t> pid = test_support::SpawnChild(child);
  return pid.ok() ? *pid : -1;
}

}  // namespace

std::string RunfilePath(const std::string& workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string base = srcdir != nullptr ? srcdir : ".";
  return absl::StrCat(base, "/authd/", workspace_relative);
}

std::string MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", prefix, "XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  char* made = mkdtemp(buf.data());
  return made != nullptr ? std::string(made) : std::string();
}

std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (ReadFile(entry.path().string()).find(needle) != std::string::npos) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

absl::StatusOr<ProcessResult> RunAuthdOffline(const std::string& data_dir,
                                              std::vector<std::string> args) {
  std::vector<std::string> argv = {RunfilePath("services/authd")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--data-dir=" + data_dir);
  return RunCommand(argv, absl::Seconds(60));
}

bool PollUntil(const std::function<bool()>& done, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  for (;;) {
    if (done()) return true;
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::Status SetClockOffset(const AuthdProcess& authd, const std::string& offset_file,
                            int64_t seconds) {
  {
    std::ofstream out(offset_file + ".tmp");
    out << seconds << "\n";
    if (!out.good()) return absl::InternalError(absl::StrCat("cannot write ", offset_file, ".tmp"));
  }
  if (std::rename((offset_file + ".tmp").c_str(), offset_file.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename onto ", offset_file));
  }
  if (!authd.running()) return absl::OkStatus();
  const std::string line = absl::StrCat("test clock: offset ", seconds, "s");
  if (!PollUntil([&] { return authd.Log().find(line) != std::string::npos; }, absl::Seconds(10))) {
    return absl::DeadlineExceededError(absl::StrCat("authd did not log \"", line, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProcessResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& extra_env) {
  std::string log = MakeTempDir("cmd") + "/out";
  pid_t pid = Spawn(argv, extra_env, log);
  if (pid < 0) return absl::InternalError("fork failed");
  absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not finish in time"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ProcessResult result;
  result.output = ReadFile(log);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

AuthdProcess::AuthdProcess(std::string data_dir, std::vector<std::string> extra_args,
                           std::vector<std::string> extra_env)
    : data_dir_(std::move(data_dir)),
      extra_args_(std::move(extra_args)),
      extra_env_(std::move(extra_env)) {
  log_path_ = MakeTempDir("authdlog") + "/authd.log";
}

AuthdProcess::~AuthdProcess() {
  if (pid_ > 0) Kill9();
}

std::string AuthdProcess::Log() const { return ReadFile(log_path_); }

absl::Status AuthdProcess::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("already running");
  size_t log_offset = ReadFile(log_path_).size();
  std::vector<std::string> argv = {RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                                   absl::StrCat("--data-dir=", data_dir_)};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  pid_ = Spawn(argv, extra_env_, log_path_);
  if (pid_ < 0) return absl::InternalError("fork failed");

  // Wait, bounded, for the "listening on" line of this run.
  const std::regex listening("listening on (127\\.0\\.0\\.1:[0-9]+)");
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  address_.clear();
  while (address_.empty()) {
    std::string log = ReadFile(log_path_).substr(log_offset);
    std::smatch m;
    if (std::regex_search(log, m, listening)) {
      address_ = m[1];
      break;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat("authd exited during start-up:\n", log));
    }
    if (absl::Now() > deadline) {
      Kill9();
      return absl::DeadlineExceededError(absl::StrCat("authd did not start:\n", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    const std::regex http("HTTP API \\(InfluxDB /api/v2\\) at https?://127\\.0\\.0\\.1:([0-9]+)/");
    const std::string log = ReadFile(log_path_).substr(log_offset);
    std::smatch m;
    http_port_ = std::regex_search(log, m, http) ? std::stoi(m[1]) : 0;
  }
  channel_ = grpc::CreateChannel(address_, creds_ ? creds_ : grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (;;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service("authd.v1.AuthorizeService");
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    if (s.ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) break;
    if (absl::Now() > deadline) return absl::DeadlineExceededError("authd never became SERVING");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> AuthdProcess::Stop() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  channel_.reset();
  kill(pid_, SIGTERM);
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  int status = 0;
  for (;;) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (absl::Now() > deadline) {
      Kill9();
      return absl::DeadlineExceededError("authd did not exit after SIGTERM");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  channel_.reset();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return absl::InternalError(absl::StrCat("authd died of signal ", WTERMSIG(status)));
}

void AuthdProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  channel_.reset();
}

}  // namespace authd::e2e
