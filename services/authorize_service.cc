#include "services/authorize_service.h"

#include "authz/token.h"
#include "authz/token_hash.h"
#include "base/clock.h"
#include "services/grpc_status.h"
#include "services/log_position.h"

namespace authd::services {
namespace {

absl::Status ParseRequest(const authd::v1::AuthorizeRequest& request, authz::Permission* out) {
  if (request.token().empty()) return absl::InvalidArgumentError("token: required");
  if (request.token().size() > authz::kMaxTokenLength) {
    return absl::InvalidArgumentError("token: longer than 512 characters");
  }
  auto action = authz::ParseAction(request.action());
  if (!action) return absl::InvalidArgumentError("action: must be read or write");
  auto type = authz::ParseResourceType(request.resource().type());
  if (!type) return absl::InvalidArgumentError("resource.type: unknown resource type");
  auto id = authz::ParseOptionalId(request.resource().id(), "resource.id");
  if (!id.ok()) return id.status();
  auto org_id = authz::ParseOptionalId(request.resource().org_id(), "resource.org_id");
  if (!org_id.ok()) return org_id.status();
  *out = authz::Permission{*action, authz::Resource{*type, *id, *org_id}};
  return absl::OkStatus();
}

void Fill(const authz::Decision& d, authd::v1::AuthorizeResponse* response) {
  response->set_allowed(d.allowed);
  response->set_reason(static_cast<authd::v1::DenyReason>(d.reason));
  if (d.authorization_id != 0) {
    response->set_authorization_id(authz::FormatId(d.authorization_id));
    response->set_user_id(authz::FormatId(d.user_id));
    response->set_org_id(authz::FormatId(d.org_id));
  }
}

}  // namespace

absl::Status AuthorizeOnce(const ServiceDeps& deps, const authd::v1::AuthorizeRequest& request,
                           authd::v1::AuthorizeResponse* response,
                           std::chrono::system_clock::time_point deadline) {
  authz::Permission requested;
  if (absl::Status s = ParseRequest(request, &requested); !s.ok()) return s;
  if (request.min_position() != 0) {
    // Before the lookup: the token may have been written through another replica just now.
    if (absl::Status s = AwaitPosition(*deps.store, request.min_position(), deadline); !s.ok()) {
      return s;
    }
    response->set_position(deps.store->AppliedPosition());
  }
  // One coarse clock reading per call (a few ns, base/clock.h) decides expiry and marks use.
  const int64_t now = CoarseNowNanos();
  if (authz::ClassifyToken(request.token()) == authz::TokenShape::kImpossible) {
    Fill(authz::Decide(nullptr, false, requested, now), response);
    return absl::OkStatus();
  }
  authz::TokenDigest digest = authz::DigestToken(request.token());
  authz::Decision d = deps.index->Authorize(digest, requested, now);
  if (d.reason == authz::DenyReason::kUnknownToken) {
    // Not a stored token: perhaps a session (rare on this path; sessions are for admins).
    if (auto grant = deps.sessions->FindGrant(digest)) {
      d = authz::Decide(&*grant, deps.index->UserActive(grant->user_id), requested, now);
    }
  }
  Fill(d, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AuthorizeServiceImpl::Authorize(grpc::CallbackServerContext* context,
                                                          const authd::v1::AuthorizeRequest* request,
                                                          authd::v1::AuthorizeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(AuthorizeOnce(deps_, *request, response, context->deadline())));
  return reactor;
}

}  // namespace authd::services
