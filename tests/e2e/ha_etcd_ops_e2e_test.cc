// HA on etcd, end to end, as an operator meets it (issue 13): three real `authd` replicas on a real
// 3-member etcd (tests/e2e/ha_etcd_fixture.h).
// - A token deactivated or deleted through one replica stops authorizing on the others: the
//   propagation time is measured and printed, and `min_position` makes it immediate.
// - A replica started after etcd was compacted catches up from the snapshot, and every replica
//   ends with the same state digest (offline `authd verify` on the stopped data dirs).
// - A corrupt commit under the prefix is applied nowhere: writes fail with DATA_LOSS naming it,
//   Authorize keeps answering, health says NOT_SERVING; a foreign key is ignored and logged.
// - Replicas started together with the same AUTHD_INIT_* all come up.
// - etcd losing quorum: writes UNAVAILABLE naming the endpoints, Authorize keeps answering, health
//   stays SERVING, the log says how long etcd has been silent; writes land again once quorum is
//   back.
// - etcd unreachable at start: authd retries, starts once etcd is back, and fails clearly at
//   --etcd-start-timeout.
// - Recovery of a lost operator token through a stopped replica's data dir, via etcd, and the
//   rebuild of that copy from etcd.
#include <chrono>
#include <cstdio>
#include <future>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/ha_etcd_fixture.h"

namespace authd::e2e {
namespace {

using HealthStatus = grpc::health::v1::HealthCheckResponse;

class HaEtcdOpsE2eTest : public HaEtcdFixture {
 protected:
  // Polls `done` every 10 ms until it holds or `timeout` passes; returns how long it took
  // (InfiniteDuration when it never held).
  template <typename F>
  static absl::Duration Until(F done, absl::Duration timeout) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < timeout) {
      if (done()) return absl::Now() - start;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return absl::InfiniteDuration();
  }

  // etcdctl against the cluster (the operator's tool, from Debian's etcd-client).
  ProcessResult Etcdctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/etcdctl", absl::StrCat("--endpoints=", Endpoints())};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = RunCommand(argv, absl::Seconds(30), {"ETCDCTL_API=3"});
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *run : ProcessResult();
  }

  // Restarts killed members together (each waits for a leader, which needs a quorum back).
  void RestartMembers(const std::vector<int>& members) {
    absl::Status s = cluster_->Restart(members);
    ASSERT_TRUE(s.ok()) << s;
  }

  // A replica's log contains `text`, within `timeout`.
  bool LogSays(int i, const std::string& text, absl::Duration timeout = absl::Seconds(20)) {
    return Until([&] { return absl::StrContains(replicas_[i]->Log(), text); }, timeout) !=
           absl::InfiniteDuration();
  }
};

TEST_F(HaEtcdOpsE2eTest, DeactivatedAndDeletedTokensStopAuthorizingOnEveryReplica) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(AddReplica());
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  uint64_t created_at = 0;
  std::string id;
  const std::string token = CreateReader(0, &created_at, &id);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AllowedOn(i, token, created_at)) << "replica " << i;

  // Deactivated on A: B and C stop authorizing it without being told a position (measured) ...
  uint64_t deactivated_at = 0;
  ASSERT_TRUE(SetActive(0, id, false, &deactivated_at).ok());
  for (int i = 1; i < 3; ++i) {
    const absl::Duration took = Until([&] { return !AllowedOn(i, token, 0); }, absl::Seconds(10));
    ASSERT_NE(took, absl::InfiniteDuration()) << "replica " << i << " still authorizes it";
    std::printf("deactivate propagation to replica %d: %s\n", i, absl::FormatDuration(took).c_str());
  }
  // ... and at once with its position.
  ASSERT_TRUE(SetActive(0, id, true, &created_at).ok());
  for (int i = 1; i < 3; ++i) EXPECT_TRUE(AllowedOn(i, token, created_at)) << "replica " << i;
  ASSERT_TRUE(SetActive(1, id, false, &deactivated_at).ok());
  EXPECT_FALSE(AllowedOn(2, token, deactivated_at));
  EXPECT_FALSE(AllowedOn(0, token, deactivated_at));

  // Deleted through C: the same.
  uint64_t second_at = 0;
  std::string second_id;
  const std::string second = CreateReader(2, &second_at, &second_id);
  ASSERT_TRUE(AllowedOn(0, second, second_at));
  uint64_t deleted_at = 0;
  ASSERT_TRUE(Delete(2, second_id, &deleted_at).ok());
  const absl::Duration took = Until([&] { return !AllowedOn(0, second, 0); }, absl::Seconds(10));
  ASSERT_NE(took, absl::InfiniteDuration());
  std::printf("delete propagation to replica 0: %s\n", absl::FormatDuration(took).c_str());
  EXPECT_FALSE(AllowedOn(1, second, deleted_at));
}

