// Guards bench/writer_stall_bench against rot: a small run (2k tokens deleted, 5k verified, 1 s of
// baseline) must exit 0 and report every phase, in the table and as one well-formed JSON line
// each, with what each op did (the org gone, Verify clean) and figures that are consistent with
// each other. A behaviour test only: no timing is asserted.
#include <fstream>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_process.h"

namespace authd::bench {
namespace {

using e2e::MakeTempDir;
using e2e::RunCommand;
using e2e::RunfilePath;
using google::protobuf::Struct;

constexpr int kDeleteTokens = 2000;
constexpr int kVerifyTokens = 5000;

// The lines of `output` that start with '{', parsed; fails the test for one that is not JSON.
std::vector<Struct> JsonLines(const std::string& output) {
  std::vector<Struct> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (line.empty() || line[0] != '{') continue;
    Struct parsed;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &parsed);
    EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << line;
    out.push_back(parsed);
  }
  return out;
}

double Number(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing " << key;
  return it == s.fields().end() ? -1 : it->second.number_value();
}

std::string String(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing " << key;
  return it == s.fields().end() ? "" : it->second.string_value();
}

bool Bool(const Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "missing " << key;
  return it != s.fields().end() && it->second.bool_value();
}

// Whether some line of `output` starts with `prefix`.
bool HasLineStartingWith(const std::string& output, const std::string& prefix) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, prefix)) return true;
  }
  return false;
}

TEST(WriterStallBenchTest, SmallRunReportsEveryPhaseAsTableAndJson) {
  const std::string data_dir = MakeTempDir("stall") + "/data";
  auto result = RunCommand({RunfilePath("bench/writer_stall_bench"),
                            absl::StrCat("--data-dir=", data_dir),
                            absl::StrCat("--delete-tokens=", kDeleteTokens),
                            absl::StrCat("--verify-tokens=", kVerifyTokens), "--seconds=1",
                            "--lead=100ms", "--max-seconds=60"},
                           absl::Seconds(50));
  ASSERT_TRUE(result.ok()) << result.status();
  const std::string& out = result->output;
  ASSERT_EQ(result->exit_code, 0) << out;

  EXPECT_TRUE(HasLineStartingWith(out, absl::StrCat("seed: ", kDeleteTokens + kVerifyTokens,
                                                    " tokens")))
      << out;
  EXPECT_TRUE(HasLineStartingWith(out, "reopen: sync_writes=true")) << out;
  EXPECT_TRUE(HasLineStartingWith(out, "phase     op")) << out;
  for (const char* row : {"baseline  -", "delete    DeleteOrg", "verify    Verify", "baseline2 -"}) {
    EXPECT_TRUE(HasLineStartingWith(out, row)) << "no table row " << row << "\n" << out;
  }
  EXPECT_TRUE(HasLineStartingWith(
      out, absl::StrCat("delete: DeleteOrg of ", kDeleteTokens, " tokens")))
      << out;
  EXPECT_TRUE(HasLineStartingWith(out, "verify: Verify read ")) << out;

  const std::vector<Struct> phases = JsonLines(out);
  ASSERT_EQ(phases.size(), 4u) << out;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"baseline", "-"}, {"delete", "DeleteOrg"}, {"verify", "Verify"}, {"baseline2", "-"}};
  for (size_t i = 0; i < phases.size(); ++i) {
    const Struct& p = phases[i];
    SCOPED_TRACE(expected[i].first);
    EXPECT_EQ(String(p, "tool"), "writer_stall_bench");
    EXPECT_EQ(String(p, "phase"), expected[i].first);
    EXPECT_EQ(String(p, "op"), expected[i].second);
    EXPECT_TRUE(Bool(p, "op_ok"));
    EXPECT_TRUE(Bool(p, "sync_writes"));
    EXPECT_EQ(Number(p, "probe_errors"), 0);
    EXPECT_FALSE(Bool(p, "probe_hit_bound"));
    // The probe runs before the op starts and until after it ends: some write always overlaps.
    EXPECT_GE(Number(p, "probe_overlapping"), 1);
    EXPECT_GE(Number(p, "probe_overlapping"), Number(p, "probe_writes"));
    EXPECT_LE(Number(p, "p50_us"), Number(p, "p99_us"));
    EXPECT_LE(Number(p, "p99_us"), Number(p, "max_us"));
    EXPECT_GT(Number(p, "max_us"), 0);
    // One probe thread: a write starts after the previous one finished, so the gap before each
    // completion covers that write's latency.
    EXPECT_GE(Number(p, "longest_stall_us"), Number(p, "max_us"));
    EXPECT_GT(Number(p, "peak_rss_kb"), 0);
    ASSERT_TRUE(p.fields().contains("tenths_max_us"));
    EXPECT_EQ(p.fields().at("tenths_max_us").list_value().values_size(), 10);
  }
  const Struct& baseline = phases[0];
  EXPECT_GE(Number(baseline, "probe_writes"), 1);
  EXPECT_EQ(Number(baseline, "p99_ratio"), 1);
  EXPECT_GT(Number(baseline, "window_s"), 0);

  const Struct& del = phases[1];
  EXPECT_EQ(Number(del, "op_tokens"), kDeleteTokens);
  EXPECT_TRUE(Bool(del, "org_deleted"));
  EXPECT_GT(Number(del, "op_s"), 0);

  const Struct& verify = phases[2];
  EXPECT_EQ(Number(verify, "op_tokens"), kVerifyTokens);
  EXPECT_EQ(Number(verify, "problems"), 0);
  // Every seeded create and every deletion is an event Verify replayed.
  EXPECT_GE(Number(verify, "events"), 2 * kDeleteTokens + kVerifyTokens);
  EXPECT_GT(Number(verify, "projection_keys"), kVerifyTokens);
}

TEST(WriterStallBenchTest, HelpListsTheFlags) {
  auto result = RunCommand({RunfilePath("bench/writer_stall_bench"), "--help"}, absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
  for (const char* flag : {"--data-dir", "--delete-tokens", "--verify-tokens", "--seconds",
                           "--max-seconds", "--max-probe-writes"}) {
    EXPECT_NE(result->output.find(flag), std::string::npos) << flag << "\n" << result->output;
  }
}

TEST(WriterStallBenchTest, RefusesADataDirInUse) {
  const std::string data_dir = MakeTempDir("stall-used");
  std::ofstream(data_dir + "/something") << "x";
  auto result = RunCommand({RunfilePath("bench/writer_stall_bench"),
                            absl::StrCat("--data-dir=", data_dir), "--delete-tokens=10",
                            "--verify-tokens=10", "--seconds=1"},
                           absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 2) << result->output;
  EXPECT_NE(result->output.find("is not empty"), std::string::npos) << result->output;
}

}  // namespace
}  // namespace authd::bench
