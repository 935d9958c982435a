#include "storage/etcd/etcd_snapshot.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "rocksdb/write_batch.h"
#include "absl/time/clock.h"
#include "storage/etcd/range_end.h"
#include "storage/keys.h"
#include "storage/meta_value.h"
#include "storage/rocksdb_status.h"
#include "storage/state_digest.h"

namespace authd::storage::etcd {
namespace {

// The projection schema snapshots carry: storage::kSchemaVersion (3, token lifecycle: rows may hold
// expiry, last use and a rotation's previous secret, which an older reader would ignore and so
// serve expired tokens; it refuses the number instead). Schema 2 rows, written before, are valid
// schema 3 rows and still read.
constexpr uint32_t kProjectionSchema = 3;
constexpr uint32_t kOldestReadableSchema = 2;
// Per-row framing a SnapshotChunk adds around the bytes (tags, lengths): a bound, not exact.
constexpr size_t kRowOverhead = 24;

// A random writer number for the chunk keys (storage/etcd/etcd_keys.h); never 0.
uint64_t NewWriterId() {
  uint64_t id = 0;
  while (id == 0) {
    // RAND_bytes fails only when the OS CSPRNG is unusable; the clock still separates writers.
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof(id)) != 1) {
      id = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
    }
  }
  return id;
}

// Deletes one writing attempt's chunks (a writer that lost the race for the header).
void DeleteChunksOf(EtcdClient& client, const EtcdKeys& keys, const pb::SnapshotHeader& header) {
  const std::string prefix = keys.SnapshotWriterChunks(header.last_sequence(), header.writer());
  client.Txn({}, {TxnOp::DeleteRange(prefix, RangeEndForPrefix(prefix))}).status().IgnoreError();
}

