// Guards bench/load_gen and bench/null_server against rot: a one-second load run against a null
// server on 127.0.0.1 must report a positive request count and one well-formed JSON line. A
// behaviour test only: no timing is asserted.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "authz/token.h"
#include "bench/tokens_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_process.h"
#include "tests/support/child_process.h"

namespace authd::bench {
namespace {

using e2e::MakeTempDir;
using e2e::RunCommand;
using e2e::RunfilePath;
using google::protobuf::Struct;
using google::protobuf::Value;

// The null server as a child process on 127.0.0.1 port 0; killed at the end of the test.
class NullServerProcess {
 public:
  ~NullServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
  }

  std::string Start() {
    const std::string log = MakeTempDir("null") + "/out";
    test_support::ChildSpec child;
    child.argv = {RunfilePath("bench/null_server"), "--listen=127.0.0.1:0"};
    child.stdout_path = log;
    child.truncate = true;
    absl::StatusOr<pid_t> pid = test_support::SpawnChild(child);
    if (!pid.ok()) return "";
    pid_ = *pid;
    const std::string marker = "listening on ";
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      std::ifstream in(log);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string out = ss.str();
      size_t at = out.find(marker);
      size_t eol = at == std::string::npos ? at : out.find('\n', at);
      if (eol != std::string::npos) return out.substr(at + marker.size(), eol - at - marker.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

 private:
  pid_t pid_ = -1;
};

// The single line of `output` that starts with '{', parsed; fails the test if there is not
// exactly one or it is not JSON.
Struct JsonLine(const std::string& output) {
  std::vector<std::string> json_lines;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!line.empty() && line[0] == '{') json_lines.emplace_back(line);
  }
  Struct parsed;
  EXPECT_EQ(json_lines.size(), 1u) << output;
  if (json_lines.size() != 1) return parsed;
  auto status = google::protobuf::util::JsonStringToMessage(json_lines[0], &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json_lines[0];
  return parsed;
}

const Struct& RunAt(const Struct& report, int i) {
  return report.fields().at("runs").list_value().values(i).struct_value();
}

double Number(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing " << key;
  return it == s.fields().end() ? -1 : it->second.number_value();
}

TEST(LoadGenTest, ClosedLoopAgainstNullServerReportsRequestsAsTextAndJson) {
  NullServerProcess null;
  const std::string address = null.Start();
  ASSERT_FALSE(address.empty());
  auto result = RunCommand({RunfilePath("bench/load_gen"), absl::StrCat("--target=", address),
                            "--target-name=null", "--concurrency=4", "--duration=1s",
                            "--warmup=200ms", "--mix=0:0:100", "--json"},
                           absl::Seconds(60));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->output;
  EXPECT_NE(result->output.find("latency us: p50="), std::string::npos) << result->output;

  Struct report = JsonLine(result->output);
  EXPECT_EQ(report.fields().at("tool").string_value(), "load_gen");
  EXPECT_EQ(Number(report, "concurrency"), 4);
  ASSERT_EQ(report.fields().at("runs").list_value().values_size(), 1);
  const Struct& run = RunAt(report, 0);
  EXPECT_EQ(run.fields().at("name").string_value(), "null");
  EXPECT_GT(Number(run, "requests"), 0);
  EXPECT_EQ(Number(run, "errors"), 0);
  EXPECT_GT(Number(run, "qps"), 0);
  EXPECT_LE(Number(run, "p50_us"), Number(run, "p99_us"));
  EXPECT_LE(Number(run, "p99_us"), Number(run, "p999_us"));
  EXPECT_LE(Number(run, "p999_us"), Number(run, "max_us"));
}

TEST(LoadGenTest, PacedRunWithBaselineAndTokensFileReportsBothRunsAndRatios) {
  NullServerProcess null;
  const std::string address = null.Start();
  ASSERT_FALSE(address.empty());
  TokensFile tokens;
  for (int k = 0; k < kRequestKinds; ++k) {
    tokens.requests[k].push_back(BenchRequest{static_cast<RequestKind>(k), authz::GenerateToken(),
                                              "read", "buckets", "0000000000001000", ""});
  }
  const std::string path = MakeTempDir("tokens") + "/tokens.tsv";
  ASSERT_TRUE(WriteTokensFile(path, tokens).ok());

  // The same null server plays both parts: only the shape of the report is checked.
  auto result = RunCommand(
      {RunfilePath("bench/load_gen"), absl::StrCat("--target=", address),
       absl::StrCat("--baseline=", address), "--concurrency=2", "--duration=1s", "--warmup=0s",
       "--rate=500", "--mix=50:25:25", absl::StrCat("--tokens-file=", path), "--verify=false",
       "--json"},
      absl::Seconds(60));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->output;
  EXPECT_NE(result->output.find("ratios authd/null: qps="), std::string::npos) << result->output;

  Struct report = JsonLine(result->output);
  EXPECT_EQ(Number(report, "rate"), 500);
  ASSERT_EQ(report.fields().at("runs").list_value().values_size(), 2);
  EXPECT_EQ(RunAt(report, 0).fields().at("name").string_value(), "null");
  EXPECT_EQ(RunAt(report, 1).fields().at("name").string_value(), "authd");
  EXPECT_GT(Number(RunAt(report, 0), "requests"), 0);
  EXPECT_GT(Number(RunAt(report, 1), "requests"), 0);
  ASSERT_TRUE(report.fields().contains("ratios"));
  EXPECT_GT(Number(report.fields().at("ratios").struct_value(), "qps"), 0);
}

TEST(LoadGenTest, RefusesANonLoopbackTarget) {
  auto result = RunCommand({RunfilePath("bench/load_gen"), "--target=10.1.2.3:443"},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_NE(result->output.find("only loopback targets"), std::string::npos) << result->output;
}

}  // namespace
}  // namespace authd::bench
