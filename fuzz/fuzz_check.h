// AUTHD_FUZZ_CHECK / AUTHD_FUZZ_CHECK_CODE: how the fuzz targets assert a property. A violation
// prints what was expected and where, then aborts: libFuzzer saves the input as a crash reproducer,
// and the corpus replay tests (plain gcc builds, see fuzz_target.bzl) die with it. `abort()` rather
// than a return value, because libFuzzer only reports crashes. Never prints the input itself.
// Header-only; no state.
#ifndef AUTHD_FUZZ_FUZZ_CHECK_H_
#define AUTHD_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"

// Aborts unless `cond` holds.
#define AUTHD_FUZZ_CHECK(cond)                                               \
  do {                                                                       \
    if (!(cond)) ::authd::fuzz::PropertyViolated(__FILE__, __LINE__, #cond); \
  } while (0)

// Aborts unless `status`'s code is one of the codes that follow (OK must be listed to be allowed).
#define AUTHD_FUZZ_CHECK_CODE(status, ...) \
  ::authd::fuzz::CheckCode(__FILE__, __LINE__, #status, (status), {__VA_ARGS__})

namespace authd::fuzz {

[[noreturn]] inline void PropertyViolated(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void CheckCode(const char* file, int line, const char* expr, const absl::Status& status,
                      std::initializer_list<absl::StatusCode> allowed) {
  for (absl::StatusCode code : allowed) {
    if (status.code() == code) return;
  }
  PropertyViolated(file, line,
                   std::string(expr) + " returned an unexpected status: " + status.ToString());
}

}  // namespace authd::fuzz

#endif  // AUTHD_FUZZ_FUZZ_CHECK_H_