TEST_F(HaEtcdOpsE2eTest, ReplicaStartedAfterCompactionCatchesUpAndEveryReplicaHasOneDigest) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(AddReplica({"--etcd-snapshot-every=5"}));
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  std::vector<std::pair<std::string, uint64_t>> tokens;
  for (int n = 0; n < 12; ++n) {
    uint64_t p = 0;
    tokens.emplace_back(CreateReader(n % 2, &p), p);
  }
  ASSERT_TRUE(LogSays(0, "wrote the etcd snapshot") || LogSays(1, "wrote the etcd snapshot"));
  // etcd's history below the snapshot is gone: a watch from revision 1 is refused.
  const ProcessResult old = Etcdctl({"get", "/authd/v1/head", "--rev=2"});
  EXPECT_NE(old.exit_code, 0) << old.output;
  EXPECT_TRUE(absl::StrContains(old.output, "compacted")) << old.output;

  ASSERT_NO_FATAL_FAILURE(AddReplica({"--etcd-snapshot-every=5"}));
  EXPECT_TRUE(LogSays(2, "installed the etcd snapshot at sequence")) << replicas_[2]->Log();
  for (const auto& [token, at] : tokens) EXPECT_TRUE(AllowedOn(2, token, at));
  // It writes too, and the others see it.
  uint64_t p = 0;
  const std::string late = CreateReader(2, &p);
  EXPECT_TRUE(AllowedOn(0, late, p));
  EXPECT_TRUE(AllowedOn(1, late, p));

  // Every replica at the same position, stopped: one state digest.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AllowedOn(i, late, p));
  std::vector<OfflineVerify> verified;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(replicas_[i]->Stop().ok());
    verified.push_back(Verify(i));
    EXPECT_EQ(verified.back().exit_code, 0) << verified.back().output;
    EXPECT_EQ(verified.back().checkpoint, p) << verified.back().output;
    EXPECT_EQ(verified.back().state_digest.size(), 64u) << verified.back().output;
  }
  EXPECT_EQ(verified[0].state_digest, verified[1].state_digest);
  EXPECT_EQ(verified[0].state_digest, verified[2].state_digest);
  EXPECT_TRUE(absl::StrContains(verified[2].output, "log starts at:")) << verified[2].output;
}

TEST_F(HaEtcdOpsE2eTest, CorruptCommitIsAppliedNowhereAndForeignKeysAreIgnored) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(AddReplica({"--max-replica-lag=2s"}));
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  uint64_t p = 0;
  const std::string token = CreateReader(0, &p);
  ASSERT_TRUE(AllowedOn(1, token, p));

  // A foreign key among the watched ones: logged once, applied nowhere, nothing stops.
  ASSERT_EQ(Etcdctl({"put", "/authd/v1/journal", "hello"}).exit_code, 0);
  EXPECT_TRUE(LogSays(0, "ignoring a key under the etcd prefix"));
  uint64_t after_foreign = 0;
  const std::string still = CreateReader(1, &after_foreign);
  EXPECT_TRUE(AllowedOn(0, still, after_foreign));

  // A commit that does not decode, at the next sequence: every replica refuses it.
  const std::string next = absl::StrFormat("/authd/v1/log/%020u", after_foreign + 1);
  ASSERT_EQ(Etcdctl({"put", next, "not a commit"}).exit_code, 0);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(LogSays(i, "does not decode")) << replicas_[i]->Log();
    EXPECT_NE(Until([&] { return Health(i) == HealthStatus::NOT_SERVING; }, absl::Seconds(20)),
              absl::InfiniteDuration())
        << "replica " << i << " still SERVING";
  }
  grpc::Status refused;
  TryCreateReader(0, &p, &refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::DATA_LOSS) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "does not decode"))
      << refused.error_message();
  // Authorize still answers from memory, with what was applied before.
  EXPECT_TRUE(AllowedOn(0, token, 0));
  EXPECT_TRUE(AllowedOn(1, still, 0));
}

