#include "services/ext_authz_service.h"

#include "base/clock.h"
#include "services/grpc_status.h"
#include "services/token_decision.h"

namespace authd::services {
namespace {

// The org a resource named by ID belongs to, from the store, where authd keeps that resource
// (buckets, orgs, tokens); nullopt otherwise, or when it does not exist. InfluxDB's handlers
// judge a request by ID against the resource's own org: so does Check, whatever org the route
// took from the request (else an org-wide token of org X could name X to reach Y's bucket).
std::optional<authz::Id> StoredOrgOf(const ServiceDeps& deps, const authz::Resource& r) {
  switch (r.type) {
    case authz::ResourceType::kOrgs:
      return r.id;
    case authz::ResourceType::kBuckets: {
      auto bucket = deps.store->GetBucket(r.id);
      if (bucket.ok()) return bucket->org_id();
      return std::nullopt;
    }
    case authz::ResourceType::kAuthorizations: {
      auto auth = deps.store->GetAuthorization(r.id);
      if (auth.ok()) return auth->org_id();
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

grpc::ServerUnaryReactor* ExtAuthzServiceImpl::Check(
    grpc::CallbackServerContext* context, const envoy::service::auth::v3::CheckRequest* request,
    envoy::service::auth::v3::CheckResponse* response) {
  // One coarse clock reading per call, as Authorize.
  const int64_t now = CoarseNowNanos();
  absl::Status status = CheckOnce(
      *options_, *request,
      [&](absl::string_view token, const authz::Permission& permission) {
        if (permission.resource.id == 0) return DecideToken(deps_, token, permission, now);
        // By ID: judged against the resource's own org (one point read of the store).
        authz::Permission p = permission;
        if (std::optional<authz::Id> org = StoredOrgOf(deps_, p.resource)) {
          p.resource.org_id = *org;
        } else if (p.resource.type == authz::ResourceType::kBuckets ||
                   p.resource.type == authz::ResourceType::kAuthorizations) {
          p.resource.org_id = 0;  // no such resource: no org-wide permission reaches it
        }
        return DecideToken(deps_, token, p, now);
      },
      response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace authd::services