std::string Sha256(const std::string& bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

// Position of `cf` in Db::ProjectionCfs(); nullopt when it is not a projection.
std::optional<size_t> ProjectionIndex(absl::string_view cf) {
  const auto& cfs = Db::ProjectionCfs();
  for (size_t i = 0; i < cfs.size(); ++i) {
    if (cfs[i] == cf) return i;
  }
  return std::nullopt;
}


// Puts chunks as they fill up; computes the header's hashes and digest on the way.
class ChunkWriter {
 public:
  ChunkWriter(EtcdClient& client, const EtcdKeys& keys, uint64_t last_sequence, uint64_t writer,
              size_t chunk_bytes)
      : client_(client),
        keys_(keys),
        last_sequence_(last_sequence),
        writer_(writer),
        chunk_bytes_(chunk_bytes) {
    Reset();
  }

  absl::Status Add(absl::string_view cf, absl::string_view key, absl::string_view value) {
    const size_t row_bytes = cf.size() + key.size() + value.size() + kRowOverhead;
    if (chunk_.rows_size() > 0 && bytes_ + row_bytes > chunk_bytes_) {
      AUTHD_RETURN_IF_ERROR(Seal());
    }
    pb::SnapshotRow* row = chunk_.add_rows();
    row->set_column_family(std::string(cf));
    row->set_key(std::string(key));
    row->set_value(std::string(value));
    bytes_ += row_bytes;
    digest_.Add(cf, key, value);
    return absl::OkStatus();
  }

  // Seals the last chunk (an empty state still has one, empty) and returns the header.
  absl::StatusOr<pb::SnapshotHeader> Finish(int64_t commit_revision) {
    if (chunk_.rows_size() > 0 || header_.chunk_count() == 0) AUTHD_RETURN_IF_ERROR(Seal());
    header_.set_format_version(kSnapshotFormatVersion);
    header_.set_last_sequence(last_sequence_);
    header_.set_writer(writer_);
    header_.set_commit_revision(commit_revision);
    header_.set_schema_version(kProjectionSchema);
    header_.set_row_count(digest_.rows());
    header_.set_state_digest(digest_.Finish());
    return header_;
  }

 private:
  void Reset() {
    chunk_.Clear();
    chunk_.set_format_version(kSnapshotFormatVersion);
    chunk_.set_last_sequence(last_sequence_);
    chunk_.set_index(header_.chunk_count());
    bytes_ = 0;
  }

  absl::Status Seal() {
    const std::string bytes = chunk_.SerializeAsString();
    AUTHD_RETURN_IF_ERROR(
        client_.Put(keys_.SnapshotChunk(last_sequence_, writer_, header_.chunk_count()), bytes)
            .status());
    header_.add_chunk_sha256(Sha256(bytes));
    header_.set_chunk_count(header_.chunk_count() + 1);
    Reset();
    return absl::OkStatus();
  }

  EtcdClient& client_;
  const EtcdKeys& keys_;
  const uint64_t last_sequence_;
  const uint64_t writer_;
  const size_t chunk_bytes_;
  pb::SnapshotHeader header_;
  pb::SnapshotChunk chunk_;
  size_t bytes_ = 0;
  StateDigest digest_;
};

// Puts `view`'s projection rows as the chunks of a snapshot at `last_sequence`; returns its header
// (not yet in etcd).
absl::StatusOr<pb::SnapshotHeader> WriteChunks(EtcdClient& client, const EtcdKeys& keys,
                                               Db::PointInTime& view, uint64_t last_sequence,
                                               int64_t commit_revision, size_t chunk_bytes) {
  ChunkWriter writer(client, keys, last_sequence, NewWriterId(), std::max<size_t>(chunk_bytes, 1));
  for (absl::string_view cf : Db::ProjectionCfs()) {
    auto it = view.NewIterator(cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      AUTHD_RETURN_IF_ERROR(writer.Add(cf, View(it->key()), View(it->value())));
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "reading a projection to snapshot");
  }
  return writer.Finish(commit_revision);
}

// Once a snapshot at `last_sequence` is current: deletes the log it replaces and older snapshots'
// chunks in one Txn, then compacts etcd at that Txn's revision.
absl::Status TrimAndCompact(EtcdClient& client, const EtcdKeys& keys, uint64_t last_sequence,
                            SnapshotWritten* out) {
  AUTHD_ASSIGN_OR_RETURN(
      TxnResult trimmed,
      client.Txn({}, {TxnOp::DeleteRange(keys.Log(0), keys.Log(last_sequence + 1)),
                      TxnOp::DeleteRange(keys.SnapshotChunksStart(),
                                         keys.SnapshotChunks(last_sequence))}));
  if (!trimmed.responses.empty()) out->log_keys_deleted = trimmed.responses[0].deleted;
  absl::Status compacted = client.Compact(trimmed.revision, /*physical=*/false);
  if (compacted.ok()) {
    out->compacted_revision = trimmed.revision;
  } else if (!absl::IsOutOfRange(compacted)) {  // already compacted further: fine
    return compacted;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<pb::LogHead> DecodeLogHead(const std::string& bytes) {
  pb::LogHead head;
  if (!head.ParseFromString(bytes)) return absl::DataLossError("etcd log head does not decode");
  if (head.format_version() == 0 || head.format_version() > kLogFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("etcd log head has format_version ", head.format_version(),
                     "; this build reads ", kLogFormatVersion));
  }
  return head;
}

absl::StatusOr<pb::SnapshotHeader> DecodeSnapshotHeader(const std::string& bytes) {
  pb::SnapshotHeader header;
  if (!header.ParseFromString(bytes)) {
    return absl::DataLossError("etcd snapshot header does not decode");
  }
  if (header.format_version() == 0 || header.format_version() > kSnapshotFormatVersion) {
    return absl::DataLossError(absl::StrCat("etcd snapshot header has format_version ",
                                            header.format_version(), "; this build reads ",
                                            kSnapshotFormatVersion));
  }
  if (static_cast<uint32_t>(header.chunk_sha256_size()) != header.chunk_count() ||
      header.chunk_count() == 0) {
    return absl::DataLossError(absl::StrCat("etcd snapshot header at sequence ",
                                            header.last_sequence(), " names ",
                                            header.chunk_count(), " chunks but carries ",
                                            header.chunk_sha256_size(), " hashes"));
  }
  if (header.writer() == 0) {
    return absl::DataLossError(absl::StrCat("etcd snapshot header at sequence ",
                                            header.last_sequence(), " names no writer"));
  }
  if (header.schema_version() < kOldestReadableSchema ||
      header.schema_version() > kProjectionSchema) {
    return absl::DataLossError(absl::StrCat("etcd snapshot at sequence ", header.last_sequence(),
                                            " holds schema ", header.schema_version(),
                                            " rows; this build reads schema ", kProjectionSchema));
  }
  return header;
}

absl::StatusOr<pb::SnapshotChunk> DecodeSnapshotChunk(const std::string& bytes,
                                                      const pb::SnapshotHeader& header,
                                                      uint32_t index) {
  const std::string where =
      absl::StrCat("etcd snapshot at sequence ", header.last_sequence(), ", chunk ", index);
  if (index >= static_cast<uint32_t>(header.chunk_sha256_size())) {
    return absl::DataLossError(absl::StrCat(where, ": not in the header"));
  }
  if (Sha256(bytes) != header.chunk_sha256(static_cast<int>(index))) {
    return absl::DataLossError(absl::StrCat(where, ": SHA-256 differs from the header's"));
  }
  pb::SnapshotChunk chunk;
  if (!chunk.ParseFromString(bytes)) return absl::DataLossError(absl::StrCat(where, ": does not decode"));
  if (chunk.format_version() == 0 || chunk.format_version() > kSnapshotFormatVersion) {
    return absl::DataLossError(absl::StrCat(where, ": format_version ", chunk.format_version()));
  }
  if (chunk.last_sequence() != header.last_sequence() || chunk.index() != index) {
    return absl::DataLossError(absl::StrCat(where, ": names sequence ", chunk.last_sequence(),
                                            ", chunk ", chunk.index()));
  }
  return chunk;
}

absl::StatusOr<SnapshotWritten> WriteSnapshot(EtcdClient& client, const EtcdKeys& keys,
                                              Db::PointInTime& view, size_t chunk_bytes) {
  SnapshotWritten out;
  AUTHD_ASSIGN_OR_RETURN(const std::optional<uint64_t> checkpoint,
                         ReadMetaU64(view, kCheckpointKey));
  AUTHD_ASSIGN_OR_RETURN(const std::optional<uint64_t> revision,
                         ReadMetaU64(view, kEtcdRevisionKey));
  const uint64_t last_sequence = checkpoint.value_or(0);
  const uint64_t commit_revision = revision.value_or(0);
  AUTHD_ASSIGN_OR_RETURN(RangeResult current, client.Range(keys.SnapshotCurrent()));
  int64_t current_revision = 0;
  if (!current.kvs.empty()) {
    AUTHD_ASSIGN_OR_RETURN(out.header, DecodeSnapshotHeader(current.kvs[0].value));
    current_revision = current.kvs[0].mod_revision;
    if (out.header.last_sequence() >= last_sequence) return out;  // nothing newer to say
  }
  if (last_sequence == 0) return out;

  // 1. The chunks.
  AUTHD_ASSIGN_OR_RETURN(pb::SnapshotHeader header,
                         WriteChunks(client, keys, view, last_sequence,
                                     static_cast<int64_t>(commit_revision), chunk_bytes));

  // 2. The header, only over the one we read.
  AUTHD_ASSIGN_OR_RETURN(
      TxnResult put,
      client.Txn({Compare::ModRevision(keys.SnapshotCurrent(), Compare::Op::kEqual, current_revision)},
                 {TxnOp::Put(keys.SnapshotCurrent(), header.SerializeAsString())},
                 {TxnOp::Range(keys.SnapshotCurrent())}));
  if (!put.succeeded) {
    if (!put.responses.empty() && !put.responses[0].range.kvs.empty()) {
      AUTHD_ASSIGN_OR_RETURN(out.header,
                             DecodeSnapshotHeader(put.responses[0].range.kvs[0].value));
    }
    // Ours are orphans (the winner's are under its own writer number, even at the same sequence).
    DeleteChunksOf(client, keys, header);
    return out;
  }
  out.header = header;
  out.written = true;

  AUTHD_RETURN_IF_ERROR(TrimAndCompact(client, keys, last_sequence, &out));
  return out;
}

absl::StatusOr<SnapshotWritten> WriteRestoreSnapshot(EtcdClient& client, const EtcdKeys& keys,
                                                     Db::PointInTime& view, size_t chunk_bytes) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // The head and the current snapshot at one revision: the restore lands only over both.
    AUTHD_ASSIGN_OR_RETURN(
        TxnResult now,
        client.Txn({}, {TxnOp::Range(keys.Head()), TxnOp::Range(keys.SnapshotCurrent())}));
    if (now.responses.size() != 2) return absl::InternalError("etcd txn: expected two ranges");
    uint64_t head = 0;
    int64_t head_revision = 0, current_revision = 0;
    if (!now.responses[0].range.kvs.empty()) {
      AUTHD_ASSIGN_OR_RETURN(pb::LogHead decoded,
                             DecodeLogHead(now.responses[0].range.kvs[0].value));
      head = decoded.last_sequence();
      head_revision = now.responses[0].range.kvs[0].mod_revision;
    }
    if (!now.responses[1].range.kvs.empty()) {
      current_revision = now.responses[1].range.kvs[0].mod_revision;
    }
    // A position no replica has applied yet, so every replica's position only grows: the
    // restored state is "the state after event S", with no event at S.
    const uint64_t restored = head + 1;
    AUTHD_ASSIGN_OR_RETURN(pb::SnapshotHeader header,
                           WriteChunks(client, keys, view, restored, /*commit_revision=*/0,
                                       chunk_bytes));
    pb::LogHead moved;
    moved.set_format_version(kLogFormatVersion);
    moved.set_last_sequence(restored);
    AUTHD_ASSIGN_OR_RETURN(
        TxnResult put,
        client.Txn({Compare::ModRevision(keys.Head(), Compare::Op::kEqual, head_revision),
                    Compare::ModRevision(keys.SnapshotCurrent(), Compare::Op::kEqual,
                                         current_revision)},
                   {TxnOp::Put(keys.SnapshotCurrent(), header.SerializeAsString()),
                    TxnOp::Put(keys.Head(), moved.SerializeAsString())}));
    if (!put.succeeded) {
      // A write or a snapshot came first: drop these chunks and try over the new head.
      DeleteChunksOf(client, keys, header);
      continue;
    }
    SnapshotWritten out;
    out.header = header;
    out.written = true;
    // The restore is in etcd from here on: a failed trim is the next snapshot's to finish, never
    // a reason to report the restore failed (a retry would publish it twice).
    out.trim = TrimAndCompact(client, keys, restored, &out);
    return out;
  }
  return absl::AbortedError(absl::StrCat("the etcd log kept moving during the restore (",
                                         kAttempts, " attempts): retry"));
}

