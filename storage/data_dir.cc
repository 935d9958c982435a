#include "storage/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "authz/id.h"

namespace authd::storage {
namespace fs = std::filesystem;
namespace {

constexpr char kCurrent[] = "current";
constexpr char kStorePrefix[] = "store-";

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::FailedPreconditionError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}


absl::Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("cannot open", dir);
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Errno("cannot sync", dir);
  return absl::OkStatus();
}

// N of "store-N", or 0.
uint64_t StoreNumber(absl::string_view name) {
  uint64_t n = 0;
  if (!absl::ConsumePrefix(&name, kStorePrefix) || !absl::SimpleAtoi(name, &n)) return 0;
  return n;
}

}  // namespace

absl::Status MakePrivateDirs(const std::string& dir) {
  std::string path;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      path = dir.substr(0, i);
      if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", path);
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("data dir ", dir, " is not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DataDir>> DataDir::Acquire(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("data dir must not be empty");
  if (absl::Status s = MakePrivateDirs(path); !s.ok()) return s;
  std::string lock_path = path + "/authd.lock";
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", lock_path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", path, " is locked by another process (is another authd running on it?)"));
    }
    errno = err;
    return Errno("cannot lock", lock_path);
  }
  return std::unique_ptr<DataDir>(new DataDir(path, fd));
}

DataDir::~DataDir() {
  if (lock_fd_ >= 0) close(lock_fd_);  // Releases the flock.
}

absl::StatusOr<std::string> DataDir::CurrentStore() {
  std::string link = path_ + "/" + kCurrent;
  std::error_code ec;
  fs::path target = fs::read_symlink(link, ec);
  if (!ec) {
    std::string store = path_ + "/" + target.filename().string();
    if (StoreNumber(target.filename().string()) == 0 || !fs::is_directory(store, ec)) {
      return absl::DataLossError(absl::StrCat(link, " names ", target.string(),
                                              ", which is not a store directory"));
    }
    return store;
  }
  if (fs::exists(fs::symlink_status(link, ec))) {
    return absl::DataLossError(absl::StrCat(link, " is not a symlink"));
  }
  // A new data dir.
  std::string first = path_ + "/store-1";
  if (mkdir(first.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", first);
  if (absl::Status s = SwapCurrent("store-1"); !s.ok()) return s;
  return first;
}

absl::Status DataDir::SwapCurrent(const std::string& target_name) {
  std::string tmp = path_ + "/current.tmp";
  unlink(tmp.c_str());
  if (symlink(target_name.c_str(), tmp.c_str()) != 0) return Errno("cannot create", tmp);
  std::string link = path_ + "/" + kCurrent;
  if (rename(tmp.c_str(), link.c_str()) != 0) return Errno("cannot replace", link);
  return SyncDir(path_);
}

absl::StatusOr<std::string> DataDir::NewWorkDir(const std::string& kind) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string dir = absl::StrCat(path_, "/", kind, "-", authz::FormatId(authz::NewRandomId()));
    if (mkdir(dir.c_str(), 0700) == 0) return dir;
    if (errno != EEXIST) return Errno("cannot create", dir);
  }
  return absl::InternalError("cannot find a free work directory name");
}

absl::StatusOr<std::string> DataDir::Promote(const std::string& incoming) {
  auto current = CurrentStore();
  if (!current.ok()) return current.status();
  uint64_t highest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path_, ec)) {
    highest = std::max(highest, StoreNumber(entry.path().filename().string()));
  }
  std::string name = absl::StrCat(kStorePrefix, highest + 1);
  std::string target = path_ + "/" + name;
  if (rename(incoming.c_str(), target.c_str()) != 0) return Errno("cannot rename", incoming);
  if (absl::Status s = SyncDir(path_); !s.ok()) return s;
  if (absl::Status s = SwapCurrent(name); !s.ok()) return s;
  return *current;
}

absl::Status DataDir::PointCurrentAt(const std::string& store) {
  return SwapCurrent(fs::path(store).filename().string());
}

void DataDir::RemoveLeftovers() {
  std::error_code ec;
  std::string live;
  fs::path target = fs::read_symlink(path_ + "/" + kCurrent, ec);
  if (!ec) live = target.filename().string();
  std::vector<std::string> doomed;
  for (const auto& entry : fs::directory_iterator(path_, ec)) {
    std::string name = entry.path().filename().string();
    bool stale_store = StoreNumber(name) != 0 && name != live && !live.empty();
    if (absl::StartsWith(name, "incoming-") || absl::StartsWith(name, "backup-") || stale_store) {
      doomed.push_back(entry.path().string());
    }
  }
  for (const std::string& dir : doomed) RemoveTree(dir).IgnoreError();
}

absl::Status DataDir::RemoveTree(const std::string& dir) {
  if (!absl::StartsWith(dir, path_ + "/")) {
    return absl::InternalError("refusing to remove a path outside the data dir");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot remove ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace authd::storage
