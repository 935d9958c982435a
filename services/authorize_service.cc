#include "services/authorize_service.h"

#include "absl/strings/str_cat.h"
#include "authz/token.h"
#include "base/clock.h"
#include "services/grpc_status.h"
#include "services/log_position.h"
#include "services/token_decision.h"

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
  if (d.previous_secret) response->set_previous_secret(true);
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
  const authz::Decision d = DecideToken(deps, request.token(), requested, CoarseNowNanos());
  Fill(d, response);
  return absl::OkStatus();
}

absl::Status BatchAuthorizeOnce(const ServiceDeps& deps,
                                const authd::v1::BatchAuthorizeRequest& request,
                                authd::v1::BatchAuthorizeResponse* response,
                                std::chrono::system_clock::time_point deadline) {
  const int n = request.checks_size();
  if (n == 0) return absl::InvalidArgumentError("checks: at least one check");
  if (n > kMaxBatchChecks) {
    return absl::InvalidArgumentError(
        absl::StrCat("checks: at most ", kMaxBatchChecks, " per call, got ", n));
  }
  for (int i = 0; i < n; ++i) {
    if (request.checks(i).min_position() != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checks[", i, "].min_position: set min_position on the batch, not on a check"));
    }
  }
  if (request.min_position() != 0) {
    if (absl::Status s = AwaitPosition(*deps.store, request.min_position(), deadline); !s.ok()) {
      return s;
    }
    response->set_position(deps.store->AppliedPosition());
  }
  // One clock reading for the batch: every check is decided at the same instant.
  const int64_t now = CoarseNowNanos();
  response->mutable_results()->Reserve(n);
  for (int i = 0; i < n; ++i) {
    const authd::v1::AuthorizeRequest& check = request.checks(i);
    authd::v1::AuthorizeResponse* result = response->add_results();
    authz::Permission requested;
    if (absl::Status s = ParseRequest(check, &requested); !s.ok()) {
      authd::v1::BatchAuthorizeError* error = response->add_errors();
      error->set_index(static_cast<uint32_t>(i));
      error->set_message(absl::StrCat("checks[", i, "].", s.message()));
      continue;
    }
    Fill(DecideToken(deps, check.token(), requested, now), result);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AuthorizeServiceImpl::BatchAuthorize(
    grpc::CallbackServerContext* context, const authd::v1::BatchAuthorizeRequest* request,
    authd::v1::BatchAuthorizeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(BatchAuthorizeOnce(deps_, *request, response, context->deadline())));
  return reactor;
}

grpc::ServerUnaryReactor* AuthorizeServiceImpl::Authorize(grpc::CallbackServerContext* context,
                                                          const authd::v1::AuthorizeRequest* request,
                                                          authd::v1::AuthorizeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(AuthorizeOnce(deps_, *request, response, context->deadline())));
  return reactor;
}

}  // namespace authd::services
