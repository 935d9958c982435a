// HA on etcd under faults, end to end (issue 13): three real `authd` replicas on a real 3-member
// etcd (tests/e2e/ha_etcd_fixture.h), one client thread per replica creating, deactivating and
// deleting tokens without pause, while, each cycle, the etcd leader is SIGKILLed and restarted,
// an authd replica is SIGKILLed and restarted, and an etcd follower is frozen (SIGSTOP) for a
// while. Snapshots and compaction run meanwhile (--etcd-snapshot-every=25). Afterwards:
//  - every acknowledged create authorizes on every replica, and every acknowledged deactivation
//    or delete is refused on every replica (writes whose outcome a client could not know are
//    left out: a create whose answer was lost, an update whose connection died);
//  - every replica, stopped at the same position, passes the offline `authd verify` (log
//    continuous, projections == replay where the copy starts at 1, checksums) with one state
//    digest: no event applied twice or skipped anywhere.
// AUTHD_HA_CYCLES (default 1) sets the cycles: the long mode, e.g. AUTHD_HA_CYCLES=20.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/ha_etcd_fixture.h"

namespace authd::e2e {
namespace {

constexpr int kReplicas = 3;
// Per worker, a bound on operations whatever the cycles (the loops stop on the flag first).
constexpr int kMaxOpsPerWorker = 5000;

enum class TokenState { kActive, kInactive, kDeleted };

struct Tracked {
  std::string token;
  std::string id;
  TokenState state = TokenState::kActive;
  bool uncertain = false;  // a later write on it may or may not have landed
};

struct WorkerStats {
  int creates = 0, updates = 0, deletes = 0, failures = 0;
};

class HaEtcdChaosE2eTest : public HaEtcdFixture {
 protected:
  // The replica's channel, taken under its lock (a restart replaces it).
  std::shared_ptr<grpc::Channel> ChannelOf(int r) {
    std::lock_guard<std::mutex> lock(replica_mu_[r]);
    return replicas_[r]->running() ? replicas_[r]->channel() : nullptr;
  }

  // One client of replica `r`: writes until `stop_`, records what was acknowledged.
  void Work(int r, std::vector<Tracked>* tracked, WorkerStats* stats, uint64_t* max_position) {
    std::mt19937 rng(1234 + r);
    for (int op = 0; op < kMaxOpsPerWorker && !stop_.load(); ++op) {
      std::shared_ptr<grpc::Channel> channel = ChannelOf(r);
      if (channel == nullptr) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // replica down: wait
        continue;
      }
      AuthdClient client(channel);
      const int dice = static_cast<int>(rng() % 10);
      std::vector<size_t> live;
      for (size_t i = 0; i < tracked->size(); ++i) {
        if ((*tracked)[i].state != TokenState::kDeleted && !(*tracked)[i].uncertain) live.push_back(i);
      }
      if (dice < 6 || live.empty()) {
        v1::CreateAuthorizationRequest req;
        req.set_org_id(org_);
        *req.add_permissions() = Perm("read", "buckets", bucket_, org_);
        auto c = AuthdClient::Ctx(operator_);
        v1::Authorization out;
        grpc::Status s = client.auths->CreateAuthorization(c.get(), req, &out);
        if (s.ok()) {
          tracked->push_back({out.token(), out.id(), TokenState::kActive, false});
          *max_position = std::max(*max_position, PositionOf(*c));
          ++stats->creates;
        } else {
          ++stats->failures;  // not acknowledged: not tracked (it may exist, with no one's token)
        }
        continue;
      }
      Tracked& t = (*tracked)[live[rng() % live.size()]];
      auto c = AuthdClient::Ctx(operator_);
      grpc::Status s;
      if (dice < 8) {
        v1::UpdateAuthorizationRequest req;
        req.set_id(t.id);
        const bool activate = t.state == TokenState::kInactive;
        req.set_status(activate ? "active" : "inactive");
        v1::Authorization out;
        s = client.auths->UpdateAuthorization(c.get(), req, &out);
        if (s.ok()) t.state = activate ? TokenState::kActive : TokenState::kInactive;
        stats->updates += s.ok();
      } else {
        v1::DeleteAuthorizationRequest req;
        req.set_id(t.id);
        v1::DeleteAuthorizationResponse out;
        s = client.auths->DeleteAuthorization(c.get(), req, &out);
        if (s.ok()) t.state = TokenState::kDeleted;
        stats->deletes += s.ok();
      }
      if (s.ok()) {
        *max_position = std::max(*max_position, PositionOf(*c));
      } else {
        // Any failure may have landed (a replica killed after etcd took it): stop judging it.
        t.uncertain = true;
        ++stats->failures;
      }
    }
  }

