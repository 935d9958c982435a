#include "services/token_lifecycle.h"
#include "services/tenant_service.h"

#include "authz/authorization_rules.h"
#include "authz/password.h"
#include "base/status_macros.h"
#include "services/api_convert.h"
#include "services/call_budget.h"
#include "services/input_rules.h"
#include "services/paging.h"
#include "services/with_caller.h"

namespace authd::services {
namespace {

using authz::Action;
using authz::Principal;
using authz::ResourceType;

authz::Permission OrgRead(authz::Id id) { return authz::IdPermission(Action::kRead, ResourceType::kOrgs, id); }
authz::Permission UserAt(Action a, authz::Id id) { return authz::IdPermission(a, ResourceType::kUsers, id); }
authz::Permission BucketAt(Action a, const spb::BucketRecord& b) {
  return authz::OrgIdPermission(a, ResourceType::kBuckets, b.org_id(), b.id());
}

}  // namespace

grpc::Status TenantServiceImpl::CreateOrg(grpc::ServerContext* c,
                                          const authd::v1::CreateOrgRequest* req,
                                          authd::v1::Org* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_RETURN_IF_ERROR(ValidateName(req->name(), "name"));
    AUTHD_RETURN_IF_ERROR(ValidateDescription(req->description(), "description"));
    AUTHD_RETURN_IF_ERROR(
        authz::Require(caller, authz::GlobalPermission(Action::kWrite, ResourceType::kOrgs)));
    AUTHD_ASSIGN_OR_RETURN(auto org,
                           deps_.store->CreateOrg(ActorOf(caller), req->name(), req->description()));
    *resp = ApiRenderer(deps_.store).Org(org);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::GetOrg(grpc::ServerContext* c, const authd::v1::GetOrgRequest* req,
                                       authd::v1::Org* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    // Permission first (InfluxDB's order): a caller without rights cannot probe which IDs exist.
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, OrgRead(id)));
    AUTHD_ASSIGN_OR_RETURN(auto org, deps_.store->GetOrg(id));
    *resp = ApiRenderer(deps_.store).Org(org);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::ListOrgs(grpc::ServerContext* c,
                                         const authd::v1::ListOrgsRequest* req,
                                         authd::v1::ListOrgsResponse* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req->page_size(), req->page_token()));
    ApiRenderer render(deps_.store);
    AUTHD_ASSIGN_OR_RETURN(
        *resp->mutable_next_page_token(),
        Paginate<spb::OrgRecord>(
            page, [&](authz::Id after, auto visit) { return deps_.store->ScanOrgs(after, visit); },
            [&](const spb::OrgRecord& org) {
              return (req->name().empty() || org.name() == req->name()) &&
                     authz::Allowed(caller, OrgRead(org.id()));
            },
            [&](const spb::OrgRecord& org) { *resp->add_orgs() = render.Org(org); }));
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::UpdateOrg(grpc::ServerContext* c,
                                          const authd::v1::UpdateOrgRequest* req,
                                          authd::v1::Org* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    std::optional<std::string> description;
    if (req->has_description()) {
      AUTHD_RETURN_IF_ERROR(ValidateDescription(req->description(), "description"));
      description = req->description();
    }
    std::optional<int64_t> max_lifetime;
    if (req->has_max_token_lifetime()) {
      AUTHD_ASSIGN_OR_RETURN(max_lifetime, DurationNanos(req->max_token_lifetime(),
                                                         /*allow_zero=*/true, "max_token_lifetime"));
    }
    AUTHD_RETURN_IF_ERROR(
        authz::Require(caller, authz::IdPermission(Action::kWrite, ResourceType::kOrgs, id)));
    AUTHD_ASSIGN_OR_RETURN(auto org,
                           deps_.store->UpdateOrg(ActorOf(caller), id, description, max_lifetime));
    *resp = ApiRenderer(deps_.store).Org(org);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::DeleteOrg(grpc::ServerContext* c,
                                          const authd::v1::DeleteOrgRequest* req,
                                          authd::v1::DeleteOrgResponse*) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_RETURN_IF_ERROR(
        authz::Require(caller, authz::IdPermission(Action::kWrite, ResourceType::kOrgs, id)));
    return deps_.store->DeleteOrg(ActorOf(caller), id);
  });
}

