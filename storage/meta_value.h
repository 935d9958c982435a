// ReadMetaU64: a u64 value of the meta column family (storage/keys.h: checkpoint, etcd_revision,
// log_start), read through any ProjectionReader (the live Db, one RocksDB snapshot of it).
// Stateless; thread-safety: the reader's.
#ifndef AUTHD_STORAGE_META_VALUE_H_
#define AUTHD_STORAGE_META_VALUE_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/projection_batch.h"

namespace authd::storage {

// nullopt when `key` is absent. Errors: kDataLoss "malformed meta key <key> in the data dir" (not
// 8 bytes), the reader's.
absl::StatusOr<std::optional<uint64_t>> ReadMetaU64(ProjectionReader& reader, absl::string_view key);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_META_VALUE_H_
