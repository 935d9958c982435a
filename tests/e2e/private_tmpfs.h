// PrivateTmpfs: a small tmpfs that only this test process (and the processes it starts, such as
// authd) can see, for filling a disk without touching the host. The process moves into its own
// mount namespace (as root: unshare(CLONE_NEWNS); otherwise also a user namespace mapping the
// caller to root), makes every mount private, then mounts the tmpfs on a fresh directory under
// $TEST_TMPDIR. The namespace, and the tmpfs with it, go away when the process exits. testonly.
//
// Call it before the process starts any thread (a user namespace needs a single-threaded caller,
// and a mount namespace is joined by the calling thread and its later children only): e.g. in
// SetUpTestSuite, before any gRPC channel exists. Not thread-safe.
#ifndef AUTHD_TESTS_E2E_PRIVATE_TMPFS_H_
#define AUTHD_TESTS_E2E_PRIVATE_TMPFS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace authd::e2e {

// Mounts a tmpfs of `bytes` (mode 0700) and returns its directory. Errors: kFailedPrecondition
// naming the step that the kernel or the sandbox refused, and why.
absl::StatusOr<std::string> MountPrivateTmpfs(uint64_t bytes);

// Appends zeros to `path` until its file system is full (ENOSPC), in chunks of 64 KiB, at most
// `limit` bytes. Returns the bytes written. Errors: kInternal for any other error, or when `limit`
// is reached first (the file system was not that small).
absl::StatusOr<uint64_t> FillFileSystem(const std::string& path, uint64_t limit);

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_PRIVATE_TMPFS_H_
