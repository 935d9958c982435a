#include "services/authorization_service.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/authorization_rules.h"
#include "authz/canned.h"
#include "authz/token.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/status_macros.h"
#include "services/api_convert.h"
#include "services/authorization_scope.h"
#include "services/input_rules.h"
#include "services/paging.h"
#include "services/token_lifecycle.h"
#include "services/watch_stream.h"
#include "services/with_caller.h"

namespace authd::services {
namespace {

using authz::Action;
using authz::Principal;
using authz::ResourceType;

// The two permissions InfluxDB requires to see (read) or change (write) a token.
absl::Status RequireOnToken(const Principal& caller, Action action,
                            const spb::AuthorizationRecord& auth) {
  return services::RequireOnToken(caller, action, auth.id(), auth.org_id(), auth.user_id());
}

bool MayRead(const Principal& caller, const spb::AuthorizationRecord& auth) {
  return MayReadToken(caller, auth.id(), auth.org_id(), auth.user_id());
}

}  // namespace

grpc::Status AuthorizationServiceImpl::CreateAuthorization(
    grpc::ServerContext* c, const authd::v1::CreateAuthorizationRequest* req,
    authd::v1::Authorization* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    // An empty org is reported by ValidateNewAuthorization, in InfluxDB's order.
    AUTHD_ASSIGN_OR_RETURN(authz::Id org_id, authz::ParseOptionalId(req->org_id(), "org_id"));
    AUTHD_ASSIGN_OR_RETURN(authz::Id user_id, authz::ParseOptionalId(req->user_id(), "user_id"));
    if (user_id == 0) user_id = caller.user_id;
    if (user_id == 0) return absl::InvalidArgumentError("unable to create token: no user");
    AUTHD_RETURN_IF_ERROR(ValidateDescription(req->description(), "description"));
    AUTHD_ASSIGN_OR_RETURN(bool active, authz::ParseActiveStatus(req->status()));

    std::vector<authz::Permission> permissions;
    switch (req->preset()) {
      case authd::v1::PRESET_UNSPECIFIED: {
        AUTHD_ASSIGN_OR_RETURN(permissions, ParsePermissions(req->permissions()));
        break;
      }
      case authd::v1::PRESET_OPERATOR:
      case authd::v1::PRESET_ALL_ACCESS:
        if (req->permissions_size() > 0) {
          return absl::InvalidArgumentError(
              "preset: cannot compose other permissions with a preset");
        }
        permissions = req->preset() == authd::v1::PRESET_OPERATOR
                          ? authz::OperatorPermissions()
                          : authz::AllAccessPermissions(org_id, user_id);
        break;
      default:
        return absl::InvalidArgumentError("preset: unknown preset");
    }
    AUTHD_RETURN_IF_ERROR(authz::ValidateNewAuthorization(org_id, permissions));
    const int64_t now = absl::ToUnixNanos(deps_.clock->Now());
    AUTHD_ASSIGN_OR_RETURN(
        int64_t expires_at,
        RequestedExpiry(req->has_expires_at() ? &req->expires_at() : nullptr,
                        req->has_ttl() ? &req->ttl() : nullptr, now));

    AUTHD_RETURN_IF_ERROR(authz::Require(
        caller, authz::OrgPermission(Action::kWrite, ResourceType::kAuthorizations, org_id)));
    AUTHD_RETURN_IF_ERROR(
        authz::Require(caller, authz::IdPermission(Action::kWrite, ResourceType::kUsers, user_id)));
    AUTHD_RETURN_IF_ERROR(authz::CheckGrantable(caller, permissions));

    storage::NewAuthorization request;
    request.org_id = org_id;
    request.user_id = user_id;
    request.description = req->description();
    request.active = active;
    request.permissions = std::move(permissions);
    request.expires_at_unix_nanos = expires_at;
    if (req->has_ttl()) request.expiry_field = "ttl";
    request.token = authz::GenerateToken();
    AUTHD_ASSIGN_OR_RETURN(auto auth, deps_.store->CreateAuthorization(ActorOf(caller), request));
    *resp = ApiRenderer(deps_.store).Authorization(auth, request.token);
    LogInfo(absl::StrCat("authorization created: id=", authz::FormatId(auth.id()),
                         " by=", authz::FormatId(caller.authorization_id)));
    return absl::OkStatus();
  });
}

grpc::Status AuthorizationServiceImpl::GetAuthorization(
    grpc::ServerContext* c, const authd::v1::GetAuthorizationRequest* req,
    authd::v1::Authorization* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_ASSIGN_OR_RETURN(auto auth, deps_.store->GetAuthorization(id));
    AUTHD_RETURN_IF_ERROR(RequireOnToken(caller, Action::kRead, auth));
    *resp = ApiRenderer(deps_.store).Authorization(auth);
    return absl::OkStatus();
  });
}