TEST_F(HaEtcdOpsE2eTest, LosingQuorumFailsWritesButAuthorizeKeepsAnswering) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(AddReplica());
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  uint64_t p = 0;
  const std::string token = CreateReader(0, &p);
  ASSERT_TRUE(AllowedOn(1, token, p));

  ASSERT_TRUE(cluster_->Kill(0).ok());
  ASSERT_TRUE(cluster_->Kill(1).ok());
  // Until the survivor notices it has no leader, a write may be proposed and stay undecided: its
  // outcome is unknown (it may land once quorum is back), and authd says so within the deadline.
  grpc::Status first;
  TryCreateReader(1, &p, &first);
  EXPECT_NE(first.error_code(), grpc::StatusCode::OK);
  std::printf("first write after quorum loss: %d %s\n", first.error_code(),
              first.error_message().c_str());
  ASSERT_NE(Until(
                [&] {
                  auto leader = cluster_->LeaderSeenBy(2, absl::Seconds(2));
                  return leader.ok() && *leader == 0;
                },
                absl::Seconds(20)),
            absl::InfiniteDuration());
  // Once it knows, a write is refused as unavailable: nothing was applied.
  grpc::Status refused;
  TryCreateReader(1, &p, &refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), cluster_->endpoint(2)))
      << refused.error_message();
  EXPECT_TRUE(AllowedOn(0, token, 0));
  EXPECT_TRUE(AllowedOn(1, token, 0));
  EXPECT_EQ(Health(0), HealthStatus::SERVING) << "losing etcd is not lag";
  // ... and the log says how stale its answers may be.
  EXPECT_TRUE(LogSays(0, "etcd has not answered for", absl::Seconds(30))) << replicas_[0]->Log();

  ASSERT_NO_FATAL_FAILURE(RestartMembers({0, 1}));
  std::string back;
  for (int attempt = 0; attempt < 10 && back.empty(); ++attempt) {
    grpc::Status s;
    back = TryCreateReader(1, &p, &s);
  }
  ASSERT_FALSE(back.empty());
  EXPECT_TRUE(AllowedOn(0, back, p));
}

TEST_F(HaEtcdOpsE2eTest, StartRetriesUnreachableEtcdAndFailsClearlyAtTheTimeout) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cluster_->Kill(i).ok());

  // Nothing answers within --etcd-start-timeout: a clear error naming the endpoints.
  auto failed = RunCommand({RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                            absl::StrCat("--data-dir=", MakeTempDir("unreachable")),
                            absl::StrCat("--etcd-endpoints=", Endpoints()),
                            "--etcd-start-timeout=3s"},
                           absl::Seconds(60));
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_NE(failed->exit_code, 0) << failed->output;
  EXPECT_TRUE(absl::StrContains(failed->output, "no member answered")) << failed->output;
  EXPECT_TRUE(absl::StrContains(failed->output, cluster_->endpoint(0))) << failed->output;

  // Started while etcd is down, it comes up once etcd is back.
  replicas_.push_back(std::make_unique<AuthdProcess>(
      MakeTempDir("patient"),
      std::vector<std::string>{absl::StrCat("--etcd-endpoints=", Endpoints()),
                               "--etcd-start-timeout=25s"}));
  std::future<absl::Status> started =
      std::async(std::launch::async, [&] { return replicas_[0]->Start(); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // authd is retrying meanwhile
  ASSERT_NO_FATAL_FAILURE(RestartMembers({0, 1, 2}));
  ASSERT_TRUE(started.get().ok()) << replicas_[0]->Log();
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
}

TEST_F(HaEtcdOpsE2eTest, ReplicasStartedTogetherWithTheSameBootstrapAllComeUp) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  // As a Helm StatefulSet with podManagementPolicy Parallel starts them: same AUTHD_INIT_*.
  const std::vector<std::string> env = {"AUTHD_INIT_USERNAME=admin",
                                        "AUTHD_INIT_PASSWORD=bootstrap-pw-123",
                                        "AUTHD_INIT_ORG=acme", "AUTHD_INIT_BUCKET=metrics",
                                        "AUTHD_INIT_TOKEN=bootstrap-operator-token-0123456789"};
  std::vector<std::future<absl::Status>> started;
  for (int i = 0; i < 3; ++i) {
    replicas_.push_back(std::make_unique<AuthdProcess>(
        MakeTempDir(absl::StrCat("parallel", i)),
        std::vector<std::string>{absl::StrCat("--etcd-endpoints=", Endpoints())}, env));
  }
  for (int i = 0; i < 3; ++i) {
    started.push_back(std::async(std::launch::async, [this, i] { return replicas_[i]->Start(); }));
  }
  for (int i = 0; i < 3; ++i) {
    absl::Status s = started[i].get();
    EXPECT_TRUE(s.ok()) << s << replicas_[i]->Log();
  }
  for (int i = 0; i < 3; ++i) {
    if (!replicas_[i]->running()) continue;
    const absl::Duration took = Until(
        [&] {
          return Client(i).Authorize("bootstrap-operator-token-0123456789", "write", "orgs").allowed();
        },
        absl::Seconds(10));
    EXPECT_NE(took, absl::InfiniteDuration()) << "replica " << i;
  }
}

