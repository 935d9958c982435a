// EtcdClient against a real 3-member etcd 3.4 cluster (tests/support/etcd_cluster.h): reads and
// writes, the compare-and-swap authd's log appends with, watches (history, order, progress,
// compaction), failover when a member dies or freezes, no quorum, authentication, TLS, limits.
// Each test has a cluster of its own. Waits are bounded; none sleeps to order events.
#include "storage/etcd/etcd_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "storage/etcd/range_end.h"
#include "tests/e2e/authd_process.h"
#include "tests/e2e/test_pki.h"
#include "tests/support/etcd_cluster.h"

namespace authd::storage::etcd {
namespace {

using ::authd::test_support::EtcdCluster;
using ::authd::test_support::EtcdClusterOptions;
using ::testing::HasSubstr;

#define ETCD_CONCAT_INNER_(a, b) a##b
#define ETCD_CONCAT_(a, b) ETCD_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(ETCD_CONCAT_(statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();       \
  lhs = *std::move(statusor)
#define ASSERT_OK(expr)                   \
  do {                                    \
    absl::Status s_ = (expr);             \
    ASSERT_TRUE(s_.ok()) << s_;           \
  } while (0)

class EtcdClientTest : public ::testing::Test {
 protected:
  // Progress notifications every 250 ms (etcd's default is 10 minutes); requests up to 64 KiB.
  static EtcdClusterOptions DefaultClusterOptions() {
    EtcdClusterOptions options;
    options.progress_notify_interval = absl::Milliseconds(250);
    options.max_request_bytes = 64 * 1024;
    return options;
  }

  void StartCluster(EtcdClusterOptions options = DefaultClusterOptions()) {
    auto cluster = EtcdCluster::Start(std::move(options));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  EtcdClientOptions ClientOptions(std::vector<std::string> endpoints = {}) {
    EtcdClientOptions options;
    options.endpoints = endpoints.empty() ? cluster_->endpoints() : std::move(endpoints);
    return options;
  }

  std::unique_ptr<EtcdClient> Client(EtcdClientOptions options) {
    auto client = EtcdClient::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // Endpoints with member `first` first, then the others in order.
  std::vector<std::string> EndpointsStartingWith(int first) {
    std::vector<std::string> out = {cluster_->endpoint(first)};
    for (int i = 0; i < cluster_->size(); ++i) {
      if (i != first) out.push_back(cluster_->endpoint(i));
    }
    return out;
  }

  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(EtcdClientTest, PutThenRangeRoundTrips) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  auto client = Client(ClientOptions());
  ASSERT_NE(client, nullptr);

  ASSERT_OK_AND_ASSIGN(int64_t first, client->Put("/t/a", "1"));
  ASSERT_OK_AND_ASSIGN(int64_t second, client->Put("/t/b", std::string("2\0two", 5)));
  ASSERT_OK_AND_ASSIGN(int64_t third, client->Put("/t/a", "3"));
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);

  ASSERT_OK_AND_ASSIGN(RangeResult a, client->Range("/t/a"));
  ASSERT_EQ(a.kvs.size(), 1u);
  EXPECT_EQ(a.kvs[0].key, "/t/a");
  EXPECT_EQ(a.kvs[0].value, "3");
  EXPECT_EQ(a.kvs[0].create_revision, first);
  EXPECT_EQ(a.kvs[0].mod_revision, third);
  EXPECT_EQ(a.kvs[0].version, 2);
  EXPECT_GE(a.revision, third);

  RangeOptions prefix;
  prefix.prefix = true;
  ASSERT_OK_AND_ASSIGN(RangeResult all, client->Range("/t/", prefix));
  ASSERT_EQ(all.kvs.size(), 2u);
  EXPECT_EQ(all.kvs[0].key, "/t/a");
  EXPECT_EQ(all.kvs[1].key, "/t/b");
  EXPECT_EQ(all.kvs[1].value, std::string("2\0two", 5));  // values are bytes
  EXPECT_EQ(all.count, 2);
  EXPECT_FALSE(all.more);

  prefix.limit = 1;
  ASSERT_OK_AND_ASSIGN(RangeResult limited, client->Range("/t/", prefix));
  ASSERT_EQ(limited.kvs.size(), 1u);
  EXPECT_TRUE(limited.more);
  EXPECT_EQ(limited.count, 2);

  RangeOptions past;
  past.revision = first;
  ASSERT_OK_AND_ASSIGN(RangeResult old, client->Range("/t/a", past));
  ASSERT_EQ(old.kvs.size(), 1u);
  EXPECT_EQ(old.kvs[0].value, "1");

  ASSERT_OK_AND_ASSIGN(RangeResult missing, client->Range("/t/none"));
  EXPECT_TRUE(missing.kvs.empty());
  EXPECT_EQ(missing.count, 0);

  RangeOptions future;
  future.revision = third + 1000;
  auto ahead = client->Range("/t/a", future);
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kOutOfRange) << ahead.status();
}

// authd's append: If(mod_revision(head) == R) Then(put head, put log entry). Two writers that
// decided against the same head: the second one's compare fails and it sees the winner's head.
TEST_F(EtcdClientTest, TxnOnModRevisionFailsWhenAnotherWriteGotThereFirst) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  // The two writers talk to different members.
  auto writer_a = Client(ClientOptions(EndpointsStartingWith(0)));
  auto writer_b = Client(ClientOptions(EndpointsStartingWith(1)));
  ASSERT_NE(writer_a, nullptr);
  ASSERT_NE(writer_b, nullptr);

