// CallBudget: what is left of one RPC: its deadline, and whether its client is still waiting.
// Handlers consult it before each costly step (a store write, an Argon2id hash) so that authd never
// starts work nobody is waiting for any more (README "Overload"). gRPC's deadlines are wall-clock
// times, so Check() reads the real clock, not the injected one. Cheap: a clock read and an atomic
// load. Thread-compatible; the gRPC context, if any, must outlive the budget.
#ifndef AUTHD_SERVICES_CALL_BUDGET_H_
#define AUTHD_SERVICES_CALL_BUDGET_H_

#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace authd::services {

class CallBudget {
 public:
  // The budget of the call behind `context`: its deadline (infinite when the client set none) and
  // its cancellation.
  static CallBudget Of(const grpc::ServerContextBase& context);
  // A deadline with no client that could cancel: work outside any RPC, and tests.
  static CallBudget Until(absl::Time deadline) { return CallBudget(deadline, nullptr); }
  // Work outside any RPC with no deadline (the AUTHD_INIT_* bootstrap).
  static CallBudget Unlimited() { return Until(absl::InfiniteFuture()); }

  absl::Time deadline() const { return deadline_; }

  // OK while the call is still wanted. Errors: kDeadlineExceeded once the deadline has passed,
  // kCancelled once the client has cancelled the call (or gone away).
  absl::Status Check() const { return CheckAt(absl::Now()); }
  // Check() as of `now`.
  absl::Status CheckAt(absl::Time now) const;

 private:
  CallBudget(absl::Time deadline, const grpc::ServerContextBase* context)
      : deadline_(deadline), context_(context) {}

  absl::Time deadline_;
  const grpc::ServerContextBase* context_;  // null: nobody to cancel
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_CALL_BUDGET_H_
