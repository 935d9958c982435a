#include "storage/incoming_restore.h"

#include "base/status_macros.h"

namespace authd::storage {

absl::StatusOr<std::unique_ptr<IncomingRestore>> IncomingRestore::Begin(
    TokenStore* store, std::vector<BackupFile> expected) {
  AUTHD_ASSIGN_OR_RETURN(std::string dir, store->NewRestoreDir());
  std::unique_ptr<IncomingRestore> restore(new IncomingRestore(store, std::move(dir)));
  // From here on the destructor removes the directory, whatever fails.
  AUTHD_ASSIGN_OR_RETURN(restore->receiver_,
                         BackupReceiver::Create(restore->dir_, std::move(expected)));
  return restore;
}

IncomingRestore::~IncomingRestore() {
  receiver_.reset();  // closes any open file before its directory goes
  if (!committed_) store_->DiscardRestoreDir(dir_);
}

absl::Status IncomingRestore::Append(absl::string_view name, uint64_t offset,
                                     absl::string_view data) {
  if (receiver_ == nullptr) return absl::FailedPreconditionError("restore: already committed");
  return receiver_->Append(name, offset, data);
}

absl::StatusOr<RestoreResult> IncomingRestore::Commit() {
  if (receiver_ == nullptr) return absl::FailedPreconditionError("restore: already committed");
  AUTHD_RETURN_IF_ERROR(receiver_->Finish());
  receiver_.reset();
  AUTHD_ASSIGN_OR_RETURN(RestoreResult result, store_->RestoreFrom(dir_));
  committed_ = true;  // the directory is the live store now
  return result;
}

}  // namespace authd::storage