  ASSERT_OK_AND_ASSIGN(int64_t head_revision, writer_a->Put("/log/head", "0"));
  const std::vector<Compare> unchanged = {
      Compare::ModRevision("/log/head", Compare::Op::kEqual, head_revision)};

  ASSERT_OK_AND_ASSIGN(
      TxnResult a,
      writer_a->Txn(unchanged,
                    {TxnOp::Put("/log/head", "1"), TxnOp::Put("/log/00000000000000000001", "a")},
                    {TxnOp::Range("/log/head")}));
  EXPECT_TRUE(a.succeeded);
  EXPECT_GT(a.revision, head_revision);
  ASSERT_EQ(a.responses.size(), 2u);
  EXPECT_EQ(a.responses[0].kind, TxnOp::Kind::kPut);

  ASSERT_OK_AND_ASSIGN(
      TxnResult b,
      writer_b->Txn(unchanged,
                    {TxnOp::Put("/log/head", "1"), TxnOp::Put("/log/00000000000000000001", "b")},
                    {TxnOp::Range("/log/head")}));
  EXPECT_FALSE(b.succeeded);
  ASSERT_EQ(b.responses.size(), 1u);
  ASSERT_EQ(b.responses[0].kind, TxnOp::Kind::kRange);
  ASSERT_EQ(b.responses[0].range.kvs.size(), 1u);
  EXPECT_EQ(b.responses[0].range.kvs[0].value, "1");
  EXPECT_EQ(b.responses[0].range.kvs[0].mod_revision, a.revision);  // the winner's head

  ASSERT_OK_AND_ASSIGN(RangeResult entry, writer_b->Range("/log/00000000000000000001"));
  ASSERT_EQ(entry.kvs.size(), 1u);
  EXPECT_EQ(entry.kvs[0].value, "a");  // B wrote nothing

  // B decides again against the head it now sees, and lands.
  ASSERT_OK_AND_ASSIGN(
      TxnResult b2,
      writer_b->Txn({Compare::ModRevision("/log/head", Compare::Op::kEqual, a.revision)},
                    {TxnOp::Put("/log/head", "2"), TxnOp::Put("/log/00000000000000000002", "b")}));
  EXPECT_TRUE(b2.succeeded);

