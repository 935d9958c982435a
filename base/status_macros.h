// AUTHD_RETURN_IF_ERROR / AUTHD_ASSIGN_OR_RETURN: Debian's Abseil (20220623) lacks Abseil's own
// status macros, so authd keeps these two with the same shape. Header-only; no state.
#ifndef AUTHD_BASE_STATUS_MACROS_H_
#define AUTHD_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if it is not OK.
#define AUTHD_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::absl::Status authd_status_ = (expr);          \
    if (!authd_status_.ok()) return authd_status_;  \
  } while (0)

#define AUTHD_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define AUTHD_STATUS_MACROS_CONCAT_(x, y) AUTHD_STATUS_MACROS_CONCAT_INNER_(x, y)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the value
// into `lhs` (which may be a declaration, e.g. `auto x`).
#define AUTHD_ASSIGN_OR_RETURN(lhs, rexpr) \
  AUTHD_ASSIGN_OR_RETURN_IMPL_(AUTHD_STATUS_MACROS_CONCAT_(authd_statusor_, __LINE__), lhs, rexpr)

#define AUTHD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // AUTHD_BASE_STATUS_MACROS_H_
