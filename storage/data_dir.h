// DataDir: authd's data directory, who holds it, and which RocksDB in it is live.
//
//   <data-dir>/authd.lock          flock()ed for the life of the authd server or an offline tool
//   <data-dir>/current -> store-N  symlink to the live RocksDB, replaced atomically (rename(2))
//   <data-dir>/store-N/            RocksDB directories (layout: storage/keys.h)
//   <data-dir>/incoming-*/         a restore being received; removed at the next open
//   <data-dir>/backup-*/           a checkpoint being streamed out; removed at the next open
//
// A restore writes a whole new store-N beside the live one and then swaps `current`: a crash at
// any point leaves `current` naming either the old or the new store, never a mix.
// Owns the lock; thread-compatible (TokenStore serialises its use).
#ifndef AUTHD_STORAGE_DATA_DIR_H_
#define AUTHD_STORAGE_DATA_DIR_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace authd::storage {

// mkdir -p with mode 0700 for every directory it creates. Errors: kFailedPrecondition naming the
// path (cannot create it, or it is not a directory).
absl::Status MakePrivateDirs(const std::string& dir);

class DataDir {
 public:
  // Creates `path` (mode 0700) if needed and takes its lock. Errors: kFailedPrecondition "data
  // dir <path> is locked by another process (is another authd running on it?)" when held, or when
  // the directory cannot be created or used.
  static absl::StatusOr<std::unique_ptr<DataDir>> Acquire(const std::string& path);
  ~DataDir();

  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }

  // The live store's directory, creating `store-1` and `current` on a new data dir.
  absl::StatusOr<std::string> CurrentStore();

  // A fresh empty directory for a restore (`incoming-<n>`) or a checkpoint's parent (`backup-<n>`).
  absl::StatusOr<std::string> NewWorkDir(const std::string& kind);

  // Makes `incoming` (from NewWorkDir("incoming")) the live store: renames it to store-<n+1>,
  // points `current` at it atomically and syncs the directory. Returns the previous store's
  // directory, which the caller deletes with RemoveTree once nothing uses it.
  absl::StatusOr<std::string> Promote(const std::string& incoming);

  // Points `current` back at `store` (undo of a Promote whose new store failed to open).
  absl::Status PointCurrentAt(const std::string& store);

  // Removes leftovers: incoming-*, backup-* and every store-* that `current` does not name.
  void RemoveLeftovers();

  // rm -rf `dir` (only paths inside this data dir).
  absl::Status RemoveTree(const std::string& dir);

 private:
  DataDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  absl::Status SwapCurrent(const std::string& target_name);

  std::string path_;
  int lock_fd_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_DATA_DIR_H_