  // Create-if-absent (version == 0) and a value compare.
  ASSERT_OK_AND_ASSIGN(TxnResult create,
                       writer_a->Txn({Compare::Version("/log/meta", Compare::Op::kEqual, 0)},
                                     {TxnOp::Put("/log/meta", "v1")}));
  EXPECT_TRUE(create.succeeded);
  ASSERT_OK_AND_ASSIGN(TxnResult again,
                       writer_b->Txn({Compare::Version("/log/meta", Compare::Op::kEqual, 0)},
                                     {TxnOp::Put("/log/meta", "other")}));
  EXPECT_FALSE(again.succeeded);
  ASSERT_OK_AND_ASSIGN(TxnResult value,
                       writer_b->Txn({Compare::Value("/log/meta", Compare::Op::kEqual, "v1")},
                                     {TxnOp::Range("/log/meta")}));
  EXPECT_TRUE(value.succeeded);
}

TEST_F(EtcdClientTest, WatchFromAPastRevisionDeliversEveryEventInOrderThenProgress) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  auto client = Client(ClientOptions());
  ASSERT_NE(client, nullptr);

  constexpr int kEvents = 20;
  std::vector<int64_t> revisions;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_OK_AND_ASSIGN(int64_t rev, client->Put(absl::StrCat("/w/", 100 + i), absl::StrCat(i)));
    revisions.push_back(rev);
    ASSERT_OK(client->Put(absl::StrCat("/other/", i), "not watched").status());
  }

  WatchOptions options;
  options.key = "/w/";
  options.prefix = true;
  options.start_revision = revisions[0];
  options.progress_notify = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdWatch> watch, client->Watch(options));
  EXPECT_GE(watch->created_revision(), revisions.back());

  // History first: every event under the prefix, in revision order, nothing else.
  std::vector<WatchEvent> events;
  for (int i = 0; i < 4 * kEvents && static_cast<int>(events.size()) < kEvents; ++i) {
    ASSERT_OK_AND_ASSIGN(WatchBatch batch, watch->Next(absl::Seconds(10)));
    for (WatchEvent& e : batch.events) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    EXPECT_EQ(events[i].type, WatchEvent::Type::kPut);
    EXPECT_EQ(events[i].kv.key, absl::StrCat("/w/", 100 + i));
    EXPECT_EQ(events[i].kv.value, absl::StrCat(i));
    EXPECT_EQ(events[i].kv.mod_revision, revisions[i]);
  }

  // Then live changes.
  ASSERT_OK_AND_ASSIGN(int64_t live, client->Put("/w/live", "x"));
  WatchBatch live_batch;
  for (int i = 0; i < 50 && live_batch.events.empty(); ++i) {
    ASSERT_OK_AND_ASSIGN(live_batch, watch->Next(absl::Seconds(10)));
  }
  ASSERT_EQ(live_batch.events.size(), 1u);
  EXPECT_EQ(live_batch.events[0].kv.key, "/w/live");
  EXPECT_EQ(live_batch.events[0].kv.mod_revision, live);
  EXPECT_EQ(watch->resume_revision(), live + 1);

  // Idle: etcd's periodic progress notification says the watch has seen everything up to now.
  ASSERT_OK_AND_ASSIGN(WatchBatch progress, watch->Next(absl::Seconds(10)));
  EXPECT_TRUE(progress.progress_notify());
  EXPECT_GE(progress.revision, live);
  EXPECT_EQ(watch->resume_revision(), progress.revision + 1);

  // And one on request.
  ASSERT_OK(watch->RequestProgress());
  ASSERT_OK_AND_ASSIGN(WatchBatch requested, watch->Next(absl::Seconds(10)));
  EXPECT_TRUE(requested.progress_notify());

  watch->Cancel();
  // What was queued may still come; then the end, bounded.
  absl::Status end;
  for (int i = 0; i < 100 && end.ok(); ++i) end = watch->Next(absl::Seconds(10)).status();
  EXPECT_EQ(end.code(), absl::StatusCode::kCancelled) << end;
}

