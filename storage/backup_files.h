// Backup files: describing a snapshot directory (names, sizes, SHA-256) and verifying a received
// one against that description. A backup is a flat directory of RocksDB files (a checkpoint) plus
// the manifest its client keeps beside them. Pure file I/O; thread-safe.
#ifndef AUTHD_STORAGE_BACKUP_FILES_H_
#define AUTHD_STORAGE_BACKUP_FILES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::storage {

struct BackupFile {
  std::string name;
  uint64_t size = 0;
  // Lowercase hex SHA-256 of the content.
  std::string sha256;
};

// A safe file name for a backup: 1-255 bytes of [A-Za-z0-9._-], not "." or "..".
bool ValidBackupFileName(absl::string_view name);

// Every regular file directly in `dir`, sorted by name. Errors: kUnavailable on I/O errors,
// kInternal if `dir` holds anything but regular files.
absl::StatusOr<std::vector<BackupFile>> DescribeBackupDir(const std::string& dir);

// Checks that `dir` holds exactly `expected` (names, sizes, checksums). Errors: kInvalidArgument
// "backup is corrupt or incomplete: ..." naming the first bad file.
absl::Status VerifyBackupDir(const std::string& dir, const std::vector<BackupFile>& expected);

// Receives a backup's files into a directory, chunk by chunk, refusing anything that does not fit
// the expected description (unknown name, out-of-order offset, more bytes than announced).
// Not thread-safe: one per restore.
class BackupReceiver {
 public:
  // Errors: kInvalidArgument for a bad description (bad or duplicate names).
  static absl::StatusOr<std::unique_ptr<BackupReceiver>> Create(std::string dir,
                                                                std::vector<BackupFile> expected);
  ~BackupReceiver();

  // Appends `data` at `offset` of `name`. Errors: kInvalidArgument, kUnavailable (disk).
  absl::Status Append(absl::string_view name, uint64_t offset, absl::string_view data);

  // Closes every file and verifies the directory (VerifyBackupDir).
  absl::Status Finish();

 private:
  BackupReceiver(std::string dir, std::vector<BackupFile> expected)
      : dir_(std::move(dir)), expected_(std::move(expected)) {}
  absl::Status CloseCurrent();

  std::string dir_;
  std::vector<BackupFile> expected_;
  std::string current_name_;
  uint64_t current_size_ = 0;
  int current_fd_ = -1;
  std::vector<std::string> done_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_BACKUP_FILES_H_
