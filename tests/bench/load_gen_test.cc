// Guards bench/load_gen and bench/null_server against rot: a one-second load run against a null
// server on 127.0.0.1 must report a positive request count and one well-formed JSON line; against
// a real authd (seeded by bench/seed_tokens, with the route table load_gen prints) the decision
// rpcs (authorize, Envoy's check, batch) and --baseline-rpc report both runs with every answer
// verified, and a tokens file that lies is caught by --verify. Bad flag combinations exit 2. A
// behaviour test only: no timing is asserted.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "authz/token.h"
#include "bench/tokens_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_process.h"
#include "tests/support/child_process.h"

namespace authd::bench {
namespace {

using e2e::AuthdProcess;
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

// A fresh authd on 127.0.0.1 serving Check with load_gen's route table, seeded by
// bench/seed_tokens: 20 tokens (allowed: read the bucket; denied: write it) and 20 unknown ones.
class LoadGenAuthdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("load-gen-authd");
    auto routes = RunCommand({RunfilePath("bench/load_gen"), "--print-ext-authz-routes"},
                             absl::Seconds(30));
    ASSERT_TRUE(routes.ok()) << routes.status();
    ASSERT_EQ(routes->exit_code, 0) << routes->output;
    {
      std::ofstream out(dir_ + "/routes.yaml");
      out << routes->output;
    }
    authd_ = std::make_unique<AuthdProcess>(
        dir_ + "/data", std::vector<std::string>{"--ext-authz-routes=" + dir_ + "/routes.yaml"});
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    tokens_ = dir_ + "/tokens.tsv";
    auto seeded = RunCommand({RunfilePath("bench/seed_tokens"),
                              absl::StrCat("--target=", authd_->address()), "--count=20",
                              "--unknown=20", "--threads=2", absl::StrCat("--out=", tokens_)},
                             absl::Seconds(60));
    ASSERT_TRUE(seeded.ok()) << seeded.status();
    ASSERT_EQ(seeded->exit_code, 0) << seeded->output;
  }