TEST_F(EtcdClientTest, WatchFromACompactedRevisionEndsWithOutOfRange) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  auto client = Client(ClientOptions());
  ASSERT_NE(client, nullptr);

  ASSERT_OK_AND_ASSIGN(int64_t r1, client->Put("/c/k", "1"));
  ASSERT_OK_AND_ASSIGN(int64_t r2, client->Put("/c/k", "2"));
  ASSERT_OK_AND_ASSIGN(int64_t r3, client->Put("/c/k", "3"));
  ASSERT_OK(client->Compact(r3, /*physical=*/true));

  RangeOptions at_r1;
  at_r1.revision = r1;
  auto old = client->Range("/c/k", at_r1);
  EXPECT_EQ(old.status().code(), absl::StatusCode::kOutOfRange) << old.status();
  EXPECT_THAT(std::string(old.status().message()), HasSubstr("compacted"));
  absl::Status again = client->Compact(r2, true);
  EXPECT_EQ(again.code(), absl::StatusCode::kOutOfRange) << again;

  WatchOptions options;
  options.key = "/c/k";
  options.start_revision = r1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdWatch> watch, client->Watch(options));
  auto first = watch->Next(absl::Seconds(10));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kOutOfRange) << first.status();
  EXPECT_THAT(std::string(first.status().message()), HasSubstr("compacted"));
  EXPECT_EQ(watch->compact_revision(), r3);
  // The end is sticky.
  EXPECT_EQ(watch->Next(absl::Seconds(1)).status().code(), absl::StatusCode::kOutOfRange);

  // From the compact revision on, history is there.
  options.start_revision = r3;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdWatch> from_r3, client->Watch(options));
  ASSERT_OK_AND_ASSIGN(WatchBatch batch, from_r3->Next(absl::Seconds(10)));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].kv.value, "3");
}

// The client talks to the leader; the leader is SIGKILLed. A read succeeds once a member with a
// leader answers (the others elect one), and writes go on from there. (A write sent to a follower
// before it notices the leader is gone can only time out, with an unknown outcome: that is etcd's
// nature, so the test reads first.)
TEST_F(EtcdClientTest, KeepsWorkingAfterTheMemberInUseIsKilled) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  ASSERT_OK_AND_ASSIGN(int leader, cluster_->WaitForLeader(absl::Seconds(10)));
  EtcdClientOptions options = ClientOptions(EndpointsStartingWith(leader));
  options.call_timeout = absl::Seconds(10);
  options.attempt_timeout = absl::Seconds(1);
  auto client = Client(options);
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Put("/f/before", "1").status());
  ASSERT_EQ(client->current_endpoint(), cluster_->endpoint(leader));

  ASSERT_OK(cluster_->Kill(leader));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(RangeResult read, client->Range("/f/before"));
  ASSERT_EQ(read.kvs.size(), 1u);
  EXPECT_EQ(read.kvs[0].value, "1");
  EXPECT_NE(client->current_endpoint(), cluster_->endpoint(leader));
  EXPECT_GE(client->stats().failovers, 1u);

  ASSERT_OK(client->Put("/f/after", "2").status());
  ASSERT_OK_AND_ASSIGN(TxnResult txn,
                       client->Txn({Compare::Version("/f/after", Compare::Op::kEqual, 1)},
                                   {TxnOp::Put("/f/after", "3")}));
  EXPECT_TRUE(txn.succeeded);
  EXPECT_LT(absl::Now() - start, options.call_timeout * 3);
}