grpc::Status AuthorizationServiceImpl::ListAuthorizations(
    grpc::ServerContext* c, const authd::v1::ListAuthorizationsRequest* req,
    authd::v1::ListAuthorizationsResponse* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseOptionalId(req->id(), "id"));
    AUTHD_ASSIGN_OR_RETURN(authz::Id user_id, authz::ParseOptionalId(req->user_id(), "user_id"));
    AUTHD_ASSIGN_OR_RETURN(authz::Id org_id, authz::ParseOptionalId(req->org_id(), "org_id"));
    // The names are checked before the lookup: its NOT_FOUND message quotes them (as InfluxDB's
    // does), so a hostile filter must not get that far.
    if (!req->user().empty()) {
      AUTHD_RETURN_IF_ERROR(ValidateName(req->user(), "user"));
      AUTHD_ASSIGN_OR_RETURN(auto user, deps_.store->FindUserByName(req->user()));
      if (user_id != 0 && user_id != user.id()) return absl::OkStatus();
      user_id = user.id();
    }
    if (!req->org().empty()) {
      AUTHD_RETURN_IF_ERROR(ValidateName(req->org(), "org"));
      AUTHD_ASSIGN_OR_RETURN(auto org, deps_.store->FindOrgByName(req->org()));
      if (org_id != 0 && org_id != org.id()) return absl::OkStatus();
      org_id = org.id();
    }
    const int64_t now = absl::ToUnixNanos(deps_.clock->Now());
    AUTHD_ASSIGN_OR_RETURN(AuthorizationFilter filter, ParseAuthorizationFilter(*req, now));
    AUTHD_ASSIGN_OR_RETURN(AuthorizationSort sort,
                           ParseAuthorizationSort(req->order_by(), req->descending()));
    const bool sorted = sort.order != AuthorizationOrder::kId || sort.descending;
    AUTHD_ASSIGN_OR_RETURN(PageRequest page,
                           ParsePageRequest(req->page_size(), sorted ? "" : req->page_token()));
    ApiRenderer render(deps_.store);
    auto keep = [&](const spb::AuthorizationRecord& auth) {
      if (user_id != 0 && auth.user_id() != user_id) return false;
      if (org_id != 0 && auth.org_id() != org_id) return false;
      if (!Matches(filter, auth, now)) return false;
      if (!MayRead(caller, auth)) return false;
      // InfluxDB skips tokens whose user or org no longer exists.
      return deps_.store->GetUser(auth.user_id()).ok() && deps_.store->GetOrg(auth.org_id()).ok();
    };
    auto emit = [&](const spb::AuthorizationRecord& auth) {
      *resp->add_authorizations() = render.Authorization(auth);
    };
    if (id != 0) {  // One token at most: no paging.
      auto one = deps_.store->GetAuthorization(id);
      if (one.ok() && keep(*one)) emit(*one);
      if (!one.ok() && !absl::IsNotFound(one.status())) return one.status();
      return absl::OkStatus();
    }
    if (sorted) {
      // Every token in scope, sorted, then the page after the cursor: an admin listing's cost.
      std::optional<std::pair<int64_t, authz::Id>> cursor;
      if (!req->page_token().empty()) {
        AUTHD_ASSIGN_OR_RETURN(cursor, ParseSortedPageToken(sort.order, req->page_token()));
      }
      std::vector<spb::AuthorizationRecord> found;
      AUTHD_RETURN_IF_ERROR(deps_.store
                                ->ScanAuthorizations(user_id, org_id, 0,
                                                     [&](const spb::AuthorizationRecord& auth) {
                                                       if (keep(auth)) found.push_back(auth);
                                                       return true;
                                                     })
                                .status());
      // One order for the sort and the cursor: (key, id) ascending, or reversed.
      using Key = std::pair<int64_t, authz::Id>;
      auto precedes = [&](const Key& a, const Key& b) { return sort.descending ? b < a : a < b; };
      std::sort(found.begin(), found.end(),
                [&](const spb::AuthorizationRecord& a, const spb::AuthorizationRecord& b) {
                  return precedes(SortKey(sort.order, a), SortKey(sort.order, b));
                });
      auto it = found.begin();
      if (cursor) {
        it = std::find_if(found.begin(), found.end(), [&](const spb::AuthorizationRecord& a) {
          return precedes(*cursor, SortKey(sort.order, a));
        });
      }
      for (; it != found.end() && static_cast<size_t>(resp->authorizations_size()) < page.size;
           ++it) {
        emit(*it);
      }
      if (it != found.end()) {
        *resp->mutable_next_page_token() =
            EncodeSortedPageToken(sort.order, SortKey(sort.order, *(it - 1)));
      }
      return absl::OkStatus();
    }
    AUTHD_ASSIGN_OR_RETURN(
        *resp->mutable_next_page_token(),
        Paginate<spb::AuthorizationRecord>(
            page,
            [&](authz::Id after, auto visit) {
              return deps_.store->ScanAuthorizations(user_id, org_id, after, visit);
            },
            keep, emit));
    return absl::OkStatus();
  });
}