  // load_gen against this authd with `args`, two short alternating rounds, parsed JSON report.
  Struct Run(std::vector<std::string> args, const std::string& tokens) {
    std::vector<std::string> argv = {RunfilePath("bench/load_gen"),
                                     absl::StrCat("--target=", authd_->address()),
                                     "--concurrency=2", "--duration=300ms", "--warmup=0s",
                                     absl::StrCat("--tokens-file=", tokens), "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = RunCommand(argv, absl::Seconds(60));
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return Struct();
    EXPECT_EQ(result->exit_code, 0) << result->output;
    return JsonLine(result->output);
  }

  std::string dir_;
  std::string tokens_;
  std::unique_ptr<AuthdProcess> authd_;
};

TEST_F(LoadGenAuthdTest, CheckAgainstAuthorizeOnOneServerVerifiesEveryAnswer) {
  Struct report = Run({"--rpc=check", "--baseline-rpc=authorize", "--rounds=2", "--mix=60:20:20"},
                      tokens_);
  EXPECT_EQ(report.fields().at("rpc").string_value(), "check");
  EXPECT_EQ(report.fields().at("baseline_rpc").string_value(), "authorize");
  ASSERT_EQ(report.fields().at("runs").list_value().values_size(), 2);
  const Struct& authorize = RunAt(report, 0);
  const Struct& check = RunAt(report, 1);
  EXPECT_EQ(authorize.fields().at("name").string_value(), "authorize");
  EXPECT_EQ(authorize.fields().at("rpc").string_value(), "authorize");
  EXPECT_EQ(authorize.fields().at("target").string_value(), authd_->address());
  EXPECT_EQ(check.fields().at("name").string_value(), "check");
  EXPECT_EQ(check.fields().at("rpc").string_value(), "check");
  EXPECT_EQ(check.fields().at("target").string_value(), authd_->address());
  for (const Struct* run : {&authorize, &check}) {
    EXPECT_GT(Number(*run, "requests"), 0);
    EXPECT_EQ(Number(*run, "errors"), 0);
    EXPECT_EQ(Number(*run, "unexpected"), 0);
    EXPECT_EQ(Number(*run, "checks_per_call"), 1);
    EXPECT_EQ(run->fields().at("round_qps").list_value().values_size(), 2);
  }
  ASSERT_TRUE(report.fields().contains("ratios"));
  const Struct& ratios = report.fields().at("ratios").struct_value();
  EXPECT_GT(Number(ratios, "qps"), 0);
  EXPECT_EQ(Number(ratios, "qps"), Number(ratios, "checks"));

  // Only the authorization header (Envoy's allowed_headers): the same answers.
  Struct one = Run({"--rpc=check", "--check-headers=authorization", "--mix=60:20:20"}, tokens_);
  EXPECT_EQ(one.fields().at("check_headers").string_value(), "authorization");
  ASSERT_EQ(one.fields().at("runs").list_value().values_size(), 1);
  EXPECT_GT(Number(RunAt(one, 0), "requests"), 0);
  EXPECT_EQ(Number(RunAt(one, 0), "errors"), 0);
  EXPECT_EQ(Number(RunAt(one, 0), "unexpected"), 0);
}

TEST_F(LoadGenAuthdTest, BatchReportsCallsAndChecksWithEveryResultVerified) {
  Struct report = Run({"--rpc=batch", "--batch-size=7", "--baseline-rpc=authorize", "--rounds=2"},
                      tokens_);
  EXPECT_EQ(Number(report, "batch_size"), 7);
  ASSERT_EQ(report.fields().at("runs").list_value().values_size(), 2);
  const Struct& authorize = RunAt(report, 0);
  const Struct& batch = RunAt(report, 1);
  EXPECT_EQ(batch.fields().at("name").string_value(), "batch");
  EXPECT_EQ(Number(batch, "checks_per_call"), 7);
  EXPECT_EQ(Number(authorize, "checks_per_call"), 1);
  for (const Struct* run : {&authorize, &batch}) {
    EXPECT_GT(Number(*run, "requests"), 0);
    EXPECT_EQ(Number(*run, "errors"), 0);
    EXPECT_EQ(Number(*run, "unexpected"), 0);
  }
  // Printed with one decimal each.
  EXPECT_NEAR(Number(batch, "checks_per_s"), 7 * Number(batch, "qps"), 1.0);
  const Struct& ratios = report.fields().at("ratios").struct_value();
  EXPECT_NEAR(Number(ratios, "checks"), 7 * Number(ratios, "qps"), 0.01);
}

TEST_F(LoadGenAuthdTest, VerifyCountsEveryAnswerThatContradictsTheTokensFile) {
  // Unknown tokens listed as allowed: authd denies every one of them (Authorize: allowed=false;
  // Check: 401, not ok_response; batch: each result).
  auto file = ReadTokensFile(tokens_);
  ASSERT_TRUE(file.ok()) << file.status();
  TokensFile lying = *file;
  lying.requests[0] = file->requests[2];
  for (BenchRequest& r : lying.requests[0]) r.kind = RequestKind::kAllowed;
  const std::string path = dir_ + "/lying.tsv";
  ASSERT_TRUE(WriteTokensFile(path, lying).ok());
  for (const char* rpc : {"authorize", "check", "batch"}) {
    SCOPED_TRACE(rpc);
    std::vector<std::string> args = {absl::StrCat("--rpc=", rpc), "--mix=100:0:0"};
    if (std::string(rpc) == "batch") args.push_back("--batch-size=3");
    Struct report = Run(args, path);
    ASSERT_EQ(report.fields().at("runs").list_value().values_size(), 1);
    const Struct& run = RunAt(report, 0);
    EXPECT_GT(Number(run, "requests"), 0);
    EXPECT_EQ(Number(run, "errors"), 0);
    EXPECT_EQ(Number(run, "unexpected"), Number(run, "requests") * Number(run, "checks_per_call"));
  }
}

TEST(LoadGenTest, RefusesBadDecisionRpcFlags) {
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--rpc=bogus"}, "--rpc must be authorize, check, batch or create"},
      {{"--rpc=check", "--baseline-rpc=check"}, "compares the target with itself"},
      {{"--rpc=create", "--baseline-rpc=authorize"}, "--baseline-rpc compares decision rpcs"},
      {{"--rpc=check", "--baseline-rpc=create"}, "--baseline-rpc compares decision rpcs"},
      {{"--rpc=authorize", "--batch-size=10"}, "--batch-size needs --rpc=batch"},
      {{"--rpc=batch", "--batch-size=1001"}, "--batch-size: 1..1000"},
      {{"--rpc=authorize", "--baseline-rpc=batch", "--batch-size=-1"}, "--batch-size: 1..1000"},
      {{"--rpc=check", "--check-headers=some"}, "--check-headers must be all or authorization"},
      {{"--rpc=authorize", "--check-headers=authorization"}, "--check-headers needs --rpc=check"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {RunfilePath("bench/load_gen"), "--target=127.0.0.1:1"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    auto result = RunCommand(argv, absl::Seconds(30));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 2) << absl::StrJoin(c.flags, " ") << "\n" << result->output;
    EXPECT_NE(result->output.find(c.message), std::string::npos)
        << absl::StrJoin(c.flags, " ") << "\n" << result->output;
  }
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
