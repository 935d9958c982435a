// End-to-end: AuthorizationService.WatchAuthorizations on the real authd binary: the initial
// listing and a checkpoint, every kind of change in log order, the caller's scope, resuming after
// a client disconnect, a graceful restart and a kill -9 without a missed or repeated change, and
// bad input (malformed filters, a position from the future, a revoked caller, a client that stops
// reading). No secret is ever in a message.
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

using v1::WatchAuthorizationsRequest;
using v1::WatchAuthorizationsResponse;

// One stream, read by a thread of its own into a list the test polls (bounded waits only).
class Watcher {
 public:
  Watcher(v1::AuthorizationService::Stub* stub, const std::string& token,
          WatchAuthorizationsRequest request, bool read = true)
      : ctx_(AuthdClient::Ctx(token)) {
    ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    if (!request.has_checkpoint_interval()) request.mutable_checkpoint_interval()->set_nanos(200000000);
    reader_ = stub->WatchAuthorizations(ctx_.get(), request);
    if (read) Resume();
  }
  ~Watcher() {
    ctx_->TryCancel();
    if (thread_.joinable()) thread_.join();
  }

  // Starts reading (for a watcher created with read = false).
  void Resume() {
    thread_ = std::thread([this] {
      WatchAuthorizationsResponse m;
      while (reader_->Read(&m)) {
        std::lock_guard<std::mutex> lock(mu_);
        got_.push_back(m);
      }
      grpc::Status s = reader_->Finish();
      std::lock_guard<std::mutex> lock(mu_);
      status_ = s;
      done_ = true;
    });
  }

  std::vector<WatchAuthorizationsResponse> Got() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_;
  }
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  grpc::Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  // Waits (at most 20 s) for a checkpoint at or after `position`; true if one came.
  bool AwaitCheckpoint(uint64_t position) {
    return PollUntil(
        [&] {
          for (const auto& m : Got()) {
            if (m.kind() == v1::CHANGE_KIND_CHECKPOINT && m.position() >= position) return true;
          }
          return done();
        },
        absl::Seconds(20)) &&
           !done();
  }
  // The changes (not checkpoints) received.
  std::vector<WatchAuthorizationsResponse> Changes() {
    std::vector<WatchAuthorizationsResponse> out;
    for (const auto& m : Got()) {
      if (m.kind() != v1::CHANGE_KIND_CHECKPOINT) out.push_back(m);
    }
    return out;
  }
  void Cancel() { ctx_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<WatchAuthorizationsResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<WatchAuthorizationsResponse> got_;
  grpc::Status status_;
  bool done_ = false;
};

std::string Describe(const WatchAuthorizationsResponse& m) {
  return absl::StrCat(m.position(), " ", v1::ChangeKind_Name(m.kind()), " ",
                      m.authorization().id());
}