grpc::Status AuthorizationServiceImpl::UpdateAuthorization(
    grpc::ServerContext* c, const authd::v1::UpdateAuthorizationRequest* req,
    authd::v1::Authorization* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    std::optional<bool> active;
    std::optional<std::string> description;
    if (req->has_status()) {
      AUTHD_ASSIGN_OR_RETURN(active, ParseRequiredStatus(req->status()));
    }
    if (req->has_description()) {
      AUTHD_RETURN_IF_ERROR(ValidateDescription(req->description(), "description"));
      description = req->description();
    }
    std::optional<int64_t> expires_at;
    if (req->has_expires_at() && req->never_expires()) {
      return absl::InvalidArgumentError("expires_at, never_expires: set at most one");
    }
    if (req->has_expires_at()) {
      AUTHD_ASSIGN_OR_RETURN(
          expires_at, RequestedExpiry(&req->expires_at(), nullptr,
                                      absl::ToUnixNanos(deps_.clock->Now())));
    } else if (req->never_expires()) {
      expires_at = 0;
    }
    AUTHD_ASSIGN_OR_RETURN(auto auth, deps_.store->GetAuthorization(id));
    AUTHD_RETURN_IF_ERROR(RequireOnToken(caller, Action::kWrite, auth));
    AUTHD_ASSIGN_OR_RETURN(auth, deps_.store->UpdateAuthorization(ActorOf(caller), id, active,
                                                                  description, expires_at));
    *resp = ApiRenderer(deps_.store).Authorization(auth);
    return absl::OkStatus();
  });
}

grpc::Status AuthorizationServiceImpl::DeleteAuthorization(
    grpc::ServerContext* c, const authd::v1::DeleteAuthorizationRequest* req,
    authd::v1::DeleteAuthorizationResponse*) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_ASSIGN_OR_RETURN(auto auth, deps_.store->GetAuthorization(id));
    AUTHD_RETURN_IF_ERROR(RequireOnToken(caller, Action::kWrite, auth));
    AUTHD_RETURN_IF_ERROR(deps_.store->DeleteAuthorization(ActorOf(caller), id));
    LogInfo(absl::StrCat("authorization deleted: id=", authz::FormatId(id),
                         " by=", authz::FormatId(caller.authorization_id)));
    return absl::OkStatus();
  });
}

grpc::Status AuthorizationServiceImpl::RotateAuthorization(
    grpc::ServerContext* c, const authd::v1::RotateAuthorizationRequest* req,
    authd::v1::Authorization* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    int64_t grace = 0;
    if (req->has_grace_period()) {
      AUTHD_ASSIGN_OR_RETURN(grace,
                             DurationNanos(req->grace_period(), /*allow_zero=*/true, "grace_period"));
    }
    AUTHD_ASSIGN_OR_RETURN(auto auth, deps_.store->GetAuthorization(id));
    AUTHD_RETURN_IF_ERROR(RequireOnToken(caller, Action::kWrite, auth));
    // A new secret is a new credential with the token's permissions: only a caller who could
    // create such a token may mint it (as CreateAuthorization's no-escalation rule).
    AUTHD_ASSIGN_OR_RETURN(std::vector<authz::Permission> permissions, storage::PermissionsOf(auth));
    AUTHD_RETURN_IF_ERROR(authz::CheckGrantable(caller, permissions));
    std::string token = authz::GenerateToken();
    auto rotated = deps_.store->RotateAuthorization(ActorOf(caller), id, token, grace);
    if (!rotated.ok()) {
      WipeString(&token);
      return rotated.status();
    }
    *resp = ApiRenderer(deps_.store).Authorization(*rotated, token);
    WipeString(&token);
    LogInfo(absl::StrCat("authorization rotated: id=", authz::FormatId(id),
                         " grace=", absl::FormatDuration(absl::Nanoseconds(grace)),
                         " by=", authz::FormatId(caller.authorization_id)));
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<authd::v1::WatchAuthorizationsResponse>*
AuthorizationServiceImpl::WatchAuthorizations(grpc::CallbackServerContext* context,
                                              const authd::v1::WatchAuthorizationsRequest* request) {
  return new WatchStream(deps_, hub_, context, *request);  // deletes itself in OnDone
}

}  // namespace authd::services