absl::Status InstallSnapshot(EtcdClient& client, const EtcdKeys& keys,
                             const pb::SnapshotHeader& header, int64_t revision, Db& db) {
  {
    rocksdb::WriteBatch mark;
    mark.Put(db.cf(kMetaCf), std::string(kLoadingSnapshotKey), "");
    AUTHD_RETURN_IF_ERROR(db.Write(&mark, /*sync=*/true));
  }
  std::vector<absl::string_view> cleared = Db::ProjectionCfs();
  cleared.push_back(kEventsCf);
  AUTHD_RETURN_IF_ERROR(db.ClearColumnFamilies(cleared));

  StateDigest digest;
  std::optional<std::pair<size_t, std::string>> last_row;
  for (uint32_t index = 0; index < header.chunk_count(); ++index) {
    RangeOptions at;
    at.revision = revision;
    AUTHD_ASSIGN_OR_RETURN(RangeResult got,
                           client.Range(keys.SnapshotChunk(header.last_sequence(),
                                                            header.writer(), index),
                                        at));
    if (got.kvs.empty()) {
      return absl::DataLossError(absl::StrCat("etcd snapshot at sequence ", header.last_sequence(),
                                              ": chunk ", index, " is missing"));
    }
    AUTHD_ASSIGN_OR_RETURN(pb::SnapshotChunk chunk,
                           DecodeSnapshotChunk(got.kvs[0].value, header, index));
    rocksdb::WriteBatch batch;
    for (const pb::SnapshotRow& row : chunk.rows()) {
      const std::optional<size_t> cf = ProjectionIndex(row.column_family());
      if (!cf) {
        return absl::DataLossError(absl::StrCat(
            "etcd snapshot at sequence ", header.last_sequence(), ", chunk ", index,
            ": a row of column family '", row.column_family(), "', which is not a projection"));
      }
      std::pair<size_t, std::string> at_row(*cf, row.key());
      if (last_row && !(*last_row < at_row)) {
        return absl::DataLossError(absl::StrCat("etcd snapshot at sequence ",
                                                header.last_sequence(), ", chunk ", index,
                                                ": rows out of order"));
      }
      last_row = std::move(at_row);
      digest.Add(row.column_family(), row.key(), row.value());
      batch.Put(db.cf(row.column_family()), row.key(), row.value());
    }
    // Without the WAL: the mark makes an interrupted load start over, and the flush below makes
    // the rows durable before the mark goes.
    AUTHD_RETURN_IF_ERROR(db.WriteWithoutWal(&batch));
  }
  if (digest.rows() != header.row_count() || digest.Finish() != header.state_digest()) {
    return absl::DataLossError(absl::StrCat("etcd snapshot at sequence ", header.last_sequence(),
                                            ": the rows do not match the header's state digest"));
  }
  {
    rocksdb::WriteBatch meta;
    meta.Put(db.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(header.last_sequence()));
    meta.Put(db.cf(kMetaCf), std::string(kLogStartKey), EncodeU64(header.last_sequence() + 1));
    meta.Put(db.cf(kMetaCf), std::string(kEtcdRevisionKey),
             EncodeU64(static_cast<uint64_t>(header.commit_revision())));
    AUTHD_RETURN_IF_ERROR(db.Write(&meta, /*sync=*/true));
  }
  AUTHD_RETURN_IF_ERROR(db.Flush());
  rocksdb::WriteBatch done;
  done.Delete(db.cf(kMetaCf), std::string(kLoadingSnapshotKey));
  return db.Write(&done, /*sync=*/true);
}

absl::StatusOr<bool> ResetInterruptedLoad(Db& db) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> mark, db.Get(kMetaCf, kLoadingSnapshotKey));
  if (!mark) return false;
  std::vector<absl::string_view> cleared = Db::ProjectionCfs();
  cleared.push_back(kEventsCf);
  AUTHD_RETURN_IF_ERROR(db.ClearColumnFamilies(cleared));
  rocksdb::WriteBatch reset;
  reset.Put(db.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(0));
  reset.Put(db.cf(kMetaCf), std::string(kEtcdRevisionKey), EncodeU64(0));
  reset.Delete(db.cf(kMetaCf), std::string(kLogStartKey));
  reset.Delete(db.cf(kMetaCf), std::string(kLoadingSnapshotKey));
  AUTHD_RETURN_IF_ERROR(db.Write(&reset, /*sync=*/true));
  return true;
}

}  // namespace authd::storage::etcd