TEST_F(HaEtcdOpsE2eTest, StoppedReplicasDataDirServesRecoveryAndIsRebuiltFromEtcd) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(AddReplica());
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  ASSERT_TRUE(replicas_[1]->Stop().ok());
  const std::string authd = RunfilePath("services/authd");
  const std::string dir = absl::StrCat("--data-dir=", replicas_[1]->data_dir());

  // Without etcd, the replica's copy is read, never written.
  auto refused = RunCommand({authd, "recovery", "auth", "create-operator", dir, "--username",
                             "alice", "--org", "acme"},
                            absl::Seconds(60));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 1) << refused->output;
  EXPECT_TRUE(absl::StrContains(refused->output, "etcd replica's applied copy")) << refused->output;

  // With the replica's etcd options, the new operator token goes through etcd to every replica.
  auto created = RunCommand({authd, "recovery", "auth", "create-operator", dir, "--username",
                             "alice", "--org", "acme",
                             absl::StrCat("--etcd-endpoints=", Endpoints())},
                            absl::Seconds(60));
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->exit_code, 0) << created->output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created->output, m, std::regex("(authd_[0-9A-Za-z]{49})")))
      << created->output;
  const std::string recovered = m[1];
  v1::AuthorizeResponse allowed;
  const absl::Duration took = Until(
      [&] {
        allowed = Client(0).Authorize(recovered, "write", "orgs");
        return allowed.allowed();
      },
      absl::Seconds(10));
  EXPECT_NE(took, absl::InfiniteDuration()) << "the recovered operator token never authorized";
  ASSERT_TRUE(replicas_[1]->Start().ok());
  EXPECT_TRUE(Client(1).Authorize(recovered, "write", "orgs").allowed());

  // Rebuilding a stopped replica's copy: without etcd refused, with it rebuilt from etcd.
  ASSERT_TRUE(replicas_[1]->Stop().ok());
  auto no_etcd = RunCommand({authd, "rebuild-projections", dir}, absl::Seconds(60));
  ASSERT_TRUE(no_etcd.ok());
  EXPECT_EQ(no_etcd->exit_code, 1) << no_etcd->output;
  EXPECT_TRUE(absl::StrContains(no_etcd->output, "etcd replica's applied copy")) << no_etcd->output;
  auto rebuilt = RunCommand({authd, "rebuild-projections", dir,
                             absl::StrCat("--etcd-endpoints=", Endpoints())},
                            absl::Seconds(60));
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->exit_code, 0) << rebuilt->output;
  EXPECT_TRUE(absl::StrContains(rebuilt->output, "Rebuilt this replica's copy from etcd"))
      << rebuilt->output;
  const OfflineVerify verified = Verify(1);
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  ASSERT_TRUE(replicas_[1]->Start().ok());
  EXPECT_TRUE(Client(1).Authorize(recovered, "write", "orgs").allowed());
  EXPECT_TRUE(Client(1).Authorize(operator_, "write", "orgs").allowed());
}

}  // namespace
}  // namespace authd::e2e
