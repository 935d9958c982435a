// storage/incoming_restore: a received backup is swapped in only by a successful Commit; a restore
// dropped half-way (cancelled stream, bad chunk, failed commit) leaves no directory behind and the
// live store serving.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "storage/backup_files.h"
#include "storage/incoming_restore.h"
#include "storage/token_store.h"

namespace authd::storage {
namespace {

namespace fs = std::filesystem;

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/incoming_restore_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

int IncomingDirs(const std::string& data_dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(data_dir)) {
    if (absl::StartsWith(e.path().filename().string(), "incoming-")) ++n;
  }
  return n;
}

class IncomingRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    {
      TokenStoreOptions options;
      options.data_dir = root_ + "/source";
      authz::TokenIndex index;
      auto source = TokenStore::Open(options, &clock_, &index);
      ASSERT_TRUE(source.ok()) << source.status();
      Setup(**source, kBackupToken);
      auto snapshot = (*source)->CreateSnapshot();
      ASSERT_TRUE(snapshot.ok()) << snapshot.status();
      fs::copy(snapshot->store_dir, root_ + "/backup", fs::copy_options::recursive);
      (*source)->ReleaseSnapshot(*snapshot);
    }
    auto described = DescribeBackupDir(root_ + "/backup");
    ASSERT_TRUE(described.ok()) << described.status();
    files_ = *described;
    TokenStoreOptions options;
    options.data_dir = root_ + "/live";
    auto store = TokenStore::Open(options, &clock_, &index_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    Setup(*store_, kLiveToken);
  }

  static void Setup(TokenStore& store, const std::string& token) {
    SetupCommand cmd;
    cmd.username = "alice";
    cmd.org = "acme";
    cmd.bucket = "metrics";
    cmd.token = token;
    ASSERT_TRUE(store.Setup(cmd).ok());
  }

  // Sends every chunk of every file of the backup.
  void SendAll(IncomingRestore& restore) {
    for (const BackupFile& f : files_) {
      auto reader = BackupFileReader::Open(root_ + "/backup/" + f.name);
      ASSERT_TRUE(reader.ok());
      for (int guard = 0; guard < 10000; ++guard) {
        auto next = (*reader)->Next();
        ASSERT_TRUE(next.ok());
        if (!next->has_value()) break;
        ASSERT_TRUE(restore.Append(f.name, (*next)->offset, (*next)->data).ok());
      }
    }
  }

  bool Allowed(const std::string& token) {
    authz::Permission read_orgs{authz::Action::kRead, {authz::ResourceType::kOrgs, 0, 0}};
    return index_.Authorize(authz::DigestToken(token), read_orgs, CoarseNowNanos()).allowed;
  }

  const std::string kLiveToken = "tok-live-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  const std::string kBackupToken = "tok-backup-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  std::string root_;
  std::vector<BackupFile> files_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  authz::TokenIndex index_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(IncomingRestoreTest, DroppedHalfWayLeavesNothingAndTheLiveStoreServing) {
  {
    auto restore = IncomingRestore::Begin(store_.get(), files_);
    ASSERT_TRUE(restore.ok()) << restore.status();
    EXPECT_EQ(IncomingDirs(root_ + "/live"), 1);
    // Half of the first file, then the stream "goes away".
    const BackupFile& f = files_.front();
    auto reader = BackupFileReader::Open(root_ + "/backup/" + f.name);
    ASSERT_TRUE(reader.ok());
    auto first = (*reader)->Next();
    ASSERT_TRUE(first.ok() && first->has_value());
    ASSERT_TRUE((*restore)->Append(f.name, 0, (*first)->data.substr(0, 1)).ok());
  }
  EXPECT_EQ(IncomingDirs(root_ + "/live"), 0);
  EXPECT_TRUE(Allowed(kLiveToken));
  EXPECT_FALSE(Allowed(kBackupToken));
}

TEST_F(IncomingRestoreTest, AnIncompleteBackupIsRefusedAtCommit) {
  auto restore = IncomingRestore::Begin(store_.get(), files_);
  ASSERT_TRUE(restore.ok()) << restore.status();
  // Only the first file arrives.
  auto reader = BackupFileReader::Open(root_ + "/backup/" + files_.front().name);
  ASSERT_TRUE(reader.ok());
  for (int guard = 0; guard < 10000; ++guard) {
    auto next = (*reader)->Next();
    ASSERT_TRUE(next.ok());
    if (!next->has_value()) break;
    ASSERT_TRUE((*restore)->Append(files_.front().name, (*next)->offset, (*next)->data).ok());
  }
  auto committed = (*restore)->Commit();
  EXPECT_EQ(committed.status().code(), absl::StatusCode::kInvalidArgument) << committed.status();
  restore->reset();
  EXPECT_EQ(IncomingDirs(root_ + "/live"), 0);
  EXPECT_TRUE(Allowed(kLiveToken));
}

TEST_F(IncomingRestoreTest, ACompleteBackupIsSwappedInByCommit) {
  auto restore = IncomingRestore::Begin(store_.get(), files_);
  ASSERT_TRUE(restore.ok()) << restore.status();
  SendAll(**restore);
  auto committed = (*restore)->Commit();
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(committed->authorizations, 1u);
  EXPECT_EQ((*restore)->Commit().status().code(), absl::StatusCode::kFailedPrecondition);
  restore->reset();
  EXPECT_TRUE(Allowed(kBackupToken));
  EXPECT_FALSE(Allowed(kLiveToken));
}

}  // namespace
}  // namespace authd::storage