grpc::Status TenantServiceImpl::CreateUser(grpc::ServerContext* c,
                                           const authd::v1::CreateUserRequest* req,
                                           authd::v1::User* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_RETURN_IF_ERROR(ValidateName(req->name(), "name"));
    AUTHD_ASSIGN_OR_RETURN(bool active, authz::ParseActiveStatus(req->status()));
    if (!req->password().empty()) AUTHD_RETURN_IF_ERROR(authz::ValidatePassword(req->password()));
    AUTHD_RETURN_IF_ERROR(
        authz::Require(caller, authz::GlobalPermission(Action::kWrite, ResourceType::kUsers)));
    std::string hash;
    if (!req->password().empty()) {
      AUTHD_ASSIGN_OR_RETURN(hash, deps_.passwords->Hash(CallBudget::Of(*c), req->password()));
    }
    AUTHD_ASSIGN_OR_RETURN(auto user,
                           deps_.store->CreateUser(ActorOf(caller), req->name(), hash, active));
    *resp = ApiRenderer(deps_.store).User(user);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::GetUser(grpc::ServerContext* c,
                                        const authd::v1::GetUserRequest* req,
                                        authd::v1::User* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, UserAt(Action::kRead, id)));
    AUTHD_ASSIGN_OR_RETURN(auto user, deps_.store->GetUser(id));
    *resp = ApiRenderer(deps_.store).User(user);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::ListUsers(grpc::ServerContext* c,
                                          const authd::v1::ListUsersRequest* req,
                                          authd::v1::ListUsersResponse* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req->page_size(), req->page_token()));
    ApiRenderer render(deps_.store);
    AUTHD_ASSIGN_OR_RETURN(
        *resp->mutable_next_page_token(),
        Paginate<spb::UserRecord>(
            page, [&](authz::Id after, auto visit) { return deps_.store->ScanUsers(after, visit); },
            [&](const spb::UserRecord& user) {
              return (req->name().empty() || user.name() == req->name()) &&
                     authz::Allowed(caller, UserAt(Action::kRead, user.id()));
            },
            [&](const spb::UserRecord& user) { *resp->add_users() = render.User(user); }));
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::UpdateUser(grpc::ServerContext* c,
                                           const authd::v1::UpdateUserRequest* req,
                                           authd::v1::User* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    std::optional<std::string> name;
    std::optional<bool> active;
    if (req->has_name()) {
      AUTHD_RETURN_IF_ERROR(ValidateName(req->name(), "name"));
      name = req->name();
    }
    if (req->has_status()) {
      AUTHD_ASSIGN_OR_RETURN(active, ParseRequiredStatus(req->status()));
    }
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, UserAt(Action::kWrite, id)));
    AUTHD_ASSIGN_OR_RETURN(auto user, deps_.store->UpdateUser(ActorOf(caller), id, name, active));
    *resp = ApiRenderer(deps_.store).User(user);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::DeleteUser(grpc::ServerContext* c,
                                           const authd::v1::DeleteUserRequest* req,
                                           authd::v1::DeleteUserResponse*) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, UserAt(Action::kWrite, id)));
    return deps_.store->DeleteUser(ActorOf(caller), id);
  });
}

grpc::Status TenantServiceImpl::SetPassword(grpc::ServerContext* c,
                                            const authd::v1::SetPasswordRequest* req,
                                            authd::v1::SetPasswordResponse*) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->user_id(), "user_id"));
    AUTHD_RETURN_IF_ERROR(authz::ValidatePassword(req->password()));
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, UserAt(Action::kWrite, id)));
    AUTHD_RETURN_IF_ERROR(deps_.store->GetUser(id).status());
    AUTHD_ASSIGN_OR_RETURN(std::string hash,
                           deps_.passwords->Hash(CallBudget::Of(*c), req->password()));
    return deps_.store->SetPassword(ActorOf(caller), id, hash);
  });
}

grpc::Status TenantServiceImpl::CreateBucket(grpc::ServerContext* c,
                                             const authd::v1::CreateBucketRequest* req,
                                             authd::v1::Bucket* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id org_id, authz::ParseId(req->org_id(), "org_id"));
    AUTHD_RETURN_IF_ERROR(ValidateName(req->name(), "name"));
    AUTHD_RETURN_IF_ERROR(ValidateDescription(req->description(), "description"));
    if (req->retention_period_seconds() < 0) {
      return absl::InvalidArgumentError("retention_period_seconds: must not be negative");
    }
    AUTHD_RETURN_IF_ERROR(authz::Require(
        caller, authz::OrgPermission(Action::kWrite, ResourceType::kBuckets, org_id)));
    AUTHD_ASSIGN_OR_RETURN(
        auto bucket, deps_.store->CreateBucket(ActorOf(caller), org_id, req->name(),
                                               req->description(), req->retention_period_seconds()));
    *resp = ApiRenderer(deps_.store).Bucket(bucket);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::GetBucket(grpc::ServerContext* c,
                                          const authd::v1::GetBucketRequest* req,
                                          authd::v1::Bucket* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_ASSIGN_OR_RETURN(auto bucket, deps_.store->GetBucket(id));
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, BucketAt(Action::kRead, bucket)));
    *resp = ApiRenderer(deps_.store).Bucket(bucket);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::ListBuckets(grpc::ServerContext* c,
                                            const authd::v1::ListBucketsRequest* req,
                                            authd::v1::ListBucketsResponse* resp) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id org_id, authz::ParseOptionalId(req->org_id(), "org_id"));
    AUTHD_ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req->page_size(), req->page_token()));
    ApiRenderer render(deps_.store);
    AUTHD_ASSIGN_OR_RETURN(
        *resp->mutable_next_page_token(),
        Paginate<spb::BucketRecord>(
            page,
            [&](authz::Id after, auto visit) {
              return deps_.store->ScanBuckets(org_id, after, visit);
            },
            [&](const spb::BucketRecord& bucket) {
              return (req->name().empty() || bucket.name() == req->name()) &&
                     authz::Allowed(caller, BucketAt(Action::kRead, bucket));
            },
            [&](const spb::BucketRecord& bucket) { *resp->add_buckets() = render.Bucket(bucket); }));
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::DeleteBucket(grpc::ServerContext* c,
                                             const authd::v1::DeleteBucketRequest* req,
                                             authd::v1::DeleteBucketResponse*) {
  return WithCaller(deps_, *c, [&](const Principal& caller) -> absl::Status {
    AUTHD_ASSIGN_OR_RETURN(authz::Id id, authz::ParseId(req->id(), "id"));
    AUTHD_ASSIGN_OR_RETURN(auto bucket, deps_.store->GetBucket(id));
    AUTHD_RETURN_IF_ERROR(authz::Require(caller, BucketAt(Action::kWrite, bucket)));
    return deps_.store->DeleteBucket(ActorOf(caller), id);
  });
}

}  // namespace authd::services
