// HA on etcd, end to end (issue 13): two real `authd` processes with --etcd-endpoints on one real
// 3-member etcd cluster (Debian's etcd, 127.0.0.1 free ports, tests/e2e/ha_etcd_fixture.h).
// A write through one replica is read and authorized on the other with `min_position`; a replica
// killed with SIGKILL comes back with every write the other made meanwhile; writes go on while
// the etcd leader is SIGKILLed; no raw token ever reaches an etcd member's files.
// AUTHD_HA_ROUNDS (default 3) sets how many kill/write rounds run (the long mode: e.g. 30).
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/ha_etcd_fixture.h"

namespace authd::e2e {
namespace {

int Rounds() { return EnvCount("AUTHD_HA_ROUNDS", 3); }

class HaEtcdE2eTest : public HaEtcdFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCluster());
    for (int i = 0; i < 2; ++i) ASSERT_NO_FATAL_FAILURE(AddReplica());
    ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  }
};

TEST_F(HaEtcdE2eTest, AWriteOnOneReplicaIsReadAndAuthorizedOnTheOther) {
  uint64_t position = 0;
  const std::string token = CreateReader(0, &position);
  ASSERT_GT(position, 0u);
  EXPECT_TRUE(AllowedOn(1, token, position));
  // A read on the other replica at that position lists it.
  auto c = AuthdClient::Ctx(operator_);
  c->AddMetadata("authd-min-position", absl::StrCat(position));
  v1::ListAuthorizationsRequest req;
  v1::ListAuthorizationsResponse resp;
  ASSERT_TRUE(Client(1).auths->ListAuthorizations(c.get(), req, &resp).ok());
  EXPECT_EQ(resp.authorizations_size(), 2);  // the operator's and the reader's
  EXPECT_GE(PositionOf(*c), position);
  // And the other way round.
  uint64_t back = 0;
  const std::string other = CreateReader(1, &back);
  EXPECT_GT(back, position);
  EXPECT_TRUE(AllowedOn(0, other, back));
}

// Last-used times are events in the replicated log: a use seen by one replica is what every
// replica reports.
TEST_F(HaEtcdE2eTest, UsesRecordedOnOneReplicaReachTheOthers) {
  ASSERT_NO_FATAL_FAILURE(AddReplica({"--last-used-interval=1s"}));
  uint64_t position = 0;
  std::string id;
  const std::string token = CreateReader(0, &position, &id);
  EXPECT_TRUE(AllowedOn(2, token, position));
  v1::GetAuthorizationRequest req;
  req.set_id(id);
  EXPECT_TRUE(PollUntil(
      [&] {
        v1::Authorization got;
        auto c = AuthdClient::Ctx(operator_);
        return Client(1).auths->GetAuthorization(c.get(), req, &got).ok() && got.has_last_used_at();
      },
      absl::Seconds(20)))
      << replicas_[2]->Log();
}

TEST_F(HaEtcdE2eTest, AKilledReplicaComesBackWithTheOthersWritesAndEtcdLeaderLossIsSurvived) {
  std::vector<std::pair<std::string, uint64_t>> written;
  for (int round = 0; round < Rounds(); ++round) {
    // Replica 0 dies hard; replica 1 keeps writing and serving.
    replicas_[0]->Kill9();
    uint64_t p = 0;
    written.emplace_back(CreateReader(1, &p), p);
    EXPECT_TRUE(AllowedOn(1, written.back().first, p));
    ASSERT_TRUE(replicas_[0]->Start().ok()) << replicas_[0]->Log();
    for (const auto& [token, at] : written) EXPECT_TRUE(AllowedOn(0, token, at)) << "round " << round;
  }
  // The etcd leader dies; writes go on through the survivors (the client fails over).
  auto leader = cluster_->WaitForLeader(absl::Seconds(10));
  ASSERT_TRUE(leader.ok()) << leader.status();
  ASSERT_TRUE(cluster_->Kill(*leader).ok());
  // A write in flight when the leader died may fail (UNAVAILABLE, or an outcome authd could not
  // settle): a client retries; within a few election timeouts one lands.
  uint64_t p = 0;
  std::string token;
  std::vector<std::string> failures;
  for (int attempt = 0; attempt < 10 && token.empty(); ++attempt) {
    grpc::Status s;
    token = TryCreateReader(0, &p, &s);
    if (!s.ok()) failures.push_back(absl::StrCat(s.error_code(), ": ", s.error_message()));
  }
  ASSERT_FALSE(token.empty()) << absl::StrJoin(failures, "\n");
  for (const std::string& f : failures) std::printf("create retried after: %s\n", f.c_str());
  EXPECT_TRUE(AllowedOn(1, token, p));
  for (const auto& [t, at] : written) EXPECT_TRUE(AllowedOn(1, t, at));
}

TEST_F(HaEtcdE2eTest, NoRawTokenIsInAnyEtcdMemberFiles) {
  uint64_t p = 0;
  const std::string token = CreateReader(0, &p);
  ASSERT_FALSE(token.empty());
  for (int i = 0; i < cluster_->size(); ++i) {
    EXPECT_TRUE(FilesContaining(cluster_->data_dir(i), token).empty()) << "member " << i;
    EXPECT_TRUE(FilesContaining(cluster_->data_dir(i), operator_).empty()) << "member " << i;
  }
}

}  // namespace
}  // namespace authd::e2e
