#include "services/ext_authz_service.h"

#include "base/clock.h"
#include "services/grpc_status.h"
#include "services/token_decision.h"

namespace authd::services {

grpc::ServerUnaryReactor* ExtAuthzServiceImpl::Check(
    grpc::CallbackServerContext* context, const envoy::service::auth::v3::CheckRequest* request,
    envoy::service::auth::v3::CheckResponse* response) {
  // One coarse clock reading per call, as Authorize.
  const int64_t now = CoarseNowNanos();
  absl::Status status = CheckOnce(
      *options_, *request,
      [&](absl::string_view token, const authz::Permission& permission) {
        return DecideToken(deps_, token, permission, now);
      },
      response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace authd::services
