// IncomingRestore: one restore being received. A backup's files stream into a fresh directory
// beside the live store, each chunk checked against the backup's description as it arrives
// (BackupReceiver); Commit verifies the whole directory and swaps it in (TokenStore::RestoreFrom,
// all-or-nothing). Dropped without a successful Commit, it removes the directory: a cancelled or
// failed restore leaves nothing behind. Borrows the store, which must outlive it. Not thread-safe:
// one per restore call.
#ifndef AUTHD_STORAGE_INCOMING_RESTORE_H_
#define AUTHD_STORAGE_INCOMING_RESTORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/backup_files.h"
#include "storage/token_store.h"

namespace authd::storage {

class IncomingRestore {
 public:
  // Errors: kInvalidArgument for a bad description (no files, bad or duplicate names),
  // kUnavailable if the directory cannot be made.
  static absl::StatusOr<std::unique_ptr<IncomingRestore>> Begin(TokenStore* store,
                                                                std::vector<BackupFile> expected);
  ~IncomingRestore();
  IncomingRestore(const IncomingRestore&) = delete;
  IncomingRestore& operator=(const IncomingRestore&) = delete;

  // The next chunk of file `name` at `offset`. Errors: those of BackupReceiver::Append.
  absl::Status Append(absl::string_view name, uint64_t offset, absl::string_view data);

  // Checks that every file arrived whole, then replaces the live store with it. Errors: those of
  // VerifyBackupDir and TokenStore::RestoreFrom (the previous store keeps serving).
  absl::StatusOr<RestoreResult> Commit();

 private:
  IncomingRestore(TokenStore* store, std::string dir) : store_(store), dir_(std::move(dir)) {}

  TokenStore* store_;
  std::string dir_;
  std::unique_ptr<BackupReceiver> receiver_;
  bool committed_ = false;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_INCOMING_RESTORE_H_