// A frozen member (SIGSTOP) keeps its TCP connections but answers nothing: a read moves on after
// attempt_timeout; a write sent there can only time out, reported as an unknown outcome.
TEST_F(EtcdClientTest, ReadsMoveOnFromAFrozenMemberWhileAWriteThereHasAnUnknownOutcome) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  ASSERT_OK_AND_ASSIGN(int leader, cluster_->WaitForLeader(absl::Seconds(10)));
  const int follower = (leader + 1) % cluster_->size();
  EtcdClientOptions options = ClientOptions(EndpointsStartingWith(follower));
  options.call_timeout = absl::Seconds(4);
  options.attempt_timeout = absl::Milliseconds(500);
  auto client = Client(options);
  EtcdClientOptions only_options = ClientOptions({cluster_->endpoint(follower)});
  only_options.call_timeout = absl::Milliseconds(1500);
  auto only_follower = Client(only_options);
  ASSERT_NE(client, nullptr);
  ASSERT_NE(only_follower, nullptr);
  ASSERT_OK(client->Put("/s/k", "1").status());
  ASSERT_OK(only_follower->Put("/s/k", "2").status());  // connected
  ASSERT_EQ(client->current_endpoint(), cluster_->endpoint(follower));

  ASSERT_OK(cluster_->Stop(follower));
  ASSERT_OK_AND_ASSIGN(RangeResult read, client->Range("/s/k"));
  ASSERT_EQ(read.kvs.size(), 1u);
  EXPECT_EQ(read.kvs[0].value, "2");
  EXPECT_NE(client->current_endpoint(), cluster_->endpoint(follower));
  EXPECT_GE(client->stats().failovers, 1u);

  const absl::Time start = absl::Now();
  auto stuck = only_follower->Put("/s/k", "3");
  EXPECT_EQ(stuck.status().code(), absl::StatusCode::kDeadlineExceeded) << stuck.status();
  EXPECT_THAT(std::string(stuck.status().message()), HasSubstr("outcome unknown"));
  EXPECT_LT(absl::Now() - start, only_options.call_timeout + absl::Seconds(1));

  ASSERT_OK(cluster_->Cont(follower));
  ASSERT_OK(cluster_->WaitForLeader(absl::Seconds(10)).status());
}

TEST_F(EtcdClientTest, NoQuorumIsUnavailableWithinTheDeadline) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  EtcdClientOptions options = ClientOptions();
  options.call_timeout = absl::Seconds(2);
  options.attempt_timeout = absl::Milliseconds(700);
  auto client = Client(options);
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Put("/q/k", "kept").status());

  ASSERT_OK(cluster_->Kill(0));
  ASSERT_OK(cluster_->Kill(1));
  absl::Time start = absl::Now();
  auto read = client->Range("/q/k");
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable) << read.status();
  EXPECT_LT(took, options.call_timeout + absl::Seconds(1));
  for (const std::string& endpoint : cluster_->endpoints()) {
    EXPECT_THAT(std::string(read.status().message()), HasSubstr(endpoint));
  }
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("no member answered"));

  // Once the survivor knows it has no leader, a write is refused before it is proposed: certainly
  // not applied, so kUnavailable, not an unknown outcome.
  bool leaderless = false;
  const absl::Time wait_until = absl::Now() + absl::Seconds(15);
  for (int i = 0; i < 300 && !leaderless && absl::Now() < wait_until; ++i) {
    auto seen = cluster_->LeaderSeenBy(2, absl::Seconds(1));
    ASSERT_TRUE(seen.ok()) << seen.status();
    leaderless = *seen == 0;
    if (!leaderless) absl::SleepFor(absl::Milliseconds(50));  // poll interval, not ordering
  }
  ASSERT_TRUE(leaderless);
  start = absl::Now();
  auto write = client->Put("/q/k", "lost");
  took = absl::Now() - start;
  EXPECT_EQ(write.status().code(), absl::StatusCode::kUnavailable) << write.status();
  EXPECT_LT(took, options.call_timeout + absl::Seconds(1));
  EXPECT_THAT(std::string(write.status().message()), HasSubstr("etcdserver: no leader"));
  for (const std::string& endpoint : cluster_->endpoints()) {
    EXPECT_THAT(std::string(write.status().message()), HasSubstr(endpoint));
  }

  // Quorum back (same data dir and ports): the same client recovers, the data is there.
  ASSERT_OK(cluster_->Restart(0));
  ASSERT_OK(cluster_->WaitForLeader(absl::Seconds(15)).status());
  ASSERT_OK_AND_ASSIGN(RangeResult kept, client->Range("/q/k"));
  ASSERT_EQ(kept.kvs.size(), 1u);
  EXPECT_EQ(kept.kvs[0].value, "kept");
  ASSERT_OK(client->Put("/q/k", "again").status());
}

