// ResidentBytes: a process's resident set size, read from /proc/<pid>/status (VmRSS), for the
// soak test's memory check. testonly; thread-safe.
#ifndef AUTHD_TESTS_SOAK_PROCESS_MEMORY_H_
#define AUTHD_TESTS_SOAK_PROCESS_MEMORY_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace authd::soak {

// VmRSS of `pid` in bytes. kNotFound if the process or the line is missing.
absl::StatusOr<int64_t> ResidentBytes(pid_t pid);

// The VmRSS value (bytes) of a /proc/<pid>/status text; kNotFound without a well-formed line.
absl::StatusOr<int64_t> ParseVmRss(const std::string& status_text);

}  // namespace authd::soak

#endif  // AUTHD_TESTS_SOAK_PROCESS_MEMORY_H_
