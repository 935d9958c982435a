// StateReader: what a command decider may read of the projections: point reads (ProjectionReader)
// plus a bounded, ordered listing by key prefix. Implemented by storage::Db (the live RocksDB, or
// one snapshot of it) and by the in-memory map of the command tests. Thread-safety: the
// implementation's.
#ifndef AUTHD_STORAGE_STATE_READER_H_
#define AUTHD_STORAGE_STATE_READER_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/projection_batch.h"

namespace authd::storage {

class StateReader : public ProjectionReader {
 public:
  using Entry = std::pair<std::string, std::string>;  // (key, value)
  // At most `limit` entries of `cf` whose key starts with `prefix` and is >= `from` (empty: from
  // the prefix's first key), in key order. Starting at `from` skips what lies before it without
  // reading it (a resumed listing does not step over the deletions behind it again).
  // Errors: kUnavailable / kDataLoss from storage.
  virtual absl::StatusOr<std::vector<Entry>> EntriesWithPrefix(absl::string_view cf,
                                                               absl::string_view prefix,
                                                               absl::string_view from,
                                                               size_t limit) = 0;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_STATE_READER_H_
