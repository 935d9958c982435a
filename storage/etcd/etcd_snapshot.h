// etcd snapshots of the replicated log (ADR 0005 step 3): the state every event through a sequence
// S left behind, kept in etcd so that the log below S, and etcd's history, can be discarded. Keys:
// storage/etcd/etcd_keys.h; values: SnapshotHeader, SnapshotChunk (etcd_log.proto, format 1).
//
// A snapshot is the projection rows of one replica's RocksDB at a commit boundary, read from one
// RocksDB snapshot (Db::PointInTime), so any replica can write it and every replica agrees on it
// (the rows are a pure function of the log through S: storage/projector.h). Raw tokens are never
// in it (etcd mode runs with hashing on; the raw_tokens family is not a projection).
//
// Writing (WriteSnapshot), in this order, so that a crash anywhere leaves a usable log:
//   1. put each chunk, <= `chunk_bytes` of rows (default 1 MiB; etcd refuses requests over its
//      --max-request-bytes, 1.5 MiB by default), under snapshot/<S>/<n>;
//   2. one Txn: If mod_revision(snapshot/current) == what was read before step 1
//               Then put snapshot/current {S, chunk hashes, digest}
//      (a writer that lost deletes its own chunks, unless the winner has the same S);
//   3. one Txn deleting log keys below S + 1 and the chunks of older snapshots;
//   4. Compact etcd at that Txn's revision.
// A crash after 1: orphan chunks, deleted by the next snapshot's step 3. After 2: the log below S
// is still there (deleted next time). A replica never needs history that step 4 removed: it
// catches up by reading keys, not by watching from an old revision (EtcdEventLog::Resync).
//
// Loading (InstallSnapshot) replaces a replica's applied copy with the snapshot: mark
// `loading_snapshot`, clear the projections and the local events, write the rows (each chunk's
// SHA-256 and the whole state digest checked: kDataLoss otherwise), set checkpoint = S,
// log_start = S + 1, flush, unmark. An interrupted load is started over at the next open
// (ResetInterruptedLoad).
//
// Functions, no state; the caller serialises them per Db and holds off its own applies.
#ifndef AUTHD_STORAGE_ETCD_ETCD_SNAPSHOT_H_
#define AUTHD_STORAGE_ETCD_ETCD_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "authd/storage/v1/etcd_log.pb.h"
#include "storage/db.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_keys.h"
#include "storage/record_codec.h"

namespace authd::storage::etcd {

// The SnapshotHeader / SnapshotChunk format_version this build writes and reads.
inline constexpr uint32_t kSnapshotFormatVersion = 1;
// The LogHead / LogCommit format_version this build writes and reads (the appends and the tailer
// of storage/etcd/etcd_event_log.h, and a restore, which moves the head).
inline constexpr uint32_t kLogFormatVersion = 1;
// Default chunk size: well under etcd's default 1.5 MiB request limit.
inline constexpr size_t kDefaultSnapshotChunkBytes = size_t{1} << 20;

// What WriteSnapshot did.
struct SnapshotWritten {
  // The header now current in etcd (ours, or the newer one that made ours unnecessary).
  pb::SnapshotHeader header;
  // We wrote `header` (false: etcd already had a snapshot at or past this replica's state, or
  // another writer won the race).
  bool written = false;
  // Log keys deleted below the snapshot, and the revision etcd was compacted at (0: not compacted).
  int64_t log_keys_deleted = 0;
  int64_t compacted_revision = 0;
  // WriteRestoreSnapshot only: how the trim and compaction after the restore went (the restore
  // itself landed either way).
  absl::Status trim;
};

// Decodes the log head. Errors: kDataLoss (does not decode, or a format_version this build does
// not read).
absl::StatusOr<pb::LogHead> DecodeLogHead(const std::string& bytes);

// Decodes a header. Errors: kDataLoss (does not decode, or a format_version this build does not
// read, or chunk hashes that do not match the chunk count).
absl::StatusOr<pb::SnapshotHeader> DecodeSnapshotHeader(const std::string& bytes);

// Decodes chunk `index` of `header` from its stored bytes, checking its SHA-256 against the
// header's, its format_version, sequence and index. Errors: kDataLoss naming what differs.
absl::StatusOr<pb::SnapshotChunk> DecodeSnapshotChunk(const std::string& bytes,
                                                      const pb::SnapshotHeader& header,
                                                      uint32_t index);

// Writes the state of `view` (checkpoint S, the etcd revision of its last commit, the projection
// rows) as etcd's current snapshot, then trims the log and compacts (see the header comment).
// Errors: those of EtcdClient (nothing is current that was not complete), kDataLoss (a malformed
// local meta value or a current header that does not decode), kUnavailable from RocksDB.
absl::StatusOr<SnapshotWritten> WriteSnapshot(EtcdClient& client, const EtcdKeys& keys,
                                              Db::PointInTime& view, size_t chunk_bytes);

// Restores a backup into etcd: `view` (the backup's store, brought up aside) becomes the snapshot
// at S = etcd's head + 1, and the head moves to S, in one Txn guarded by the head's and the
// current header's mod_revisions (a write that slips in first makes it try again over the new
// head, 5 times at most); then the log and older chunks are trimmed and etcd compacted. Every
// replica's tailer then finds no commit at its applied + 1 and installs the snapshot. Once the
// Txn succeeded the call succeeds (a failed trim is in `trim`). Errors: kAborted (the log kept
// moving), those of EtcdClient (kUnknown / kDeadlineExceeded: the Txn's outcome is unknown),
// kDataLoss (a head that does not decode).
absl::StatusOr<SnapshotWritten> WriteRestoreSnapshot(EtcdClient& client, const EtcdKeys& keys,
                                                     Db::PointInTime& view, size_t chunk_bytes);

// Installs `header`, read from etcd at `revision` (the chunks are read at that same revision), as
// `db`'s whole applied state. Errors: kOutOfRange (`revision` was compacted meanwhile: read the
// header again), kDataLoss (a chunk missing, damaged, out of order or naming a column family that
// is not a projection; the state digest differs), kUnavailable. On error `db` stays cleared and
// marked: the next open (ResetInterruptedLoad) or the next catch-up installs a snapshot again.
absl::Status InstallSnapshot(EtcdClient& client, const EtcdKeys& keys,
                             const pb::SnapshotHeader& header, int64_t revision, Db& db);

// When `db` holds a load that did not finish: clears the projections, events, checkpoint,
// log_start and the mark, and sets the etcd revision to 0 (so the data dir is still an etcd
// replica's and catches up from etcd). Returns whether it did.
absl::StatusOr<bool> ResetInterruptedLoad(Db& db);

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_SNAPSHOT_H_
