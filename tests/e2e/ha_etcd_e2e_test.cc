// HA on etcd, end to end (issue 13): two real `authd` processes with --etcd-endpoints on one real
// 3-member etcd cluster (Debian's etcd, 127.0.0.1 free ports, tests/support/etcd_cluster.h).
// A write through one replica is read and authorized on the other with `min_position`; a replica
// killed with SIGKILL comes back with every write the other made meanwhile; writes go on while
// the etcd leader is SIGKILLed; no raw token ever reaches an etcd member's files.
// AUTHD_HA_ROUNDS (default 3) sets how many kill/write rounds run (the long mode: e.g. 30).
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/support/etcd_cluster.h"

namespace authd::e2e {
namespace {

int Rounds() {
  const char* v = std::getenv("AUTHD_HA_ROUNDS");
  int n = 3;
  if (v != nullptr && absl::SimpleAtoi(v, &n) && n >= 1 && n <= 1000) return n;
  return 3;
}

uint64_t PositionOf(const grpc::ClientContext& c) {
  auto md = c.GetServerInitialMetadata();
  auto it = md.find("authd-position");
  uint64_t p = 0;
  if (it == md.end() || !absl::SimpleAtoi(std::string(it->second.data(), it->second.size()), &p)) {
    ADD_FAILURE() << "no authd-position in the answer";
  }
  return p;
}

class HaEtcdE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = test_support::EtcdCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    const std::string endpoints = absl::StrJoin(cluster_->endpoints(), ",");
    for (int i = 0; i < 2; ++i) {
      replicas_.push_back(std::make_unique<AuthdProcess>(
          MakeTempDir(absl::StrCat("replica", i)),
          std::vector<std::string>{absl::StrCat("--etcd-endpoints=", endpoints)}));
      ASSERT_TRUE(replicas_.back()->Start().ok()) << replicas_.back()->Log();
    }
    v1::SetupResponse setup;
    ASSERT_TRUE(Client(0).Setup("alice", "acme", "metrics", &setup).ok());
    operator_ = setup.authorization().token();
    org_ = setup.org().id();
    bucket_ = setup.bucket().id();
  }

  void TearDown() override {
    if (HasFailure()) {
      for (auto& r : replicas_) std::fprintf(stderr, "--- authd log:\n%s\n", r->Log().c_str());
      if (cluster_) std::fprintf(stderr, "--- etcd:\n%s\n", cluster_->LogTails().c_str());
    }
  }

  AuthdClient Client(int i) { return AuthdClient(replicas_[i]->channel()); }

  // Creates a bucket reader through replica `i`; returns its token and the write's position.
  std::string TryCreateReader(int i, uint64_t* position, grpc::Status* status) {
    v1::CreateAuthorizationRequest req;
    req.set_org_id(org_);
    *req.add_permissions() = Perm("read", "buckets", bucket_, org_);
    auto c = AuthdClient::Ctx(operator_);
    v1::Authorization out;
    *status = Client(i).auths->CreateAuthorization(c.get(), req, &out);
    *position = status->ok() ? PositionOf(*c) : 0;
    return out.token();
  }
  std::string CreateReader(int i, uint64_t* position) {
    grpc::Status s;
    std::string token = TryCreateReader(i, position, &s);
    EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
    return token;
  }

  bool AllowedOn(int i, const std::string& token, uint64_t min_position) {
    v1::AuthorizeRequest req;
    req.set_token(token);
    req.set_action("read");
    req.mutable_resource()->set_type("buckets");
    req.mutable_resource()->set_id(bucket_);
    req.mutable_resource()->set_org_id(org_);
    req.set_min_position(min_position);
    v1::AuthorizeResponse resp;
    auto c = AuthdClient::Ctx();
    grpc::Status s = Client(i).authorize->Authorize(c.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (min_position > 0) EXPECT_GE(resp.position(), min_position);
    return resp.allowed();
  }

  std::unique_ptr<test_support::EtcdCluster> cluster_;
  std::vector<std::unique_ptr<AuthdProcess>> replicas_;
  std::string operator_, org_, bucket_;
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
