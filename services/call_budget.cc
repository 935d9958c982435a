#include "services/call_budget.h"

#include <chrono>

namespace authd::services {

CallBudget CallBudget::Of(const grpc::ServerContextBase& context) {
  // gRPC reports "no deadline" as the largest time_point, which absl converts to a finite time
  // in 2262: far enough.
  return CallBudget(absl::FromChrono(context.deadline()), &context);
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