  void KillAndRestartReplica(int r) {
    std::lock_guard<std::mutex> lock(replica_mu_[r]);
    replicas_[r]->Kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the others go on meanwhile
    absl::Status s = replicas_[r]->Start();
    ASSERT_TRUE(s.ok()) << s << replicas_[r]->Log();
  }

  std::atomic<bool> stop_{false};
  std::mutex replica_mu_[kReplicas];
};

TEST_F(HaEtcdChaosE2eTest, AcknowledgedWritesSurviveLeaderKillsReplicaKillsAndAFrozenMember) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_NO_FATAL_FAILURE(AddReplica({"--etcd-snapshot-every=25"}));
  }
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  const int cycles = EnvCount("AUTHD_HA_CYCLES", 1);

  std::vector<Tracked> tracked[kReplicas];
  WorkerStats stats[kReplicas];
  uint64_t max_position[kReplicas] = {0, 0, 0};
  std::vector<std::thread> workers;
  for (int r = 0; r < kReplicas; ++r) {
    workers.emplace_back([&, r] { Work(r, &tracked[r], &stats[r], &max_position[r]); });
  }
  const absl::Time started = absl::Now();
  for (int cycle = 0; cycle < cycles && !HasFatalFailure(); ++cycle) {
    std::this_thread::sleep_for(std::chrono::seconds(1));  // load alone
    auto leader = cluster_->WaitForLeader(absl::Seconds(20));
    ASSERT_TRUE(leader.ok()) << leader.status();
    ASSERT_TRUE(cluster_->Kill(*leader).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // an election under load
    ASSERT_TRUE(cluster_->Restart(*leader).ok());
    ASSERT_NO_FATAL_FAILURE(KillAndRestartReplica(cycle % kReplicas));
    auto now_leader = cluster_->WaitForLeader(absl::Seconds(20));
    ASSERT_TRUE(now_leader.ok()) << now_leader.status();
    const int frozen = (*now_leader + 1 + cycle % 2) % 3;  // a follower
    ASSERT_TRUE(cluster_->Stop(frozen).ok());
    std::this_thread::sleep_for(std::chrono::seconds(2));  // its watchers must move on
    ASSERT_TRUE(cluster_->Cont(frozen).ok());
  }
  stop_ = true;
  for (std::thread& t : workers) t.join();
  const absl::Duration ran = absl::Now() - started;

  // One last write through each replica: every replica then applies through the highest position.
  uint64_t final_position = 0;
  for (int r = 0; r < kReplicas; ++r) {
    final_position = std::max(final_position, max_position[r]);
    uint64_t p = 0;
    std::string token;
    for (int attempt = 0; attempt < 20 && token.empty(); ++attempt) {
      grpc::Status s;
      token = TryCreateReader(r, &p, &s);
    }
    ASSERT_FALSE(token.empty()) << "replica " << r << " takes no write after the chaos";
    final_position = std::max(final_position, p);
  }
  int judged = 0, creates = 0, updates = 0, deletes = 0, failures = 0;
  for (int r = 0; r < kReplicas; ++r) {
    creates += stats[r].creates;
    updates += stats[r].updates;
    deletes += stats[r].deletes;
    failures += stats[r].failures;
  }
  for (int i = 0; i < kReplicas; ++i) {
    for (int r = 0; r < kReplicas; ++r) {
      for (const Tracked& t : tracked[r]) {
        if (t.uncertain) continue;
        ++judged;
        EXPECT_EQ(AllowedOn(i, t.token, final_position), t.state == TokenState::kActive)
            << "replica " << i << ", token " << t.id << " written through replica " << r;
      }
    }
  }
  std::printf("chaos: %d cycles in %s; acknowledged %d creates, %d updates, %d deletes; %d "
              "failed or unknown; %d token checks at position %llu\n",
              cycles, absl::FormatDuration(ran).c_str(), creates, updates, deletes, failures,
              judged, static_cast<unsigned long long>(final_position));
  EXPECT_GT(creates, 0);

  std::vector<OfflineVerify> verified;
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_TRUE(replicas_[i]->Stop().ok());
    verified.push_back(Verify(i));
    EXPECT_EQ(verified.back().exit_code, 0) << verified.back().output;
    EXPECT_EQ(verified.back().checkpoint, final_position) << verified.back().output;
  }
  for (int i = 1; i < kReplicas; ++i) {
    EXPECT_EQ(verified[i].state_digest, verified[0].state_digest) << "replica " << i;
  }
}

}  // namespace
}  // namespace authd::e2e
