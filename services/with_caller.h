// WithCaller: the common shape of an authenticated RPC: refuse a call nobody waits for any more
// (CallBudget), authenticate the caller, run the body with the Principal, convert the resulting
// absl::Status to a grpc::Status. Header-only.
#ifndef AUTHD_SERVICES_WITH_CALLER_H_
#define AUTHD_SERVICES_WITH_CALLER_H_

#include <grpcpp/server_context.h>

#include <utility>

#include "services/call_budget.h"
#include "services/grpc_status.h"
#include "services/service_deps.h"

namespace authd::services {

template <typename Body>
grpc::Status WithCaller(const ServiceDeps& deps, const grpc::ServerContext& context, Body&& body) {
  // A call that waited past its deadline (or was cancelled) in gRPC's queues starts nothing.
  if (absl::Status live = CallBudget::Of(context).Check(); !live.ok()) return ToGrpcStatus(live);
  auto caller = deps.auth->Authenticate(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(std::forward<Body>(body)(*caller));
}

inline storage::Actor ActorOf(const authz::Principal& p) {
  return storage::Actor{p.authorization_id, p.user_id};
}

}  // namespace authd::services

#endif  // AUTHD_SERVICES_WITH_CALLER_H_