// Enables etcd auth the way an operator does (root role and user, then AuthEnable) over the
// generated Auth stub, at `endpoint`.
void EnableAuth(const std::string& endpoint, const std::string& root_password) {
  auto channel = grpc::CreateChannel(endpoint.substr(std::string("http://").size()),
                                     grpc::InsecureChannelCredentials());
  auto auth = etcdserverpb::Auth::NewStub(channel);
  auto call = [](auto method) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return method(&context);
  };
  etcdserverpb::AuthRoleAddRequest role;
  role.set_name("root");
  etcdserverpb::AuthRoleAddResponse role_response;
  grpc::Status s = call([&](grpc::ClientContext* c) { return auth->RoleAdd(c, role, &role_response); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  etcdserverpb::AuthUserAddRequest user;
  user.set_name("root");
  user.set_password(root_password);
  etcdserverpb::AuthUserAddResponse user_response;
  s = call([&](grpc::ClientContext* c) { return auth->UserAdd(c, user, &user_response); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  etcdserverpb::AuthUserGrantRoleRequest grant;
  grant.set_user("root");
  grant.set_role("root");
  etcdserverpb::AuthUserGrantRoleResponse grant_response;
  s = call([&](grpc::ClientContext* c) { return auth->UserGrantRole(c, grant, &grant_response); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  etcdserverpb::AuthEnableRequest enable;
  etcdserverpb::AuthEnableResponse enable_response;
  s = call([&](grpc::ClientContext* c) { return auth->AuthEnable(c, enable, &enable_response); });
  ASSERT_TRUE(s.ok()) << s.error_message();
}

// A root token for admin calls at `endpoint`.
std::string RootToken(etcdserverpb::Auth::Stub* auth, const std::string& root_password) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  etcdserverpb::AuthenticateRequest request;
  request.set_name("root");
  request.set_password(root_password);
  etcdserverpb::AuthenticateResponse response;
  grpc::Status s = auth->Authenticate(&context, request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return response.token();
}

// Adds a user without roles, as root.
void AddUser(const std::string& endpoint, const std::string& root_password,
             const std::string& name, const std::string& password) {
  auto channel = grpc::CreateChannel(endpoint.substr(std::string("http://").size()),
                                     grpc::InsecureChannelCredentials());
  auto auth = etcdserverpb::Auth::NewStub(channel);
  const std::string token = RootToken(auth.get(), root_password);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  context.AddMetadata("token", token);
  etcdserverpb::AuthUserAddRequest request;
  request.set_name(name);
  request.set_password(password);
  etcdserverpb::AuthUserAddResponse response;
  grpc::Status s = auth->UserAdd(&context, request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

// AuthDisable then AuthEnable, at `endpoint`: etcd forgets every simple token it issued. A member
// answers once it has applied the change, so a client talking to that same member next is sure
// to present an invalid token.
void RevokeTokens(const std::string& endpoint, const std::string& root_password) {
  auto channel = grpc::CreateChannel(endpoint.substr(std::string("http://").size()),
                                     grpc::InsecureChannelCredentials());
  auto auth = etcdserverpb::Auth::NewStub(channel);
  const std::string token = RootToken(auth.get(), root_password);
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    context.AddMetadata("token", token);
    etcdserverpb::AuthDisableRequest request;
    etcdserverpb::AuthDisableResponse response;
    grpc::Status s = auth->AuthDisable(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  etcdserverpb::AuthEnableRequest request;
  etcdserverpb::AuthEnableResponse response;
  grpc::Status s = auth->AuthEnable(&context, request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

TEST_F(EtcdClientTest, UserPasswordAuthenticationAndReauthenticationAfterRevokedTokens) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  const std::string kRootPassword = "root-secret-pw";
  ASSERT_NO_FATAL_FAILURE(EnableAuth(cluster_->endpoint(0), kRootPassword));
  ASSERT_NO_FATAL_FAILURE(AddUser(cluster_->endpoint(0), kRootPassword, "reader", "reader-pw"));

  auto anonymous = Client(ClientOptions());
  ASSERT_NE(anonymous, nullptr);
  auto refused = anonymous->Put("/a/k", "v");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();

  EtcdClientOptions wrong = ClientOptions();
  wrong.user = "root";
  wrong.password = "not-the-password";
  auto intruder = Client(wrong);
  ASSERT_NE(intruder, nullptr);
  auto denied = intruder->Range("/a/k");
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kUnauthenticated) << denied.status();
  EXPECT_THAT(std::string(denied.status().message()), HasSubstr("authentication failed"));
  EXPECT_EQ(std::string(denied.status().message()).find("not-the-password"), std::string::npos);

  EtcdClientOptions root_options = ClientOptions(EndpointsStartingWith(0));
  root_options.user = "root";
  root_options.password = kRootPassword;
  auto root = Client(root_options);
  ASSERT_NE(root, nullptr);
  ASSERT_OK(root->Put("/a/k", "v1").status());
  ASSERT_OK_AND_ASSIGN(RangeResult read, root->Range("/a/k"));
  ASSERT_EQ(read.kvs.size(), 1u);
  EXPECT_EQ(root->stats().authentications, 1u);
  ASSERT_EQ(root->current_endpoint(), cluster_->endpoint(0));

  // The member forgets root's token ("invalid auth token"): the client authenticates again by
  // itself, for a unary call and for a watch (refused at creation with the same error).
  ASSERT_NO_FATAL_FAILURE(RevokeTokens(cluster_->endpoint(0), kRootPassword));
  ASSERT_OK(root->Put("/a/k", "v2").status());
  EXPECT_EQ(root->stats().authentications, 2u);
  ASSERT_NO_FATAL_FAILURE(RevokeTokens(cluster_->endpoint(0), kRootPassword));
  WatchOptions watch_options;
  watch_options.key = "/a/k";
  watch_options.start_revision = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EtcdWatch> watch, root->Watch(watch_options));
  EXPECT_EQ(root->stats().authentications, 3u);
  ASSERT_OK_AND_ASSIGN(WatchBatch batch, watch->Next(absl::Seconds(10)));
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(batch.events[1].kv.value, "v2");

  // A valid user without a role may not write.
  EtcdClientOptions reader_options = ClientOptions();
  reader_options.user = "reader";
  reader_options.password = "reader-pw";
  auto reader = Client(reader_options);
  ASSERT_NE(reader, nullptr);
  auto forbidden = reader->Put("/a/k", "v3");
  EXPECT_EQ(forbidden.status().code(), absl::StatusCode::kPermissionDenied) << forbidden.status();
}

TEST_F(EtcdClientTest, RequestsOverEtcdsLimitAreInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());  // --max-request-bytes=64 KiB
  auto client = Client(ClientOptions());
  ASSERT_NE(client, nullptr);
  auto large = client->Put("/big", std::string(100 * 1024, 'x'));
  EXPECT_EQ(large.status().code(), absl::StatusCode::kInvalidArgument) << large.status();
  EXPECT_THAT(std::string(large.status().message()), HasSubstr("request is too large"));
  // Past etcd's gRPC receive limit (the request limit + 512 KiB) gRPC itself refuses.
  auto huge = client->Put("/big", std::string(1024 * 1024, 'x'));
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument) << huge.status();
  ASSERT_OK(client->Put("/big", std::string(1024, 'x')).status());
}

TEST_F(EtcdClientTest, StatusMemberListAndDefragmentDescribeTheCluster) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  auto client = Client(ClientOptions());
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Put("/m/k", "v").status());

  ASSERT_OK_AND_ASSIGN(std::vector<Member> members, client->MemberList());
  ASSERT_EQ(members.size(), 3u);
  std::vector<uint64_t> ids;
  for (const Member& m : members) {
    ids.push_back(m.id);
    ASSERT_EQ(m.client_urls.size(), 1u);
    EXPECT_THAT(m.client_urls[0], HasSubstr("http://127.0.0.1:"));
    EXPECT_FALSE(m.is_learner);
  }

  uint64_t leader = 0;
  for (const std::string& endpoint : cluster_->endpoints()) {
    ASSERT_OK_AND_ASSIGN(MemberStatus status, client->Status(endpoint));
    EXPECT_EQ(status.endpoint, endpoint);
    EXPECT_NE(std::find(ids.begin(), ids.end(), status.member_id), ids.end());
    EXPECT_NE(status.leader, 0u);
    if (leader != 0) {
      EXPECT_EQ(status.leader, leader);
    }
    leader = status.leader;
    EXPECT_GT(status.raft_index, 0u);
    EXPECT_GT(status.raft_term, 0u);
    EXPECT_GT(status.db_size, 0);
    EXPECT_EQ(status.version, "3.4.23");
    EXPECT_TRUE(status.errors.empty());
  }
  EXPECT_NE(std::find(ids.begin(), ids.end(), leader), ids.end());

  ASSERT_OK(client->Defragment(cluster_->endpoint(0)));
  auto unknown = client->Status("http://127.0.0.1:1");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument) << unknown.status();
}

TEST_F(EtcdClientTest, TlsWithAClientCertificate) {
  const std::string pki = e2e::MakeTempDir("pki");
  ASSERT_OK(e2e::MakeTestPki(pki));
  EtcdClusterOptions cluster_options = DefaultClusterOptions();
  cluster_options.tls_dir = pki;
  ASSERT_NO_FATAL_FAILURE(StartCluster(cluster_options));

  EtcdClientOptions options = ClientOptions();
  ASSERT_THAT(options.endpoints[0], HasSubstr("https://127.0.0.1:"));
  options.ca_file = pki + "/ca.pem";
  options.cert_file = pki + "/client.pem";
  options.key_file = pki + "/client.key";
  auto client = Client(options);
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Put("/tls/k", "v").status());
  ASSERT_OK_AND_ASSIGN(RangeResult read, client->Range("/tls/k"));
  ASSERT_EQ(read.kvs.size(), 1u);

  // A certificate from another CA: no member accepts the handshake.
  options.cert_file = pki + "/stranger.pem";
  options.key_file = pki + "/stranger.key";
  options.call_timeout = absl::Seconds(1);
  auto stranger = Client(options);
  ASSERT_NE(stranger, nullptr);
  auto refused = stranger->Range("/tls/k");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();

  EtcdClientOptions bad = options;
  bad.ca_file = pki + "/missing.pem";
  EXPECT_EQ(EtcdClient::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EtcdClientOptionsTest, MalformedEndpointsAreInvalidArgument) {
  for (const char* endpoint : {"127.0.0.1:2379", "http://", "http://host", "grpc://h:1",
                               "http://h:0", "http://h:99999", "http://h:1/path"}) {
    EtcdClientOptions options;
    options.endpoints = {endpoint};
    EXPECT_EQ(EtcdClient::Create(options).status().code(), absl::StatusCode::kInvalidArgument)
        << endpoint;
  }
  EXPECT_EQ(EtcdClient::Create(EtcdClientOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RangeEndForPrefixTest, IsTheSmallestKeyAfterThePrefix) {
  EXPECT_EQ(RangeEndForPrefix("/a/"), "/a0");
  EXPECT_EQ(RangeEndForPrefix(std::string("a\xff", 2)), "b");
  EXPECT_EQ(RangeEndForPrefix(std::string("\xff\xff", 2)), std::string(1, '\0'));
  EXPECT_EQ(RangeEndForPrefix(""), std::string(1, '\0'));
}

}  // namespace
}  // namespace authd::storage::etcd
