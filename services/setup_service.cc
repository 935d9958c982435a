#include "base/clock.h"
#include "services/token_lifecycle.h"
#include "services/setup_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "authz/password.h"
#include "authz/token.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "services/api_convert.h"
#include "services/grpc_status.h"
#include "services/log_position.h"
#include "services/input_rules.h"

namespace authd::services {

grpc::Status SetupServiceImpl::GetSetupStatus(grpc::ServerContext* context,
                                              const authd::v1::GetSetupStatusRequest*,
                                              authd::v1::GetSetupStatusResponse* response) {
  if (absl::Status live = CallBudget::Of(*context).Check(); !live.ok()) return ToGrpcStatus(live);
  auto allowed = deps_.store->SetupAllowed();
  if (!allowed.ok()) return ToGrpcStatus(allowed.status());
  response->set_allowed(*allowed);
  return grpc::Status::OK;
}

grpc::Status SetupServiceImpl::Setup(grpc::ServerContext* context,
                                     const authd::v1::SetupRequest* request,
                                     authd::v1::SetupResponse* response) {
  absl::Status done =
      PerformSetup(deps_.store, deps_.passwords, CallBudget::Of(*context), *request, response);
  // The first write of the instance: its position, like every other write's.
  if (done.ok()) AddPosition(*deps_.store, context);
  return ToGrpcStatus(done);
}

absl::Status PerformSetup(storage::TokenStore* store, PasswordHasher* passwords,
                          const CallBudget& budget, const authd::v1::SetupRequest& request,
                          authd::v1::SetupResponse* response) {
  AUTHD_RETURN_IF_ERROR(budget.Check());
  std::vector<std::string> missing;
  if (request.username().empty()) missing.push_back("username");
  if (request.org().empty()) missing.push_back("org");
  if (request.bucket().empty()) missing.push_back("bucket");
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "onboarding failed: missing required fields [", absl::StrJoin(missing, ","), "]"));
  }
  AUTHD_RETURN_IF_ERROR(ValidateName(request.username(), "username"));
  AUTHD_RETURN_IF_ERROR(ValidateName(request.org(), "org"));
  AUTHD_RETURN_IF_ERROR(ValidateName(request.bucket(), "bucket"));
  if (request.retention_period_seconds() < 0) {
    return absl::InvalidArgumentError("retention_period_seconds: must not be negative");
  }
  if (!request.token().empty()) AUTHD_RETURN_IF_ERROR(authz::ValidateSuppliedToken(request.token()));
  if (!request.password().empty()) AUTHD_RETURN_IF_ERROR(authz::ValidatePassword(request.password()));
  int64_t token_expires_at = 0;
  if (request.has_token_expires_at()) {
    // The store checks it against its own clock too (storage/commands.h DecideSetup).
    AUTHD_ASSIGN_OR_RETURN(token_expires_at,
                           FutureTimestampNanos(request.token_expires_at(), CoarseNowNanos(),
                                                "token_expires_at"));
  }

  // Fail fast before the (deliberately slow) password hash.
  AUTHD_ASSIGN_OR_RETURN(bool allowed, store->SetupAllowed());
  if (!allowed) return absl::FailedPreconditionError("onboarding has already been completed");

  storage::SetupCommand command;
  command.username = request.username();
  command.org = request.org();
  command.bucket = request.bucket();
  command.retention_period_seconds = request.retention_period_seconds();
  command.token = request.token().empty() ? authz::GenerateToken() : request.token();
  command.token_expires_at_unix_nanos = token_expires_at;
  if (!request.password().empty()) {
    AUTHD_ASSIGN_OR_RETURN(command.password_hash, passwords->Hash(budget, request.password()));
  }
  AUTHD_RETURN_IF_ERROR(budget.Check());
  AUTHD_ASSIGN_OR_RETURN(storage::SetupResult result, store->Setup(command));

  ApiRenderer render(store);
  *response->mutable_user() = render.User(result.user);
  *response->mutable_org() = render.Org(result.org);
  *response->mutable_bucket() = render.Bucket(result.bucket);
  *response->mutable_authorization() = render.Authorization(result.authorization, command.token);
  LogInfo(absl::StrCat("setup completed: user=", authz::FormatId(result.user.id()),
                       " org=", authz::FormatId(result.org.id()),
                       " operator authorization_id=", authz::FormatId(result.authorization.id())));
  return absl::OkStatus();
}

}  // namespace authd::services