class WatchE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("watch");
    {
      std::ofstream clock(dir_ + "/clock");
      clock << "0\n";
    }
    authd_ = std::make_unique<AuthdProcess>(
        dir_ + "/authd", std::vector<std::string>{"--clock-offset-file=" + dir_ + "/clock"},
        std::vector<std::string>{"AUTHD_TESTING=1"});
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    Connect();
    v1::SetupResponse out;
    grpc::Status s = client_->Setup("admin", "acme", "metrics", &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    operator_ = out.authorization().token();
    operator_id_ = out.authorization().id();
    org_ = out.org().id();
    bucket_ = out.bucket().id();
    user_ = out.user().id();
  }

  void Connect() { client_ = std::make_unique<AuthdClient>(authd_->channel()); }

  WatchAuthorizationsRequest From(uint64_t position) {
    WatchAuthorizationsRequest r;
    r.set_from_position(position);
    return r;
  }

  v1::Authorization Create(const std::string& org, const std::string& user = "",
                           int ttl_seconds = 0) {
    v1::CreateAuthorizationRequest req;
    req.set_org_id(org);
    req.set_user_id(user);
    *req.add_permissions() = Perm("read", "buckets", "", org);
    if (ttl_seconds > 0) req.mutable_ttl()->set_seconds(ttl_seconds);
    v1::Authorization out;
    grpc::Status s = client_->Create(operator_, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  void Update(const std::string& id, const std::string& status, const std::string& description) {
    v1::UpdateAuthorizationRequest req;
    req.set_id(id);
    if (!status.empty()) req.set_status(status);
    if (!description.empty()) req.set_description(description);
    v1::Authorization out;
    grpc::Status s = client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  void Delete(const std::string& id, const std::string& caller = "") {
    v1::DeleteAuthorizationRequest req;
    req.set_id(id);
    v1::DeleteAuthorizationResponse out;
    grpc::Status s = client_->auths->DeleteAuthorization(
        AuthdClient::Ctx(caller.empty() ? operator_ : caller).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // The log position of the last write (the `authd-position` a write reports, read back through
  // a no-op: every authenticated call returns it).
  uint64_t Head() {
    auto ctx = AuthdClient::Ctx(operator_);
    v1::GetServerConfigRequest req;
    v1::GetServerConfigResponse out;
    EXPECT_TRUE(client_->admin->GetServerConfig(ctx.get(), req, &out).ok());
    auto it = ctx->GetServerTrailingMetadata().find("authd-position");
    if (it == ctx->GetServerTrailingMetadata().end()) {
      it = ctx->GetServerInitialMetadata().find("authd-position");
      if (it == ctx->GetServerInitialMetadata().end()) return 0;
    }
    return std::stoull(std::string(it->second.data(), it->second.size()));
  }

  void SetClockOffset(int seconds) {
    absl::Status s = e2e::SetClockOffset(*authd_, dir_ + "/clock", seconds);
    ASSERT_TRUE(s.ok()) << s << "\n" << authd_->Log();
  }

  std::string dir_;
  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::string operator_, operator_id_, org_, bucket_, user_;
};

TEST_F(WatchE2eTest, ListsThenStreamsEveryKindOfChangeInOrderWithoutSecrets) {
  v1::Authorization a = Create(org_);
  Watcher w(client_->auths.get(), operator_, From(0));
  ASSERT_TRUE(w.AwaitCheckpoint(0)) << w.status().error_message();
  {
    std::vector<WatchAuthorizationsResponse> got = w.Got();
    ASSERT_GE(got.size(), 3u);
    std::set<std::string> listed;
    for (size_t i = 0; i + 1 < got.size() && got[i].kind() == v1::CHANGE_KIND_EXISTING; ++i) {
      listed.insert(got[i].authorization().id());
      EXPECT_TRUE(got[i].user_active());
      EXPECT_EQ(got[i].authorization().permissions_size() > 0, true);
    }
    EXPECT_EQ(listed, (std::set<std::string>{operator_id_, a.id()}));
  }

  // A user of their own, so their status change is a change too.
  v1::CreateUserRequest user_req;
  user_req.set_name("bob");
  v1::User bob;
  ASSERT_TRUE(client_->tenant->CreateUser(AuthdClient::Ctx(operator_).get(), user_req, &bob).ok());
  v1::Authorization b = Create(org_, bob.id());
  Update(b.id(), "", "renamed");
  Update(b.id(), "inactive", "");
  Update(b.id(), "active", "");
  {
    v1::RotateAuthorizationRequest req;
    req.set_id(b.id());
    v1::Authorization out;
    ASSERT_TRUE(client_->auths->RotateAuthorization(AuthdClient::Ctx(operator_).get(), req, &out).ok());
  }
  v1::Authorization c = Create(org_, "", 3600);
  SetClockOffset(7200);  // the sweeper logs c's expiry within about a second
  ASSERT_TRUE(PollUntil(
      [&] {
        for (const auto& m : w.Changes()) {
          if (m.kind() == v1::CHANGE_KIND_EXPIRED) return true;
        }
        return false;
      },
      absl::Seconds(15)));
  v1::UpdateUserRequest deactivate;
  deactivate.set_id(bob.id());
  deactivate.set_status("inactive");
  v1::User out_user;
  ASSERT_TRUE(
      client_->tenant->UpdateUser(AuthdClient::Ctx(operator_).get(), deactivate, &out_user).ok());
  Delete(b.id());
  ASSERT_TRUE(w.AwaitCheckpoint(Head()));

  std::vector<std::string> kinds;
  uint64_t last = 0;
  for (const auto& m : w.Got()) {
    EXPECT_TRUE(m.authorization().token().empty()) << Describe(m);
    if (m.kind() == v1::CHANGE_KIND_EXISTING) continue;
    EXPECT_GE(m.position(), last) << Describe(m);
    if (m.kind() != v1::CHANGE_KIND_CHECKPOINT) {
      EXPECT_GT(m.position(), last) << "positions of changes strictly increase: " << Describe(m);
      kinds.push_back(v1::ChangeKind_Name(m.kind()));
    }
    last = m.position();
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{
                       "CHANGE_KIND_CREATED", "CHANGE_KIND_UPDATED", "CHANGE_KIND_DEACTIVATED",
                       "CHANGE_KIND_ACTIVATED", "CHANGE_KIND_ROTATED", "CHANGE_KIND_CREATED",
                       "CHANGE_KIND_EXPIRED", "CHANGE_KIND_USER_STATUS", "CHANGE_KIND_DELETED"}));
  std::vector<WatchAuthorizationsResponse> changes = w.Changes();
  const WatchAuthorizationsResponse& user_change = changes[changes.size() - 2];
  EXPECT_EQ(user_change.authorization().user_id(), bob.id());
  EXPECT_FALSE(user_change.user_active());
  const WatchAuthorizationsResponse& deleted = changes.back();
  EXPECT_EQ(deleted.authorization().id(), b.id());
  EXPECT_EQ(deleted.authorization().org_id(), org_);
  EXPECT_EQ(deleted.authorization().user_id(), bob.id());
  EXPECT_EQ(authd_->Log().find(b.token()), std::string::npos);
}

TEST_F(WatchE2eTest, OnlyTheCallersScopeIsStreamed) {
  // An all-access token of acme, and a second org whose tokens it must not see.
  v1::CreateOrgRequest org_req;
  org_req.set_name("other");
  v1::Org other;
  ASSERT_TRUE(client_->tenant->CreateOrg(AuthdClient::Ctx(operator_).get(), org_req, &other).ok());
  v1::CreateAuthorizationRequest all;
  all.set_org_id(org_);
  all.set_preset(v1::PRESET_ALL_ACCESS);
  v1::Authorization acme_admin;
  ASSERT_TRUE(client_->Create(operator_, all, &acme_admin).ok());

  Watcher scoped(client_->auths.get(), acme_admin.token(), From(0));
  WatchAuthorizationsRequest only_other = From(0);
  only_other.set_org_id(other.id());
  Watcher filtered(client_->auths.get(), operator_, only_other);
  ASSERT_TRUE(scoped.AwaitCheckpoint(0));
  ASSERT_TRUE(filtered.AwaitCheckpoint(0));
  v1::Authorization in_acme = Create(org_);
  v1::Authorization in_other = Create(other.id());
  const uint64_t head = Head();
  ASSERT_TRUE(scoped.AwaitCheckpoint(head));
  ASSERT_TRUE(filtered.AwaitCheckpoint(head));
  for (const auto& m : scoped.Got()) {
    if (m.kind() == v1::CHANGE_KIND_CHECKPOINT) continue;
    EXPECT_EQ(m.authorization().org_id(), org_) << Describe(m);
  }
  std::vector<std::string> ids;
  for (const auto& m : scoped.Changes()) {
    if (m.kind() == v1::CHANGE_KIND_CREATED) ids.push_back(m.authorization().id());
  }
  EXPECT_EQ(ids, std::vector<std::string>{in_acme.id()});
  ids.clear();
  for (const auto& m : filtered.Changes()) ids.push_back(m.authorization().id());
  EXPECT_EQ(ids, std::vector<std::string>{in_other.id()});
}

TEST_F(WatchE2eTest, ResumesAfterADisconnectARestartAndAKill9WithoutGapsOrRepeats) {
  // The reference: what a watcher that never disconnected sees, from the same position.
  const uint64_t start = Head();
  std::vector<std::string> expected;
  auto record = [&](const std::string& kind, const std::string& id) {
    expected.push_back(absl::StrCat(kind, " ", id));
  };

  Watcher first(client_->auths.get(), operator_, From(start));
  v1::Authorization a = Create(org_);
  record("CHANGE_KIND_CREATED", a.id());
  ASSERT_TRUE(first.AwaitCheckpoint(Head()));
  uint64_t resume = 0;
  for (const auto& m : first.Got()) resume = std::max<uint64_t>(resume, m.position());
  first.Cancel();

  // Missed while disconnected.
  Update(a.id(), "inactive", "");
  record("CHANGE_KIND_DEACTIVATED", a.id());
  Watcher second(client_->auths.get(), operator_, From(resume));
  ASSERT_TRUE(second.AwaitCheckpoint(Head()));
  // A graceful restart ends the stream UNAVAILABLE ("resume elsewhere").
  ASSERT_TRUE(authd_->Restart().ok()) << authd_->Log();
  Connect();
  ASSERT_TRUE(PollUntil([&] { return second.done(); }, absl::Seconds(20)));
  EXPECT_EQ(second.status().error_code(), grpc::StatusCode::UNAVAILABLE)
      << second.status().error_message();
  for (const auto& m : second.Got()) resume = std::max<uint64_t>(resume, m.position());

  v1::Authorization b = Create(org_);
  record("CHANGE_KIND_CREATED", b.id());
  authd_->Kill9();
  ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
  Connect();
  Delete(a.id());
  record("CHANGE_KIND_DELETED", a.id());

  Watcher third(client_->auths.get(), operator_, From(resume));
  ASSERT_TRUE(third.AwaitCheckpoint(Head()));
  std::vector<std::string> got;
  std::vector<uint64_t> positions;
  for (Watcher* w : {&first, &second, &third}) {
    for (const auto& m : w->Changes()) {
      got.push_back(absl::StrCat(v1::ChangeKind_Name(m.kind()), " ", m.authorization().id()));
      positions.push_back(m.position());
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end()));
  EXPECT_EQ(std::adjacent_find(positions.begin(), positions.end()), positions.end())
      << "a change was sent twice";
}

TEST_F(WatchE2eTest, BadInputAndRevokedCallersEndTheStreamWithClearErrors) {
  struct Case {
    WatchAuthorizationsRequest request;
    std::string token;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  WatchAuthorizationsRequest r;
  r.set_org_id("not-an-id");
  cases.push_back({r, operator_, grpc::StatusCode::INVALID_ARGUMENT, "org_id"});
  r = From(0);
  r.mutable_checkpoint_interval()->set_nanos(5000000);
  cases.push_back({r, operator_, grpc::StatusCode::INVALID_ARGUMENT,
                   "checkpoint_interval: want 100ms to 60s"});
  cases.push_back({From(0), "", grpc::StatusCode::UNAUTHENTICATED, ""});
  cases.push_back({From(0), "nope-nope-nope-nope", grpc::StatusCode::UNAUTHENTICATED, ""});
  cases.push_back({From(Head() + 1000), operator_, grpc::StatusCode::OUT_OF_RANGE,
                   "is ahead of this authd's log"});
  for (Case& c : cases) {
    Watcher w(client_->auths.get(), c.token, c.request);
    ASSERT_TRUE(PollUntil([&] { return w.done(); }, absl::Seconds(30)));
    EXPECT_EQ(w.status().error_code(), c.code) << w.status().error_message();
    EXPECT_NE(w.status().error_message().find(c.message), std::string::npos)
        << w.status().error_message();
    EXPECT_TRUE(w.Got().empty());
  }

  // A caller whose token is deleted is cut off at its next checkpoint.
  v1::CreateAuthorizationRequest all;
  all.set_org_id(org_);
  all.set_preset(v1::PRESET_ALL_ACCESS);
  v1::Authorization caller;
  ASSERT_TRUE(client_->Create(operator_, all, &caller).ok());
  Watcher w(client_->auths.get(), caller.token(), From(Head()));
  ASSERT_TRUE(w.AwaitCheckpoint(0));
  Delete(caller.id());
  ASSERT_TRUE(PollUntil([&] { return w.done(); }, absl::Seconds(20)));
  EXPECT_EQ(w.status().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(w.status().error_message().find("no longer authenticates"), std::string::npos);
  EXPECT_EQ(authd_->Log().find(caller.token()), std::string::npos);
}

TEST_F(WatchE2eTest, ARestoreEndsEveryStreamAborted) {
  // A backup taken now, restored after more writes: the log goes back to this point.
  std::vector<v1::BackupChunk> chunks;
  {
    auto ctx = AuthdClient::Ctx(operator_);
    auto reader = client_->admin->Backup(ctx.get(), v1::BackupRequest());
    v1::BackupChunk chunk;
    for (int i = 0; i < 10000 && reader->Read(&chunk); ++i) chunks.push_back(chunk);
    ASSERT_TRUE(reader->Finish().ok());
  }
  for (int i = 0; i < 3; ++i) Create(org_);
  Watcher w(client_->auths.get(), operator_, From(Head()));
  ASSERT_TRUE(w.AwaitCheckpoint(0));
  {
    auto ctx = AuthdClient::Ctx(operator_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::RestoreResponse resp;
    auto writer = client_->admin->Restore(ctx.get(), &resp);
    for (const auto& c : chunks) ASSERT_TRUE(writer->Write(c));
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(PollUntil([&] { return w.done(); }, absl::Seconds(20)));
  EXPECT_EQ(w.status().error_code(), grpc::StatusCode::ABORTED) << w.status().error_message();
  EXPECT_NE(w.status().error_message().find("restored"), std::string::npos);
  // Relisting works on the restored store.
  Watcher again(client_->auths.get(), operator_, From(0));
  ASSERT_TRUE(again.AwaitCheckpoint(0));
}

TEST_F(WatchE2eTest, BurstsReachAFastReaderWhileAClientThatStopsReadingIsCutOff) {
  authd_->set_extra_args({"--clock-offset-file=" + dir_ + "/clock", "--watch-stall-timeout=2s"});
  ASSERT_TRUE(authd_->Restart().ok()) << authd_->Log();
  Connect();
  const uint64_t start = Head();
  v1::Authorization a = Create(org_);
  Watcher slow(client_->auths.get(), operator_, From(start), /*read=*/false);
  Watcher steady(client_->auths.get(), operator_, From(start));
  ASSERT_TRUE(steady.AwaitCheckpoint(start));
  // A burst far beyond the 1,024-message queue (~1.3 KB each, with a 1,000-byte description)
  // and what the transport buffers (the kernel's loopback socket buffers grow to a few MB).
  constexpr int kChanges = 12000;
  constexpr int kWriters = 16;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kChanges; i += kWriters) {
        Update(a.id(), "", absl::StrCat(i, std::string(1000, 'd')).substr(0, 1000));
      }
    });
  }
  for (auto& t : writers) t.join();
  const uint64_t head = Head();
  // The reading client got every change, in order, and was never cut off.
  ASSERT_TRUE(steady.AwaitCheckpoint(head))
      << steady.done() << " " << steady.status().error_code() << " " << steady.status().error_message()
      << " got " << steady.Got().size() << "\n" << authd_->Log().substr(authd_->Log().size() > 3000 ? authd_->Log().size() - 3000 : 0);
  EXPECT_EQ(steady.Changes().size(), static_cast<size_t>(kChanges + 1));
  EXPECT_FALSE(steady.done());
  // The one that read nothing for longer than the stall timeout was cut off: once it reads, it
  // finds the end of the stream after what was already buffered for it.
  ASSERT_TRUE(PollUntil([&] { return authd_->Log().find("watch: cut off a stream") != std::string::npos; },
                        absl::Seconds(30)));
  slow.Resume();
  ASSERT_TRUE(PollUntil([&] { return slow.done(); }, absl::Seconds(30)));
  EXPECT_TRUE(slow.status().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
              slow.status().error_code() == grpc::StatusCode::CANCELLED)
      << slow.status().error_code() << " " << slow.status().error_message();
  EXPECT_LT(slow.Changes().size(), static_cast<size_t>(kChanges));
  // What it did receive is a prefix of the log: resuming from its last position loses nothing.
  uint64_t last = 0;
  for (const auto& m : slow.Got()) last = m.position();
  Watcher again(client_->auths.get(), operator_, From(last));
  ASSERT_TRUE(again.AwaitCheckpoint(head));
  EXPECT_EQ(slow.Changes().size() + again.Changes().size(), static_cast<size_t>(kChanges + 1));
}

}  // namespace
}  // namespace authd::e2e
