// EtcdKeys: where authd's replicated log lives in etcd, version 1 of the layout (ADR 0005). Every
// key is under `prefix` (default "/authd/") and the layout version; every value is a protobuf with
// `format_version` (proto/authd/storage/v1/etcd_log.proto):
//
//   <prefix>v1/head                               -> LogHead {last_sequence}
//   <prefix>v1/log/<first seq: 20 digits>         -> LogCommit {events at first seq, +1, ...}
//   <prefix>v1/snapshot/current                   -> SnapshotHeader {last_sequence S, writer W,
//                                                    chunk count, sha256 of each chunk, state
//                                                    digest}
//   <prefix>v1/snapshot/<S: 20 digits>/<W: 16 hex>/<n: 6 digits> -> SnapshotChunk {rows}
//
// W is a random number each writing attempt draws, so two writers of a snapshot at the same S
// (two restores, or a restore and a periodic snapshot) never share, overwrite or delete each
// other's chunks; the header names the writer whose chunks it covers.
// Bytewise order, which etcd ranges follow: "head" < "log/..." < "snapshot/<digits>/..." <
// "snapshot/current". So a replica watches [head, end of log/) and never receives snapshot
// chunks, and [snapshot/0, snapshot/<S>/) holds exactly the chunks of snapshots older than S.
// Zero-padded numbers keep numeric order equal to key order. Pure; thread-safe.
#ifndef AUTHD_STORAGE_ETCD_ETCD_KEYS_H_
#define AUTHD_STORAGE_ETCD_ETCD_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace authd::storage::etcd {

class EtcdKeys {
 public:
  enum class Kind { kHead, kLog, kSnapshotCurrent, kSnapshotChunk, kForeign };

  explicit EtcdKeys(std::string prefix);

  const std::string& prefix() const { return prefix_; }
  // <prefix>v1/: every key of this layout starts with it.
  std::string Root() const;
  std::string Head() const;
  std::string Log(uint64_t first_sequence) const;
  // The end (exclusive) of every log key: a range [Log(n), LogEnd()) reads the log from n on.
  std::string LogEnd() const;
  std::string SnapshotCurrent() const;
  std::string SnapshotChunk(uint64_t last_sequence, uint64_t writer, uint32_t index) const;
  // The prefix of every writer's chunks at `last_sequence`, of one writer's, and the start of
  // every chunk key.
  std::string SnapshotChunks(uint64_t last_sequence) const;
  std::string SnapshotWriterChunks(uint64_t last_sequence, uint64_t writer) const;
  std::string SnapshotChunksStart() const;

  // What `key` is. kForeign: under the prefix but not of this layout (or not under it at all).
  Kind Classify(absl::string_view key) const;
  // The first sequence of a log key; nullopt when `key` is not one (malformed digits too).
  std::optional<uint64_t> ParseLog(absl::string_view key) const;

 private:
  std::string prefix_;
};

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_KEYS_H_
