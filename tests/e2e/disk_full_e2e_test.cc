// End-to-end: the real authd on a data dir whose disk fills up. The data dir lives on a 4 MiB
// tmpfs that only this test process and its children see (tests/e2e/private_tmpfs.h); a filler
// file takes every free byte. While the disk is full, writes fail with RESOURCE_EXHAUSTED
// ("storage is full") and change nothing, Authorize and reads keep answering, and the log says
// why; once the filler is deleted writes succeed again without a restart. Then `authd verify`
// passes on the data dir and, after a restart, every acknowledged write is there and no failed
// one is. Two ways into the full disk: a log append (any write), and a flush RocksDB runs in the
// background (a Backup, which checkpoints the store).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/e2e/private_tmpfs.h"

namespace authd::e2e {
namespace {

constexpr uint64_t kTmpfsBytes = 4 << 20;

class DiskFullE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // First, while the process has no thread yet (gRPC starts them with the first channel).
    auto mounted = MountPrivateTmpfs(kTmpfsBytes);
    ASSERT_TRUE(mounted.ok()) << mounted.status();
    filler_ = *mounted + "/filler";
    authd_ = std::make_unique<AuthdProcess>(*mounted + "/authd");
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
    v1::SetupResponse setup;
    grpc::Status s = client_->Setup("admin", "acme", "metrics", &setup);
    ASSERT_TRUE(s.ok()) << s.error_message();
    operator_token_ = setup.authorization().token();
    org_id_ = setup.org().id();
    bucket_id_ = setup.bucket().id();
  }

  grpc::Status CreateReader(v1::Authorization* out) {
    grpc::Status s;
    *out = client_->CreateBucketReader(operator_token_, org_id_, bucket_id_, &s);
    return s;
  }

  grpc::Status CreateBucket(const std::string& name) {
    v1::CreateBucketRequest req;
    req.set_org_id(org_id_);
    req.set_name(name);
    v1::Bucket out;
    return client_->tenant->CreateBucket(AuthdClient::Ctx(operator_token_).get(), req, &out);
  }

  grpc::Status Deactivate(const std::string& id) {
    v1::UpdateAuthorizationRequest req;
    req.set_id(id);
    req.set_status("inactive");
    v1::Authorization out;
    return client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), req, &out);
  }

  grpc::Status Delete(const std::string& id) {
    v1::DeleteAuthorizationRequest req;
    req.set_id(id);
    v1::DeleteAuthorizationResponse out;
    return client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), req, &out);
  }

  // Reads the whole Backup stream; returns its final status.
  grpc::Status Backup() {
    auto ctx = AuthdClient::Ctx(operator_token_);
    auto reader = client_->admin->Backup(ctx.get(), v1::BackupRequest());
    v1::BackupChunk chunk;
    for (int i = 0; i < 10000 && reader->Read(&chunk); ++i) {
    }
    return reader->Finish();
  }

  void FillDisk() {
    auto filled = FillFileSystem(filler_, 2 * kTmpfsBytes);
    ASSERT_TRUE(filled.ok()) << filled.status();
  }

  // Creates readers until one fails (at most 100: the log's last page may still have room),
  // keeping the acknowledged ones in `acked`. Returns the failure.
  grpc::Status CreateReadersUntilFailure(std::vector<v1::Authorization>* acked) {
    for (int i = 0; i < 100; ++i) {
      v1::Authorization a;
      grpc::Status s = CreateReader(&a);
      if (!s.ok()) return s;
      acked->push_back(a);
    }
    return grpc::Status::OK;
  }

  // After the filler is gone: authd resumes RocksDB from a write, at most once a second.
  grpc::Status CreateReaderWhenResumed(v1::Authorization* out) {
    grpc::Status s;
    for (int i = 0; i < 50; ++i) {
      s = CreateReader(out);
      if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
  }

  void ExpectStorageFull(const grpc::Status& s, const std::string& what) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << what << ": " << s.error_code() << " " << s.error_message();
    EXPECT_NE(s.error_message().find("storage is full"), std::string::npos)
        << what << ": " << s.error_message();
  }

  // Authorize answers from memory, correctly, whatever the disk does.
  void ExpectAuthorizeServing(const std::vector<v1::Authorization>& allowed) {
    for (const auto& t : allowed) {
      EXPECT_TRUE(client_->Authorize(t.token(), "read", "buckets", bucket_id_, org_id_).allowed())
          << "token " << t.id();
    }
    EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
    EXPECT_EQ(client_->Authorize("authd_not-a-token", "read", "buckets", bucket_id_, org_id_)
                  .allowed(),
              false);
  }

  // Reads from RocksDB keep working: every authorization is listed, `first` can be fetched.
  void ExpectReadsServing(size_t authorizations, const v1::Authorization& first) {
    v1::ListAuthorizationsResponse list;
    grpc::Status s = client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(),
                                                        {}, &list);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(list.authorizations_size(), static_cast<int>(authorizations));
    v1::GetAuthorizationRequest get;
    get.set_id(first.id());
    v1::Authorization got;
    s = client_->auths->GetAuthorization(AuthdClient::Ctx(operator_token_).get(), get, &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(got.status(), "active");
  }

  // The log explains the full disk and holds no secret.
  void ExpectLogSaysFullWithoutSecrets(const std::vector<v1::Authorization>& tokens) {
    const std::string log = authd_->Log();
    EXPECT_NE(log.find("storage is full"), std::string::npos) << log;
    EXPECT_NE(log.find("writes are accepted again"), std::string::npos) << log;
    EXPECT_EQ(log.find(operator_token_), std::string::npos);
    EXPECT_EQ(log.find("$authd-sha256$"), std::string::npos);
    for (const auto& t : tokens) EXPECT_EQ(log.find(t.token()), std::string::npos) << t.id();
  }

  // Graceful stop (exit 0: the shutdown flush works again), `authd verify`, start again.
  void StopVerifyRestart() {
    client_.reset();
    auto code = authd_->Stop();
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << authd_->Log();
    auto verify = RunCommand(
        {RunfilePath("services/authd"), "verify", "--data-dir=" + authd_->data_dir()},
        absl::Seconds(60));
    ASSERT_TRUE(verify.ok()) << verify.status();
    EXPECT_EQ(verify->exit_code, 0) << verify->output;
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
  }

  // Sorted.
  std::vector<std::string> BucketNames() {
    v1::ListBucketsRequest req;
    req.set_org_id(org_id_);
    v1::ListBucketsResponse list;
    grpc::Status s =
        client_->tenant->ListBuckets(AuthdClient::Ctx(operator_token_).get(), req, &list);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> names;
    for (const auto& b : list.buckets()) names.push_back(b.name());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string filler_;
  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::string operator_token_, org_id_, bucket_id_;
};

