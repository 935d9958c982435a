// ExtAuthzServiceImpl: Envoy's external authorization service, envoy.service.auth.v3.Authorization,
// served on authd's own port (docs/adr/0008, docs/envoy.md). A thin callback adapter over
// CheckOnce (services/ext_authz_check.h) and DecideToken (services/token_decision.h), like
// Authorize outside CallBudget. A request for a bucket, org or token by ID is judged against that
// resource's own org (a bucket's from the token index's memory; a token's from one point read of
// the store, only for a caller token that is valid at all), never the org the request names.
// Thread-safe.
#ifndef AUTHD_SERVICES_EXT_AUTHZ_SERVICE_H_
#define AUTHD_SERVICES_EXT_AUTHZ_SERVICE_H_

#include <memory>

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "services/arena_allocator.h"
#include "services/ext_authz_check.h"
#include "services/service_deps.h"

namespace authd::services {

class ExtAuthzServiceImpl final : public envoy::service::auth::v3::Authorization::CallbackService {
 public:
  ExtAuthzServiceImpl(ServiceDeps deps, std::shared_ptr<const ExtAuthzOptions> options)
      : deps_(deps), options_(std::move(options)) {
    SetMessageAllocatorFor_Check(&allocator_);
  }

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const envoy::service::auth::v3::CheckRequest* request,
                                  envoy::service::auth::v3::CheckResponse* response) override;

 private:
  ServiceDeps deps_;
  std::shared_ptr<const ExtAuthzOptions> options_;
  // Each Check's request and response on one arena (services/arena_allocator.h).
  ArenaMessageAllocator<envoy::service::auth::v3::CheckRequest,
                        envoy::service::auth::v3::CheckResponse>
      allocator_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_EXT_AUTHZ_SERVICE_H_
