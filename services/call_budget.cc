#include "services/call_budget.h"

#include <chrono>

namespace authd::services {

CallBudget CallBudget::Of(const grpc::ServerContextBase& context) {
  // gRPC reports "no deadline" as the largest time_point; absl would make it a finite time in 2262
  // that waits (CondVar::WaitWithDeadline) cannot all represent.
  const std::chrono::system_clock::time_point deadline = context.deadline();
  return CallBudget(deadline == std::chrono::system_clock::time_point::max()
                        ? absl::InfiniteFuture()
                        : absl::FromChrono(deadline),
                    &context);
}

absl::Status CallBudget::CheckAt(absl::Time now) const {
  // The deadline first: gRPC also cancels a call whose deadline passed; the code should say why.
  if (now >= deadline_) {
    return absl::DeadlineExceededError("the call's deadline passed before the server did its work");
  }
  if (context_ != nullptr && context_->IsCancelled()) {
    return absl::CancelledError("the call was cancelled before the server did its work");
  }
  return absl::OkStatus();
}

}  // namespace authd::services
