// Backup files: describing a snapshot directory (names, sizes, SHA-256), reading its files in
// chunks for sending and verifying a received one against that description. A backup is a flat
// directory of RocksDB files (a checkpoint) plus the manifest its client keeps beside them. Both
// ends of the stream use these: AdminService (backup out, restore in) and authctl (restore out).
// Pure file I/O, no RocksDB; thread-safe except where a class says otherwise.
#ifndef AUTHD_STORAGE_BACKUP_FILES_H_
#define AUTHD_STORAGE_BACKUP_FILES_H_

#include <cstdint>
#include <memory>
#include <optional>
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

// The most file bytes in one streamed chunk, either way: well under gRPC's 4 MiB message limit.
inline constexpr size_t kBackupChunkBytes = 256 * 1024;

// Reads one backup file from the start, in chunks of at most kBackupChunkBytes, for sending. An
// empty file gives one empty chunk at offset 0, so that the receiver creates it. Owns the file
// descriptor. Not thread-safe.
class BackupFileReader {
 public:
  struct Chunk {
    uint64_t offset = 0;
    // Valid until the next call to Next.
    absl::string_view data;
  };

  // Errors: kUnavailable if `path` cannot be opened.
  static absl::StatusOr<std::unique_ptr<BackupFileReader>> Open(const std::string& path);
  ~BackupFileReader();
  BackupFileReader(const BackupFileReader&) = delete;
  BackupFileReader& operator=(const BackupFileReader&) = delete;

  // The next chunk, or nullopt after the last one. Errors: kUnavailable on a read error.
  absl::StatusOr<std::optional<Chunk>> Next();

  // Bytes returned so far (the file's size once Next has returned nullopt).
  uint64_t bytes_read() const { return offset_; }

 private:
  BackupFileReader(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_;
  uint64_t offset_ = 0;
  bool sent_any_ = false;
  bool done_ = false;
  std::string buf_;
};

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
