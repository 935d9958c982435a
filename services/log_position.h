// Log positions on the wire (ADR 0005, "Positions"): read-your-writes on any replica and across a
// restart. Every answer of an authenticated RPC carries `authd-position` initial metadata, the log
// position this process had applied when it answered (for a write: at or after the write's own
// events). A call may send `authd-min-position: <position>`; it is then answered only once this
// process has applied that far, waiting at most until the call's deadline and never more than
// kMaxPositionWait (then UNAVAILABLE: retry, or ask another replica). Authorize takes the same as
// the `min_position` field of its request. Clients that send nothing see exactly today's answers.
#ifndef AUTHD_SERVICES_LOG_POSITION_H_
#define AUTHD_SERVICES_LOG_POSITION_H_

#include <grpcpp/server_context.h>

#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/token_store.h"

namespace authd::services {

inline constexpr char kPositionHeader[] = "authd-position";
inline constexpr char kMinPositionHeader[] = "authd-min-position";
inline constexpr absl::Duration kMaxPositionWait = absl::Seconds(10);

// The latest a position wait may last: a little before the call's deadline (a tenth of what is
// left, at most 50 ms), at most kMaxPositionWait from `now`.
absl::Time PositionWaitDeadline(std::chrono::system_clock::time_point call_deadline,
                                absl::Time now);

// The call's `authd-min-position` (0 when absent). Errors: kInvalidArgument for anything but a
// decimal number.
absl::StatusOr<uint64_t> MinPositionOf(const grpc::ServerContext& context);

// Waits until `store` has applied `position` (0: returns at once). Errors: kUnavailable.
absl::Status AwaitPosition(const storage::TokenStore& store, uint64_t position,
                           std::chrono::system_clock::time_point call_deadline);

// Adds `authd-position` (the store's applied position) to the answer's initial metadata.
void AddPosition(const storage::TokenStore& store, grpc::ServerContext* context);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_LOG_POSITION_H_
