// The fixture of the HA end-to-end tests (issue 13): a real 3-member etcd cluster
// (tests/support/etcd_cluster.h, 127.0.0.1 free ports) and N real `authd` processes with
// --etcd-endpoints on it, each on its own data dir; helpers to write through one replica and to
// check another at a position, read health, and run the offline `authd verify` on a stopped
// replica's data dir (its state digest). testonly; not thread-safe, except the calls of one
// AuthdClient per thread.
#ifndef AUTHD_TESTS_E2E_HA_ETCD_FIXTURE_H_
#define AUTHD_TESTS_E2E_HA_ETCD_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/support/etcd_cluster.h"

namespace authd::e2e {

// An integer from the environment within [1, 1000], else `fallback` (the harnesses' long modes).
inline int EnvCount(const char* name, int fallback) {
  const char* v = std::getenv(name);
  int n = fallback;
  if (v != nullptr && absl::SimpleAtoi(v, &n) && n >= 1 && n <= 1000) return n;
  return fallback;
}

// The `authd-position` header of an answer.
inline uint64_t PositionOf(const grpc::ClientContext& c) {
  auto md = c.GetServerInitialMetadata();
  auto it = md.find("authd-position");
  uint64_t p = 0;
  if (it == md.end() || !absl::SimpleAtoi(std::string(it->second.data(), it->second.size()), &p)) {
    ADD_FAILURE() << "no authd-position in the answer";
  }
  return p;
}

// What the offline `authd verify` said about a stopped replica's data dir.
struct OfflineVerify {
  int exit_code = -1;
  std::string output;
  uint64_t checkpoint = 0;
  std::string state_digest;
};

class HaEtcdFixture : public ::testing::Test {
 protected:
  void StartCluster() {
    auto cluster = test_support::EtcdCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
  }

  std::string Endpoints() const { return absl::StrJoin(cluster_->endpoints(), ","); }

  // Adds and starts a replica on a fresh data dir with `extra_args` after --etcd-endpoints.
  // Uses are not recorded unless `extra_args` asks (--last-used-interval): each replica flushes
  // its uses when it stops, which would append past the final position the tests compare every
  // replica's checkpoint and digest at (HaEtcdE2eTest.UsesRecordedOnOneReplicaReachTheOthers
  // turns it on).
  void AddReplica(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {absl::StrCat("--etcd-endpoints=", Endpoints())};
    bool interval = false;
    for (const std::string& a : extra_args) interval |= a.rfind("--last-used-interval", 0) == 0;
    if (!interval) args.push_back("--last-used-interval=0");
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    replicas_.push_back(std::make_unique<AuthdProcess>(
        MakeTempDir(absl::StrCat("replica", replicas_.size())), std::move(args)));
    ASSERT_TRUE(replicas_.back()->Start().ok()) << replicas_.back()->Log();
  }

  // Setup through replica 0: the operator token, org and bucket every helper uses.
  void SetUpTenant() {
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

  // Creates a bucket reader through replica `i`; returns its token (and ID) and the position.
  std::string TryCreateReader(int i, uint64_t* position, grpc::Status* status,
                              std::string* id = nullptr) {
    v1::CreateAuthorizationRequest req;
    req.set_org_id(org_);
    *req.add_permissions() = Perm("read", "buckets", bucket_, org_);
    auto c = AuthdClient::Ctx(operator_);
    v1::Authorization out;
    *status = Client(i).auths->CreateAuthorization(c.get(), req, &out);
    *position = status->ok() ? PositionOf(*c) : 0;
    if (id != nullptr) *id = out.id();
    return out.token();
  }
  std::string CreateReader(int i, uint64_t* position, std::string* id = nullptr) {
    grpc::Status s;
    std::string token = TryCreateReader(i, position, &s, id);
    EXPECT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
    return token;
  }

  // Sets a token's status through replica `i`; returns the status and the position.
  grpc::Status SetActive(int i, const std::string& id, bool active, uint64_t* position) {
    v1::UpdateAuthorizationRequest req;
    req.set_id(id);
    req.set_status(active ? "active" : "inactive");
    v1::Authorization out;
    auto c = AuthdClient::Ctx(operator_);
    grpc::Status s = Client(i).auths->UpdateAuthorization(c.get(), req, &out);
    *position = s.ok() ? PositionOf(*c) : 0;
    return s;
  }
  grpc::Status Delete(int i, const std::string& id, uint64_t* position) {
    v1::DeleteAuthorizationRequest req;
    req.set_id(id);
    v1::DeleteAuthorizationResponse out;
    auto c = AuthdClient::Ctx(operator_);
    grpc::Status s = Client(i).auths->DeleteAuthorization(c.get(), req, &out);
    *position = s.ok() ? PositionOf(*c) : 0;
    return s;
  }

  // Authorize(read bucket) on replica `i`, answered once `min_position` is applied there.
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
    if (min_position > 0) {
      EXPECT_GE(resp.position(), min_position);
    }
    return resp.allowed();
  }

  // grpc.health.v1.Health/Check of authd.v1.AuthorizeService on replica `i`.
  grpc::health::v1::HealthCheckResponse::ServingStatus Health(int i) {
    auto stub = grpc::health::v1::Health::NewStub(replicas_[i]->channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service("authd.v1.AuthorizeService");
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }

  // The offline `authd verify` on replica `i`'s data dir (the replica must be stopped).
  OfflineVerify Verify(int i) {
    OfflineVerify out;
    auto run = RunCommand({RunfilePath("services/authd"), "verify",
                           absl::StrCat("--data-dir=", replicas_[i]->data_dir())},
                          absl::Seconds(120));
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return out;
    out.exit_code = run->exit_code;
    out.output = run->output;
    for (absl::string_view line : absl::StrSplit(run->output, '\n')) {
      if (absl::ConsumePrefix(&line, "checkpoint: ")) {
        EXPECT_TRUE(absl::SimpleAtoi(line, &out.checkpoint)) << line;
      } else if (absl::ConsumePrefix(&line, "state digest: ")) {
        out.state_digest = std::string(line);
      }
    }
    return out;
  }

  std::unique_ptr<test_support::EtcdCluster> cluster_;
  std::vector<std::unique_ptr<AuthdProcess>> replicas_;
  std::string operator_, org_, bucket_;
};

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_HA_ETCD_FIXTURE_H_
