// Db: authd's RocksDB instance and its column families (layout: storage/keys.h). The ONLY owner of
// the rocksdb::DB handle. Opening creates the data dir (mode 0700) and fails fast, with a clear
// kFailedPrecondition, when another process holds the dir's LOCK. Thread-safe (RocksDB is); the
// projection-recreating call must not race with writers (TokenStore serialises them).
#ifndef AUTHD_STORAGE_DB_H_
#define AUTHD_STORAGE_DB_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/projection_batch.h"

namespace authd::storage {

// A RocksDB slice as an absl::string_view (Debian's Abseil has its own string_view type).
inline absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

class Db final : public ProjectionReader {
 public:
  // Errors: kFailedPrecondition (dir locked by another process, or not a directory we can use),
  // kUnavailable / kDataLoss from RocksDB.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& dir);
  ~Db() override;

  // The projection column families, in a fixed order: everything derived from the log (not
  // events, meta, nor raw_tokens, which the log does not hold).
  static const std::vector<absl::string_view>& ProjectionCfs();

  rocksdb::ColumnFamilyHandle* cf(absl::string_view name) const;

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view cf,
                                                 absl::string_view key) override;
  // Applies `batch` atomically; `sync` = fsync the WAL before returning.
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync);
  // fsyncs the WAL: every write that returned before this call is durable when it returns OK.
  // (TokenStore's group commit: many unsynced writes, then one SyncWal for all of them.)
  absl::Status SyncWal();
  // Applies `batch` without writing the WAL: lost on a crash unless flushed. Only for work that is
  // redone from scratch after a crash (the projection rebuild, guarded by meta/rebuilding).
  absl::Status WriteWithoutWal(rocksdb::WriteBatch* batch);
  std::unique_ptr<rocksdb::Iterator> NewIterator(absl::string_view cf);

  // Every (key, value) of `cf` in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(absl::string_view cf);

  // Drops and recreates every projection column family (empty afterwards).
  absl::Status RecreateProjectionCfs();

  // Flushes memtables and syncs the WAL (clean shutdown).
  absl::Status Flush();

  // RocksDB's block checksums of every SST file. Errors: kDataLoss naming the problem.
  absl::Status VerifyChecksums();

  // A consistent snapshot of the whole database in `dir` (which must not exist), hard-linking
  // SST files. Memtables are flushed first, so the snapshot needs no WAL replay.
  absl::Status CreateCheckpoint(const std::string& dir);

  // Makes values deleted from `cf` unrecoverable from the files: flushes every column family (so
  // no WAL still holds them and old WAL files are deleted), then compacts `cf` to the bottom level
  // with a forced bottommost compaction (so no SST holds them; obsolete SSTs are deleted).
  absl::Status PurgeDeleted(absl::string_view cf);

  const std::string& dir() const { return dir_; }

 private:
  Db(std::string dir, std::unique_ptr<rocksdb::DB> db,
     absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles);

  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_DB_H_
