// TokenStore::Verify against a damaged projection: a clean store has no problems; a projection row
// deleted, added or changed behind authd's back is counted as missing, extra or different in the
// column family it is in (the merge of the replay against the snapshot, without copies).
#include <stdlib.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "storage/db.h"
#include "storage/keys.h"
#include "storage/token_store.h"

namespace authd::storage {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/verify_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = MakeTempDir() + "/data";
    Open();
    SetupCommand cmd;
    cmd.username = "alice";
    cmd.org = "acme";
    cmd.bucket = "metrics";
    cmd.token = "tok-verify-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
    ASSERT_TRUE(store_->Setup(cmd).ok());
  }

  void Open() {
    store_.reset();
    auto store = TokenStore::Open(options_, &clock_, &index_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Edits the live store's RocksDB directly, with authd closed.
  void Damage(const std::function<void(Db&, rocksdb::WriteBatch&)>& edit) {
    store_.reset();
    {
      auto db = Db::Open(options_.data_dir + "/current");
      ASSERT_TRUE(db.ok()) << db.status();
      rocksdb::WriteBatch batch;
      edit(**db, batch);
      ASSERT_TRUE((*db)->Write(&batch, /*sync=*/true).ok());
    }
    Open();
  }

  std::vector<std::string> Problems() {
    auto report = store_->Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? report->problems : std::vector<std::string>{"verify failed"};
  }

  TokenStoreOptions options_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  authz::TokenIndex index_;
  std::unique_ptr<TokenStore> store_;
};

TEST_F(VerifyTest, ACleanStoreHasNoProblems) {
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  EXPECT_EQ(report->events, store_->LastSequence());
  EXPECT_GT(report->projection_keys, 0u);
}

TEST_F(VerifyTest, MissingExtraAndChangedRowsAreCountedPerColumnFamily) {
  std::string changed_key, deleted_key;
  Damage([&](Db& db, rocksdb::WriteBatch& batch) {
    auto rows = db.EntriesWithPrefix(kTenantsCf, "", "", 100);
    ASSERT_TRUE(rows.ok());
    ASSERT_GE(rows->size(), 2u);
    deleted_key = (*rows)[0].first;
    changed_key = (*rows)[1].first;
    batch.Delete(db.cf(kTenantsCf), deleted_key);
    batch.Put(db.cf(kTenantsCf), changed_key, "not the projected value");
    batch.Put(db.cf(kTenantsCf), std::string("\xff\xff extra row"), "x");
    batch.Put(db.cf(kAuthByOrgCf), std::string("\xff\xff another"), "");
  });
  const std::vector<std::string> problems = Problems();
  const std::vector<std::string> want = {
      "projection " + std::string(kAuthByOrgCf) +
          " differs from a replay of the log: 0 missing, 1 extra, 0 different keys",
      "projection " + std::string(kTenantsCf) +
          " differs from a replay of the log: 1 missing, 1 extra, 1 different keys"};
  EXPECT_EQ(problems, want);
}

}  // namespace
}  // namespace authd::storage
