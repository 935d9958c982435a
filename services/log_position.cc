#include "services/log_position.h"

#include <algorithm>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace authd::services {

absl::Time PositionWaitDeadline(std::chrono::system_clock::time_point call_deadline,
                                absl::Time now) {
  const absl::Time cap = now + kMaxPositionWait;
  // gRPC's "no deadline" is time_point::max(), far beyond what absl::FromChrono can hold.
  if (call_deadline >= std::chrono::system_clock::now() + std::chrono::hours(24 * 365)) return cap;
  // Give up a little before the caller does, so that it reads UNAVAILABLE with the positions
  // rather than its own DEADLINE_EXCEEDED.
  const absl::Time deadline = absl::FromChrono(call_deadline);
  const absl::Duration margin =
      std::clamp((deadline - now) / 10, absl::ZeroDuration(), absl::Milliseconds(50));
  return std::min(cap, deadline - margin);
}

absl::StatusOr<uint64_t> MinPositionOf(const grpc::ServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find(kMinPositionHeader);
  if (it == md.end()) return 0;
  uint64_t position = 0;
  const absl::string_view value(it->second.data(), it->second.size());
  if (value.empty() || value.size() > 20 || !absl::SimpleAtoi(value, &position) ||
      value.find_first_not_of("0123456789") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(kMinPositionHeader, ": must be a log position (a decimal number)"));
  }
  return position;
}

absl::Status AwaitPosition(const storage::TokenStore& store, uint64_t position,
                           std::chrono::system_clock::time_point call_deadline) {
  if (position == 0 || store.AppliedPosition() >= position) return absl::OkStatus();
  return store.AwaitPosition(position, PositionWaitDeadline(call_deadline, absl::Now()));
}

void AddPosition(const storage::TokenStore& store, grpc::ServerContext* context) {
  context->AddInitialMetadata(kPositionHeader, absl::StrCat(store.AppliedPosition()));
}

}  // namespace authd::services
