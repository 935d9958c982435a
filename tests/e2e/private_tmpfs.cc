#include "tests/e2e/private_tmpfs.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace authd::e2e {
namespace {

absl::Status Refused(const std::string& step, int err) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot give the test a private tmpfs: ", step, ": ", std::strerror(err),
      " (the test needs root, or unprivileged user namespaces, and a sandbox that allows mount(2))"));
}

absl::Status WriteProcFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Refused(absl::StrCat("opening ", path), errno);
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) return Refused(absl::StrCat("writing ", path), err);
  return absl::OkStatus();
}

// Enters a new mount namespace in which every mount is private, once per process.
absl::Status EnterPrivateMountNamespace() {
  static bool entered = false;
  if (entered) return absl::OkStatus();
  if (unshare(CLONE_NEWNS) != 0) {
    const int as_root = errno;
    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return Refused(absl::StrCat("unshare(CLONE_NEWNS) said \"", std::strerror(as_root),
                                  "\", then unshare(CLONE_NEWUSER|CLONE_NEWNS)"),
                     errno);
    }
    // Map the caller to root in the new user namespace, so it may mount and still owns its files.
    if (absl::Status s = WriteProcFile("/proc/self/setgroups", "deny"); !s.ok()) return s;
    if (absl::Status s = WriteProcFile("/proc/self/uid_map", absl::StrCat("0 ", uid, " 1\n"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = WriteProcFile("/proc/self/gid_map", absl::StrCat("0 ", gid, " 1\n"));
        !s.ok()) {
      return s;
    }
  }
  // Without this, a mount could propagate back to the parent namespace (shared mounts).
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Refused("making / private (mount MS_REC|MS_PRIVATE)", errno);
  }
  entered = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> MountPrivateTmpfs(uint64_t bytes) {
  if (absl::Status s = EnterPrivateMountNamespace(); !s.ok()) return s;
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/tmpfsXXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return Refused(absl::StrCat("mkdtemp ", templ), errno);
  std::string dir(buf.data());
  const std::string options = absl::StrCat("size=", bytes, ",mode=0700");
  if (mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    return Refused(absl::StrCat("mounting a tmpfs (", options, ") on ", dir), errno);
  }
  return dir;
}

absl::StatusOr<uint64_t> FillFileSystem(const std::string& path, uint64_t limit) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("creating ", path, ": ", std::strerror(errno)));
  }
  const std::string chunk(64 << 10, '\0');
  uint64_t written = 0;
  while (written < limit) {
    ssize_t n = write(fd, chunk.data(), chunk.size());
    if (n > 0) {
      written += static_cast<uint64_t>(n);
      continue;
    }
    const int err = n < 0 ? errno : 0;
    if (err == EINTR) continue;
    close(fd);
    if (err == ENOSPC) return written;
    return absl::InternalError(absl::StrCat("filling ", path, ": ", std::strerror(err)));
  }
  close(fd);
  return absl::InternalError(
      absl::StrCat("filled ", path, " with ", written, " bytes and the file system is not full"));
}

}  // namespace authd::e2e