TEST_F(DiskFullE2eTest, WritesFailCleanlyWhileTheLogCannotGrowAndResumeWhenSpaceReturns) {
  std::vector<v1::Authorization> acked;
  for (int i = 0; i < 3; ++i) {
    v1::Authorization a;
    ASSERT_TRUE(CreateReader(&a).ok());
    acked.push_back(a);
  }
  FillDisk();
  ExpectStorageFull(CreateReadersUntilFailure(&acked), "CreateAuthorization");
  ExpectStorageFull(CreateBucket("made-while-full"), "CreateBucket");
  ExpectStorageFull(Deactivate(acked[0].id()), "UpdateAuthorization");
  ExpectStorageFull(Delete(acked[1].id()), "DeleteAuthorization");
  ExpectAuthorizeServing(acked);
  ExpectReadsServing(acked.size() + 1, acked[0]);

  ASSERT_EQ(unlink(filler_.c_str()), 0);
  v1::Authorization after;
  grpc::Status resumed = CreateReaderWhenResumed(&after);
  ASSERT_TRUE(resumed.ok()) << resumed.error_code() << " " << resumed.error_message();
  acked.push_back(after);
  ASSERT_TRUE(CreateBucket("made-after").ok());
  ASSERT_TRUE(Delete(acked[1].id()).ok());
  ExpectLogSaysFullWithoutSecrets(acked);

  StopVerifyRestart();
  // acked[0]'s deactivation failed: still active. acked[1]'s delete, retried, succeeded.
  EXPECT_EQ(client_->Authorize(acked[1].token(), "read", "buckets", bucket_id_, org_id_).reason(),
            v1::DENY_REASON_UNKNOWN_TOKEN);
  acked.erase(acked.begin() + 1);
  ExpectAuthorizeServing(acked);
  ExpectReadsServing(acked.size() + 1, acked[0]);
  EXPECT_EQ(BucketNames(), (std::vector<std::string>{"made-after", "metrics"}));
}

TEST_F(DiskFullE2eTest, WritesFailCleanlyAfterABackgroundFlushMetTheFullDisk) {
  std::vector<v1::Authorization> acked;
  for (int i = 0; i < 3; ++i) {
    v1::Authorization a;
    ASSERT_TRUE(CreateReader(&a).ok());
    acked.push_back(a);
  }
  FillDisk();
  // A backup checkpoints the store: RocksDB flushes the memtables on a background thread, the
  // flush meets the full disk, and RocksDB stops writes although the log itself has not failed.
  ExpectStorageFull(Backup(), "Backup");
  v1::Authorization refused;
  ExpectStorageFull(CreateReader(&refused), "CreateAuthorization after the failed flush");
  ExpectStorageFull(CreateBucket("made-while-full"), "CreateBucket");
  ExpectAuthorizeServing(acked);
  ExpectReadsServing(acked.size() + 1, acked[0]);

  ASSERT_EQ(unlink(filler_.c_str()), 0);
  v1::Authorization after;
  grpc::Status resumed = CreateReaderWhenResumed(&after);
  ASSERT_TRUE(resumed.ok()) << resumed.error_code() << " " << resumed.error_message();
  acked.push_back(after);
  grpc::Status backup = Backup();
  EXPECT_TRUE(backup.ok()) << backup.error_message();
  ExpectLogSaysFullWithoutSecrets(acked);

  StopVerifyRestart();
  ExpectAuthorizeServing(acked);
  ExpectReadsServing(acked.size() + 1, acked[0]);
  EXPECT_EQ(BucketNames(), (std::vector<std::string>{"metrics"}));
}

}  // namespace
}  // namespace authd::e2e
