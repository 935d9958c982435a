#include "storage/rocksdb_status.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace authd::storage {

absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(message);
  // RocksDB's own wording for a held LOCK file (another process, or this one); matched at the
  // start of the message only, since the rest holds the path (which may contain any word).
  const char* state = status.getState();
  if (status.IsIOError() && state != nullptr &&
      (absl::StartsWith(state, "While lock file") ||
       absl::StartsWith(state, "lock hold by current process"))) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": the data dir is locked by another process (is another authd "
                              "running on it?): ",
                     status.ToString()));
  }
  if (status.IsNoSpace() || status.subcode() == rocksdb::Status::kSpaceLimit) {
    return absl::ResourceExhaustedError(absl::StrCat(
        context, ": storage is full (no space left for the data dir); writes resume once space is "
                 "freed: ",
        status.ToString()));
  }
  if (status.IsIOError() || status.IsBusy() || status.IsTimedOut() || status.IsTryAgain() ||
      status.IsIncomplete()) {
    return absl::UnavailableError(message);
  }
  if (status.IsInvalidArgument() || status.IsNotSupported()) {
    return absl::FailedPreconditionError(message);
  }
  return absl::InternalError(message);
}

}  // namespace authd::storage
