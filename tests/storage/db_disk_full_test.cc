// Db on a full disk: a small private tmpfs (tests/e2e/private_tmpfs.h) is filled with a file, so
// RocksDB meets ENOSPC for real, in its log appends and in flushes. Writes must fail with
// kResourceExhausted and change nothing, SyncWal must not abort the process, and writes must
// resume (Db calls RocksDB's Resume at most once a second) once the file is deleted, without
// reopening. Each case then reopens the store to check what is on disk.
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "storage/db.h"
#include "storage/keys.h"
#include "tests/e2e/private_tmpfs.h"

namespace authd::storage {
namespace {

constexpr uint64_t kTmpfsBytes = 4 << 20;

class DbDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mounted = e2e::MountPrivateTmpfs(kTmpfsBytes);
    ASSERT_TRUE(mounted.ok()) << mounted.status();
    root_ = *mounted;
    store_ = root_ + "/store";
    filler_ = root_ + "/filler";
    auto db = Db::Open(store_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  absl::Status Put(uint64_t key, const std::string& value) {
    rocksdb::WriteBatch batch;
    batch.Put(db_->cf(kEventsCf), EncodeU64(key), value);
    batch.Put(db_->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(key));
    return db_->Write(&batch, /*sync=*/false);
  }

  bool Has(uint64_t key) {
    auto got = db_->Get(kEventsCf, EncodeU64(key));
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() && got->has_value();
  }

  void Fill() {
    auto filled = e2e::FillFileSystem(filler_, 2 * kTmpfsBytes);
    ASSERT_TRUE(filled.ok()) << filled.status();
  }

  // Writes keys from `*next` on until one fails (at most 500): the log's last page may still
  // have room. Returns the failing write's status; `*next` is its key.
  absl::Status WriteUntilFailure(uint64_t* next) {
    for (int i = 0; i < 500; ++i, ++*next) {
      absl::Status s = Put(*next, std::string(500, 'v'));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Space is back: the first writes may still fail until Db's next Resume is due (1 s).
  absl::Status PutWhenResumed(uint64_t key) {
    absl::Status s;
    for (int i = 0; i < 50; ++i) {
      s = Put(key, "after");
      if (s.ok()) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
  }

  void Reopen() {
    db_.reset();
    auto db = Db::Open(store_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  std::string root_, store_, filler_;
  std::unique_ptr<Db> db_;
};

void ExpectStorageFull(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("storage is full"), absl::string_view::npos) << s;
}

TEST_F(DbDiskFullTest, LogAppendFailsCleanlyAndWritesResumeWhenSpaceReturns) {
  uint64_t next = 1;
  for (; next <= 20; ++next) ASSERT_TRUE(Put(next, "before").ok());
  Fill();
  absl::Status failed = WriteUntilFailure(&next);
  ExpectStorageFull(failed);
  const uint64_t failed_key = next;

  // The group commit's sync after a failed append: must not abort, and makes the writes that
  // returned OK durable.
  EXPECT_TRUE(db_->SyncWal().ok());
  ExpectStorageFull(Put(failed_key + 1, "refused"));
  EXPECT_TRUE(Has(failed_key - 1));
  EXPECT_FALSE(Has(failed_key));

  ASSERT_EQ(unlink(filler_.c_str()), 0);
  ASSERT_TRUE(PutWhenResumed(failed_key + 2).ok());
  ASSERT_TRUE(Put(failed_key + 3, "after").ok());
  ASSERT_TRUE(db_->SyncWal().ok());

  Reopen();
  for (uint64_t key = 1; key < failed_key; ++key) EXPECT_TRUE(Has(key)) << key;
  EXPECT_FALSE(Has(failed_key));
  EXPECT_FALSE(Has(failed_key + 1));
  EXPECT_TRUE(Has(failed_key + 2));
  EXPECT_TRUE(Has(failed_key + 3));
}

// After a flush every memtable is empty; RocksDB's Resume then flushes nothing and keeps the log
// writer whose append failed, and the next append through it aborts the process (Debian's
// librocksdb is built with assertions) unless Db keeps a memtable non-empty.
TEST_F(DbDiskFullTest, WritesResumeWhenTheFailedAppendCameRightAfterAFlush) {
  ASSERT_TRUE(Put(1, "before").ok());
  ASSERT_TRUE(db_->Flush().ok());
  Fill();
  uint64_t next = 2;
  ExpectStorageFull(WriteUntilFailure(&next));

  ASSERT_EQ(unlink(filler_.c_str()), 0);
  ASSERT_TRUE(PutWhenResumed(next + 1).ok());
  ASSERT_TRUE(Put(next + 2, "after").ok());
  ASSERT_TRUE(db_->Flush().ok());

  Reopen();
  for (uint64_t key = 1; key < next; ++key) EXPECT_TRUE(Has(key)) << key;
  EXPECT_FALSE(Has(next));
  EXPECT_TRUE(Has(next + 1));
  EXPECT_TRUE(Has(next + 2));
}

// A flush (RocksDB runs it on a background thread) that meets the full disk stops writes too,
// even while the log itself still has room; they resume once space returns.
TEST_F(DbDiskFullTest, FailedFlushStopsWritesUntilSpaceReturns) {
  for (uint64_t key = 1; key <= 20; ++key) ASSERT_TRUE(Put(key, std::string(500, 'v')).ok());
  Fill();
  ExpectStorageFull(db_->Flush());
  ExpectStorageFull(Put(21, "refused"));
  EXPECT_TRUE(Has(20));

  ASSERT_EQ(unlink(filler_.c_str()), 0);
  ASSERT_TRUE(PutWhenResumed(22).ok());
  ASSERT_TRUE(db_->Flush().ok());

  Reopen();
  for (uint64_t key = 1; key <= 20; ++key) EXPECT_TRUE(Has(key)) << key;
  EXPECT_FALSE(Has(21));
  EXPECT_TRUE(Has(22));
}

}  // namespace
}  // namespace authd::storage
