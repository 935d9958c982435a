#include "storage/db.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"

namespace authd::storage {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/db_test.XXXXXX";
  char* made = mkdtemp(templ.data());
  EXPECT_NE(made, nullptr);
  return templ;
}

class DbTest : public ::testing::Test {
 protected:
  std::string root_ = MakeTempDir();
};

TEST_F(DbTest, OpenCreatesDataDirWithMode0700) {
  const std::string dir = root_ + "/nested/data";
  auto db = Db::Open(dir);
  ASSERT_TRUE(db.ok()) << db.status();
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // The intermediate component it created is private too.
  ASSERT_EQ(stat((root_ + "/nested").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(DbTest, OpenRejectsEmptyDir) {
  auto db = Db::Open("");
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DbTest, OpenRejectsPathThatIsAFile) {
  const std::string file = root_ + "/file";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  auto db = Db::Open(file);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition) << db.status();
}

TEST_F(DbTest, OpenHasEveryColumnFamily) {
  auto db = Db::Open(root_ + "/data");
  ASSERT_TRUE(db.ok()) << db.status();
  for (absl::string_view cf : {kEventsCf, kMetaCf, kAuthorizationsCf, kTokenIndexCf, kAuthByUserCf,
                               kAuthByOrgCf, kTenantsCf, kRawTokensCf}) {
    EXPECT_NE((*db)->cf(cf), nullptr) << cf;
  }
  EXPECT_EQ((*db)->cf("nope"), nullptr);
}

TEST_F(DbTest, ProjectionCfsAreTheFamiliesDerivedFromTheLog) {
  // raw_tokens is not derived from the log (raw tokens are never in events), so it must not be
  // among the families a rebuild drops.
  EXPECT_EQ(Db::ProjectionCfs(),
            (std::vector<absl::string_view>{kAuthorizationsCf, kTokenIndexCf, kAuthByUserCf,
                                            kAuthByOrgCf, kTenantsCf}));
}

TEST_F(DbTest, GetReturnsNulloptForMissingKeyAndValueAfterWrite) {
  auto db = Db::Open(root_ + "/data");
  ASSERT_TRUE(db.ok()) << db.status();
  auto missing = (*db)->Get(kTenantsCf, "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  rocksdb::WriteBatch batch;
  batch.Put((*db)->cf(kTenantsCf), "k", "v");
  ASSERT_TRUE((*db)->Write(&batch, /*sync=*/true).ok());
  auto got = (*db)->Get(kTenantsCf, "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<std::string>("v"));
  // Column families are separate keyspaces.
  auto other = (*db)->Get(kAuthorizationsCf, "k");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST_F(DbTest, ScanReturnsPairsInKeyOrder) {
  auto db = Db::Open(root_ + "/data");
  ASSERT_TRUE(db.ok()) << db.status();
  rocksdb::WriteBatch batch;
  for (uint64_t seq : {300u, 2u, 70000u, 1u}) {
    batch.Put((*db)->cf(kEventsCf), EncodeU64(seq), std::to_string(seq));
  }
  ASSERT_TRUE((*db)->Write(&batch, /*sync=*/false).ok());
  auto scan = (*db)->Scan(kEventsCf);
  ASSERT_TRUE(scan.ok()) << scan.status();
  std::vector<std::pair<std::string, std::string>> want;
  for (uint64_t seq : {1u, 2u, 300u, 70000u}) want.emplace_back(EncodeU64(seq), std::to_string(seq));
  EXPECT_EQ(*scan, want);
}

TEST_F(DbTest, ClearProjectionCfsEmptiesProjectionsButKeepsEventsMetaAndRawTokens) {
  auto db = Db::Open(root_ + "/data");
  ASSERT_TRUE(db.ok()) << db.status();
  rocksdb::WriteBatch batch;
  batch.Put((*db)->cf(kEventsCf), EncodeU64(1), "event-1");
  batch.Put((*db)->cf(kEventsCf), EncodeU64(2), "event-2");
  batch.Put((*db)->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(2));
  batch.Put((*db)->cf(kRawTokensCf), EncodeU64(7), "raw-token-7");
  for (absl::string_view cf : Db::ProjectionCfs()) {
    batch.Put((*db)->cf(cf), "a", "1");
    batch.Put((*db)->cf(cf), "b", "2");
  }
  ASSERT_TRUE((*db)->Write(&batch, /*sync=*/true).ok());
  ASSERT_TRUE((*db)->Flush().ok());  // Some data in SST files, not only memtables.

  std::vector<rocksdb::ColumnFamilyHandle*> handles_before;
  for (absl::string_view cf : Db::ProjectionCfs()) handles_before.push_back((*db)->cf(cf));

  ASSERT_TRUE((*db)->ClearProjectionCfs().ok());

  for (size_t i = 0; i < Db::ProjectionCfs().size(); ++i) {
    absl::string_view cf = Db::ProjectionCfs()[i];
    auto scan = (*db)->Scan(cf);
    ASSERT_TRUE(scan.ok()) << scan.status();
    EXPECT_TRUE(scan->empty()) << cf;
    // The same handle: a reader holding it never sees it destroyed.
    EXPECT_EQ((*db)->cf(cf), handles_before[i]) << cf;
  }
  auto events = (*db)->Scan(kEventsCf);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(*events, (std::vector<std::pair<std::string, std::string>>{
                         {EncodeU64(1), "event-1"}, {EncodeU64(2), "event-2"}}));
  auto checkpoint = (*db)->Get(kMetaCf, kCheckpointKey);
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(*checkpoint, std::optional<std::string>(EncodeU64(2)));
  auto raw = (*db)->Get(kRawTokensCf, EncodeU64(7));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, std::optional<std::string>("raw-token-7"));

  // The cleared families take writes, and the clearing survives a reopen.
  rocksdb::WriteBatch again;
  again.Put((*db)->cf(kTenantsCf), "c", "3");
  ASSERT_TRUE((*db)->Write(&again, /*sync=*/true).ok());
  db->reset();
  auto reopened = Db::Open(root_ + "/data");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto tenants = (*reopened)->Scan(kTenantsCf);
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, (std::vector<std::pair<std::string, std::string>>{{"c", "3"}}));
  auto events_after = (*reopened)->Scan(kEventsCf);
  ASSERT_TRUE(events_after.ok());
  EXPECT_EQ(events_after->size(), 2u);
}

// True when some regular file under `dir` holds `needle`.
bool AnyFileContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST_F(DbTest, PurgeDeletedLeavesNoCopyOfDeletedValuesInFiles) {
  const std::string dir = root_ + "/data";
  auto db = Db::Open(dir);
  ASSERT_TRUE(db.ok()) << db.status();
  // Distinct, incompressible-looking values so a match cannot come from elsewhere.
  const std::string gone = "purge-me-7f3a9c1e5b2d8046aa91c3e7";
  const std::string kept = "keep-me-0b6e2f8d4c1a9375ee20d4b8";
  rocksdb::WriteBatch put;
  put.Put((*db)->cf(kRawTokensCf), EncodeU64(1), gone);
  put.Put((*db)->cf(kRawTokensCf), EncodeU64(2), kept);
  ASSERT_TRUE((*db)->Write(&put, /*sync=*/true).ok());
  ASSERT_TRUE((*db)->Flush().ok());
  ASSERT_TRUE(AnyFileContains(dir, gone)) << "control: the value should be in an SST file";

  rocksdb::WriteBatch del;
  del.Delete((*db)->cf(kRawTokensCf), EncodeU64(1));
  ASSERT_TRUE((*db)->Write(&del, /*sync=*/true).ok());
  ASSERT_TRUE((*db)->PurgeDeleted(kRawTokensCf).ok());

  EXPECT_FALSE(AnyFileContains(dir, gone));
  EXPECT_TRUE(AnyFileContains(dir, kept));
  auto rows = (*db)->Scan(kRawTokensCf);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::vector<std::pair<std::string, std::string>>{{EncodeU64(2), kept}}));
  db->reset();
  EXPECT_FALSE(AnyFileContains(dir, gone));
}

TEST_F(DbTest, SecondOpenOfLockedDirIsFailedPreconditionMentioningLock) {
  const std::string dir = root_ + "/data";
  auto first = Db::Open(dir);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Db::Open(dir);
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_NE(second.status().message().find("lock"), std::string::npos) << second.status();
}

TEST_F(DbTest, OpenWithUnreadableCurrentFileIsUnavailable) {
  // An I/O error that has nothing to do with the LOCK: CURRENT is a directory.
  if (root_.find("lock") != std::string::npos) GTEST_SKIP() << "temp dir path mentions lock";
  const std::string dir = root_ + "/data";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((dir + "/CURRENT").c_str(), 0700), 0);
  auto db = Db::Open(dir);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
  EXPECT_EQ(db.status().message().find("locked by another process"), std::string::npos)
      << db.status();
}

TEST_F(DbTest, ReopenAfterCloseSeesDurableWrites) {
  const std::string dir = root_ + "/data";
  {
    auto db = Db::Open(dir);
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::WriteBatch batch;
    batch.Put((*db)->cf(kMetaCf), "k", "v");
    ASSERT_TRUE((*db)->Write(&batch, /*sync=*/true).ok());
  }
  auto db = Db::Open(dir);
  ASSERT_TRUE(db.ok()) << db.status();
  auto got = (*db)->Get(kMetaCf, "k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<std::string>("v"));
}

}  // namespace
}  // namespace authd::storage
