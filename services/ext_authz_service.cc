#include "services/ext_authz_service.h"

#include "base/clock.h"
#include "services/grpc_status.h"
#include "services/token_decision.h"

namespace authd::services {
namespace {

// The org a resource named by ID belongs to, where authd keeps that resource: a bucket's from
// the token index (memory), an org is its own, a token's from the store; nullopt for types
// authd does not keep. 0 when no such resource exists. InfluxDB's handlers judge a request by ID
// against the resource's own org: so does Check, whatever org the route took from the request
// (else an org-wide token of org X could name X to reach Y's bucket).
std::optional<authz::Id> OwnOrgOf(const ServiceDeps& deps, const authz::Resource& r) {
  switch (r.type) {
    case authz::ResourceType::kOrgs:
      return r.id;
    case authz::ResourceType::kBuckets:
      return deps.index->BucketOrg(r.id);
    case authz::ResourceType::kAuthorizations: {
      auto auth = deps.store->GetAuthorization(r.id);  // a rare route: one point read
      return auth.ok() ? auth->org_id() : authz::Id{0};
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
        // By ID: judged against the resource's own org (0 when it does not exist: then no
        // org-wide permission reaches it). Resolved first: the lookup is memory for buckets and
        // orgs; a token's org costs a point read, taken only for a token that is valid at all.
        authz::Permission p = permission;
        if (p.resource.type == authz::ResourceType::kAuthorizations) {
          const authz::Decision first = DecideToken(deps_, token, p, now);
          if (first.reason != authz::DenyReason::kNone &&
              first.reason != authz::DenyReason::kNoPermission) {
            return first;  // unknown, expired, inactive: no read for it
          }
        }
        if (std::optional<authz::Id> org = OwnOrgOf(deps_, p.resource)) p.resource.org_id = *org;
        return DecideToken(deps_, token, p, now);
      },
      response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace authd::services
