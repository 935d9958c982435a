// WithCaller: the common shape of an authenticated RPC: refuse a call nobody waits for any more
// (CallBudget), wait for the call's `authd-min-position` (services/log_position.h; first, so a
// token written through another replica is known here), authenticate the caller, run the body
// with the Principal, say the applied position in `authd-position` (to authenticated callers
// only), convert the resulting absl::Status to a grpc::Status. Header-only.
#ifndef AUTHD_SERVICES_WITH_CALLER_H_
#define AUTHD_SERVICES_WITH_CALLER_H_

#include <grpcpp/server_context.h>

#include <utility>

#include "services/call_budget.h"
#include "services/grpc_status.h"
#include "services/log_position.h"
#include "services/service_deps.h"

namespace authd::services {

template <typename Body>
grpc::Status WithCaller(const ServiceDeps& deps, grpc::ServerContext& context, Body&& body) {
  // A call that waited past its deadline (or was cancelled) in gRPC's queues starts nothing.
  if (absl::Status live = CallBudget::Of(context).Check(); !live.ok()) return ToGrpcStatus(live);
  absl::StatusOr<uint64_t> min_position = MinPositionOf(context);
  if (!min_position.ok()) return ToGrpcStatus(min_position.status());
  if (absl::Status s = AwaitPosition(*deps.store, *min_position, context.deadline()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto caller = deps.auth->Authenticate(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::Status done = std::forward<Body>(body)(*caller);
  AddPosition(*deps.store, &context);
  return ToGrpcStatus(done);
}

inline storage::Actor ActorOf(const authz::Principal& p) {
  return storage::Actor{p.authorization_id, p.user_id};
}

}  // namespace authd::services

#endif  // AUTHD_SERVICES_WITH_CALLER_H_
