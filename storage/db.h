// Db: authd's RocksDB instance and its column families (layout: storage/keys.h). The ONLY owner of
// the rocksdb::DB handle. Opening creates the data dir (mode 0700) and fails fast, with a clear
// kFailedPrecondition, when another process holds the dir's LOCK. Thread-safe (RocksDB is; the
// column-family handles are fixed at open and never change, so reading them needs no lock).
//
// A full disk (or another I/O error) is survivable without a restart. RocksDB 7.8 (Debian 12)
// turns a failed log write or flush into a "background error" and refuses every write until
// DB::Resume() succeeds (reads keep working); Db calls Resume() itself, from the next Write at most
// once per second, so writes succeed again as soon as space is back. Three traps of that RocksDB
// build are closed here (each one aborts the process, because Debian builds it with assertions):
//  - its own info-log file asserts on the line after a failed write: Db logs to `<dir>/LOG` with a
//    logger that ignores write errors;
//  - SyncWAL() after a failed log append asserts: SyncWal fsyncs the log files itself;
//  - Resume() with every memtable empty clears the error but keeps the failed log writer, and the
//    next write asserts: Db keeps one never-logged key in the default column family's memtable, so
//    that Resume's flush always switches to a new log.
// RocksDB's own recovery from a full disk (its SstFileManager polls every 5 s for free space of
// one write buffer, 64 MiB, and makes Resume() answer Busy meanwhile) is turned off.
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
#include "base/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/projection_batch.h"
#include "storage/state_reader.h"

namespace authd::storage {

// A RocksDB slice as an absl::string_view (Debian's Abseil has its own string_view type).
inline absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

class Db final : public StateReader {
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
  absl::StatusOr<std::vector<Entry>> EntriesWithPrefix(absl::string_view cf,
                                                       absl::string_view prefix,
                                                       absl::string_view from,
                                                       size_t limit) override;
  // Applies `batch` atomically; `sync` = fsync the WAL before returning. A failed write is not
  // applied, now or after a crash. Errors: kResourceExhausted "storage is full" (no space: RocksDB
  // met it appending to the log, or earlier in a flush; every write fails until space is back and
  // a later Write has resumed RocksDB), kUnavailable (other I/O trouble).
  absl::Status Write(rocksdb::WriteBatch* batch, bool sync);
  // fsyncs the WAL files: every write that returned OK before this call is durable when it returns
  // OK. (TokenStore's group commit: many unsynced writes, then one SyncWal for all of them.) Safe
  // at any time, also after or concurrently with a failed Write: it fsyncs the files with its own
  // descriptors and never touches RocksDB's log writer. Errors: kResourceExhausted (fsync said
  // ENOSPC/EDQUOT), kUnavailable (any other fsync error: what reached the disk is unknown).
  absl::Status SyncWal();
  // Applies `batch` without writing the WAL: lost on a crash unless flushed. Only for work that is
  // redone from scratch after a crash (the projection rebuild, guarded by meta/rebuilding).
  absl::Status WriteWithoutWal(rocksdb::WriteBatch* batch);
  std::unique_ptr<rocksdb::Iterator> NewIterator(absl::string_view cf);
  // RocksDB's estimate of the number of keys in `cf` (rocksdb.estimate-num-keys); 0 if unknown.
  uint64_t EstimateKeys(absl::string_view cf);

  // Every (key, value) of `cf` in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(absl::string_view cf);

  // Empties every projection column family: one synced batch of range deletions, then a
  // compaction that drops the covered files. The handles stay the same (no drop/recreate), so
  // concurrent readers never hold a destroyed handle.
  absl::Status ClearProjectionCfs();
  // The same for any column families (an etcd replica loading a snapshot clears its events too).
  absl::Status ClearColumnFamilies(const std::vector<absl::string_view>& cfs);

  // A read-only view of the whole database at one instant (a RocksDB snapshot): reads through it
  // agree with each other while writers go on (Verify reads one without the writer lock).
  // Borrows the Db, which must outlive it; thread-compatible.
  class PointInTime final : public StateReader {
   public:
    ~PointInTime() override;
    absl::StatusOr<std::optional<std::string>> Get(absl::string_view cf,
                                                   absl::string_view key) override;
    absl::StatusOr<std::vector<Entry>> EntriesWithPrefix(absl::string_view cf,
                                                         absl::string_view prefix,
                                                         absl::string_view from,
                                                         size_t limit) override;
    std::unique_ptr<rocksdb::Iterator> NewIterator(absl::string_view cf);
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(absl::string_view cf);

   private:
    friend class Db;
    PointInTime(Db* db, const rocksdb::Snapshot* snapshot) : db_(db), snapshot_(snapshot) {}
    rocksdb::ReadOptions Options() const;
    Db* const db_;
    const rocksdb::Snapshot* const snapshot_;
  };
  std::unique_ptr<PointInTime> NewPointInTime();

  // Flushes memtables and syncs the WAL (clean shutdown); resumes RocksDB first if a write failed.
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

  // What the RocksDB event listener shares with Db: whether RocksDB holds a background error that
  // stops writes. Defined in db.cc.
  struct WriteHealth;

 private:
  Db(std::string dir, std::unique_ptr<rocksdb::DB> db,
     absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles,
     std::shared_ptr<WriteHealth> health);

  // Calls rocksdb::DB::Resume() when a background error stops writes, at most once per
  // kResumeInterval (1 s) unless `force`. Returns Resume's error when it ran and failed, else OK
  // (also when no attempt was due: the caller's next RocksDB call reports the error then).
  absl::Status MaybeResume(bool force) ABSL_LOCKS_EXCLUDED(resume_mu_);
  // Puts the never-logged guard key into the default column family's memtable (see the header).
  void KeepMemtableNonEmpty();

  std::string dir_;
  // Reads of `cf` through `options` (the live DB, or a snapshot).
  absl::StatusOr<std::optional<std::string>> GetWith(const rocksdb::ReadOptions& options,
                                                     absl::string_view cf, absl::string_view key);
  absl::StatusOr<std::vector<Entry>> EntriesWith(rocksdb::ReadOptions options,
                                                 absl::string_view cf, absl::string_view prefix,
                                                 absl::string_view from, size_t limit);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanWith(
      const rocksdb::ReadOptions& options, absl::string_view cf);

  std::unique_ptr<rocksdb::DB> db_;
  // Fixed at open; destroyed only in the destructor.
  const absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*> handles_;
  const std::shared_ptr<WriteHealth> health_;

  authd::Mutex resume_mu_;
  absl::Time last_resume_ ABSL_GUARDED_BY(resume_mu_) = absl::InfinitePast();

  // SyncWal: log files numbered below `synced_wal_floor_` were synced by an earlier call and
  // receive no more writes.
  authd::Mutex sync_mu_;
  uint64_t synced_wal_floor_ ABSL_GUARDED_BY(sync_mu_) = 0;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_DB_H_
