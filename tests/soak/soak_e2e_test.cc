// Soak: about 62 s of mixed load from several client threads against the real authd binary
// (tests/soak/soak_worker.h has the mix). Checks that no request got an unexpected outcome, that
// authd's resident memory stays flat between the end of a 10 s warm-up and the end of the run
// (both sampled with the clients paused, so no request is in flight), that the data set stayed
// bounded, and that `authd verify` passes afterwards. Loops are bounded by time and by count.
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/soak/process_memory.h"
#include "tests/soak/soak_worker.h"

namespace authd::soak {
namespace {

using e2e::AuthdClient;
namespace v1 = ::authd::v1;

constexpr int kWorkers = 4;
constexpr absl::Duration kWarmUp = absl::Seconds(10);
constexpr absl::Duration kMeasured = absl::Seconds(52);
constexpr int64_t kMaxRoundsPerPhase = 5'000'000;  // a bound far above what the time allows
constexpr int kExtraTokens = 20;                   // so that listing takes several pages
constexpr double kMiB = 1024.0 * 1024.0;

// Runs every worker for `duration` on its own thread; returns the wall time taken.
absl::Duration RunPhase(std::vector<std::unique_ptr<SoakWorker>>& workers,
                        absl::Duration duration) {
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&w, deadline = start + duration] { w->Run(deadline, kMaxRoundsPerPhase); });
  }
  for (auto& t : threads) t.join();
  return absl::Now() - start;
}

// Number of tokens in the store, as the operator lists them.
int CountAuthorizations(AuthdClient& client, const std::string& operator_token) {
  v1::ListAuthorizationsRequest req;
  req.set_page_size(1000);
  v1::ListAuthorizationsResponse resp;
  grpc::Status s = client.auths->ListAuthorizations(AuthdClient::Ctx(operator_token).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.next_page_token().empty());
  return resp.authorizations_size();
}

TEST(SoakE2eTest, MixedLoadForAMinuteHasNoErrorsAndFlatMemory) {
  e2e::AuthdProcess authd(e2e::MakeTempDir("soak") + "/authd");
  ASSERT_TRUE(authd.Start().ok()) << authd.Log();
  auto client_owner = std::make_unique<AuthdClient>(authd.channel());
  AuthdClient& client = *client_owner;

  // The fixture: setup, a reader token, an inactive token, and a few more for paging.
  SoakFixture fixture;
  fixture.password = "correct horse battery";  // what AuthdClient::Setup sets
  v1::SetupResponse setup;
  ASSERT_TRUE(client.Setup("admin", "acme", "metrics", &setup).ok());
  fixture.operator_token = setup.authorization().token();
  fixture.user_id = setup.user().id();
  fixture.org_id = setup.org().id();
  fixture.bucket_id = setup.bucket().id();
  grpc::Status s;
  fixture.reader_token =
      client.CreateBucketReader(fixture.operator_token, fixture.org_id, fixture.bucket_id, &s).token();
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::Authorization inactive =
      client.CreateBucketReader(fixture.operator_token, fixture.org_id, fixture.bucket_id, &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  fixture.inactive_token = inactive.token();
  v1::UpdateAuthorizationRequest deactivate;
  deactivate.set_id(inactive.id());
  deactivate.set_status("inactive");
  v1::Authorization ignored;
  ASSERT_TRUE(client.auths
                  ->UpdateAuthorization(AuthdClient::Ctx(fixture.operator_token).get(), deactivate,
                                        &ignored)
                  .ok());
  for (int i = 0; i < kExtraTokens; ++i) {
    client.CreateBucketReader(fixture.operator_token, fixture.org_id, fixture.bucket_id, &s);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const int tokens_before = CountAuthorizations(client, fixture.operator_token);

  std::vector<std::unique_ptr<SoakWorker>> workers;
  for (int i = 0; i < kWorkers; ++i) {
    workers.push_back(std::make_unique<SoakWorker>(authd.address(), &fixture, 1000 + i));
  }
  absl::Duration elapsed = RunPhase(workers, kWarmUp);
  auto rss_start = ResidentBytes(authd.pid());
  ASSERT_TRUE(rss_start.ok()) << rss_start.status();
  elapsed += RunPhase(workers, kMeasured);
  auto rss_end = ResidentBytes(authd.pid());
  ASSERT_TRUE(rss_end.ok()) << rss_end.status();

  SoakCounts total;
  for (const auto& w : workers) total.Add(w->counts());
  std::string ops;
  for (int op = 0; op < kSoakOpCount; ++op) {
    absl::StrAppend(&ops, " ", SoakOpName(op), "=", total.requests[op]);
    if (total.errors[op] > 0) absl::StrAppend(&ops, "(", total.errors[op], " errors)");
  }
  std::printf("soak: %.1f s, %lld requests (%lld errors), RSS start %.1f MiB end %.1f MiB\n",
              absl::ToDoubleSeconds(elapsed), static_cast<long long>(total.TotalRequests()),
              static_cast<long long>(total.TotalErrors()), *rss_start / kMiB, *rss_end / kMiB);
  std::printf("soak ops:%s\n", ops.c_str());
  std::fflush(stdout);

  EXPECT_EQ(total.TotalErrors(), 0) << "first errors:\n"
                                    << absl::StrJoin(total.first_errors, "\n");
  // Every op of the mix ran (the mix is what the soak claims to cover).
  for (int op = 0; op < kSoakOpCount; ++op) EXPECT_GT(total.requests[op], 0) << SoakOpName(op);
  // Memory: flat within a generous bound (a leak of even 100 bytes a request shows up here).
  EXPECT_LE(*rss_end, *rss_start * 1.25 + 8 * kMiB)
      << absl::StrFormat("RSS grew from %.1f MiB to %.1f MiB", *rss_start / kMiB, *rss_end / kMiB);
  // Every cycle deleted what it created.
  EXPECT_EQ(CountAuthorizations(client, fixture.operator_token), tokens_before);

  // Stop waits for connected clients to leave: drop every channel first.
  workers.clear();
  client_owner.reset();
  auto code = authd.Stop();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << authd.Log();
  auto verify = e2e::RunCommand(
      {e2e::RunfilePath("services/authd"), "verify", "--data-dir=" + authd.data_dir()},
      absl::Seconds(120));
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_EQ(verify->exit_code, 0) << verify->output;
  EXPECT_EQ(authd.Log().find(fixture.operator_token), std::string::npos) << "token in the log";
}

}  // namespace
}  // namespace authd::soak
