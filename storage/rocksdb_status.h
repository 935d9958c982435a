// The one place a rocksdb::Status becomes an absl::Status. Owned by storage/; thread-safe.
#ifndef AUTHD_STORAGE_ROCKSDB_STATUS_H_
#define AUTHD_STORAGE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace authd::storage {

// Maps RocksDB's codes onto authd's: corruption -> kDataLoss; no space (a full disk, whether RocksDB
// met it writing the log or in a background flush or compaction) -> kResourceExhausted saying
// "storage is full"; busy/timed out/try again/other I-O errors -> kUnavailable (transient storage
// trouble); a held LOCK file -> kFailedPrecondition; anything else -> kInternal. `context` says
// what was being done.
absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view context);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_ROCKSDB_STATUS_H_
