#include "services/session_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/password.h"
#include "authz/token_hash.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "services/call_budget.h"
#include "services/api_convert.h"
#include "services/grpc_status.h"
#include "services/with_caller.h"

namespace authd::services {
namespace {
const absl::Status kBadCredentials =
    absl::UnauthenticatedError("invalid username or password");
}  // namespace

SessionServiceImpl::SessionServiceImpl(ServiceDeps deps) : deps_(deps) {
  auto hash = authz::HashPassword("authd-no-such-user-placeholder");
  if (hash.ok()) dummy_hash_ = *hash;
}

grpc::Status SessionServiceImpl::SignIn(grpc::ServerContext* context,
                                        const authd::v1::SignInRequest* request,
                                        authd::v1::SignInResponse* response) {
  return ToGrpcStatus(DoSignIn(*context, *request, response));
}

absl::Status SessionServiceImpl::DoSignIn(const grpc::ServerContext& context,
                                          const authd::v1::SignInRequest& request,
                                          authd::v1::SignInResponse* response) {
  const CallBudget budget = CallBudget::Of(context);
  AUTHD_RETURN_IF_ERROR(budget.Check());
  if (request.username().empty() || request.password().empty() ||
      request.password().size() > 72) {
    return kBadCredentials;
  }
  auto user = deps_.store->FindUserByName(request.username());
  if (!user.ok() && !absl::IsNotFound(user.status())) return user.status();
  const std::string& hash = user.ok() ? user->password_hash() : dummy_hash_;
  AUTHD_ASSIGN_OR_RETURN(
      bool match,
      deps_.passwords->Verify(budget, request.password(), hash.empty() ? dummy_hash_ : hash));
  if (!user.ok() || hash.empty() || !match) {
    LogWarning(absl::StrCat("sign-in failed: peer=", deps_.auth->PeerOf(context)));
    return kBadCredentials;
  }
  if (!storage::IsActive(user->status())) {
    return absl::PermissionDeniedError("user is inactive");
  }
  std::vector<authz::Permission> permissions = authz::MePermissions(user->id());
  AUTHD_ASSIGN_OR_RETURN(auto instance, deps_.store->Instance());
  if (instance && instance->owner_user_id() == user->id()) {
    for (const authz::Permission& p : authz::InstanceOwnerPermissions()) permissions.push_back(p);
  }
  authz::Session session;
  std::string token = deps_.sessions->Create(user->id(), std::move(permissions), &session);
  response->set_token(token);
  *response->mutable_expires_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(session.expires_at));
  LogInfo(absl::StrCat("signed in: user=", authz::FormatId(user->id()),
                       " session_id=", authz::FormatId(session.id), " peer=", deps_.auth->PeerOf(context)));
  return absl::OkStatus();
}

grpc::Status SessionServiceImpl::SignOut(grpc::ServerContext* context,
                                         const authd::v1::SignOutRequest*,
                                         authd::v1::SignOutResponse*) {
  if (absl::Status live = CallBudget::Of(*context).Check(); !live.ok()) return ToGrpcStatus(live);
  auto token = TokenFromContext(*context);
  if (!token.ok()) return ToGrpcStatus(token.status());
  if (!deps_.sessions->Erase(authz::DigestToken(*token))) {
    return ToGrpcStatus(absl::UnauthenticatedError("no such session"));
  }
  return grpc::Status::OK;
}

grpc::Status SessionServiceImpl::GetCurrentUser(grpc::ServerContext* context,
                                                const authd::v1::GetCurrentUserRequest*,
                                                authd::v1::User* response) {
  return WithCaller(deps_, *context, [&](const authz::Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(auto user, deps_.store->GetUser(caller.user_id));
    *response = ApiRenderer(deps_.store).User(user);
    return absl::OkStatus();
  });
}

}  // namespace authd::services
