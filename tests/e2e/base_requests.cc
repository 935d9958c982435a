#include "tests/e2e/base_requests.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace authd::e2e {
namespace {

namespace pb = ::google::protobuf;

// Fails the current test when `s` is not OK; `what` names the step.
bool Check(const grpc::Status& s, const char* what) {
  if (s.ok()) return true;
  ADD_FAILURE() << what << ": " << s.error_code() << " " << s.error_message();
  return false;
}

template <typename M>
BaseRequest One(M message, std::string token, grpc::StatusCode code = grpc::StatusCode::OK) {
  BaseRequest base;
  base.messages.push_back(std::make_unique<M>(std::move(message)));
  base.token = std::move(token);
  base.code = code;
  return base;
}

// One permission on the setup bucket, with the output-only name fields filled in (they are part
// of the request message, so they are mutated too).
v1::Permission BucketPermission(RequestEnv& env) {
  v1::Permission p = Perm("read", "buckets", env.bucket_id(), env.org_id());
  p.mutable_resource()->set_name("metrics");
  p.mutable_resource()->set_org("acme");
  return p;
}

}  // namespace

RequestEnv::RequestEnv(AuthdClient* client, std::string operator_token, std::string user_id,
                       std::string org_id, std::string bucket_id)
    : client_(client),
      operator_token_(std::move(operator_token)),
      user_id_(std::move(user_id)),
      org_id_(std::move(org_id)),
      bucket_id_(std::move(bucket_id)) {}

std::string RequestEnv::UniqueName(const std::string& prefix) {
  return absl::StrCat(prefix, "-", ++next_name_);
}

std::string RequestEnv::NewOrg() {
  v1::CreateOrgRequest req;
  req.set_name(UniqueName("org"));
  v1::Org out;
  Check(client_->tenant->CreateOrg(AuthdClient::Ctx(operator_token_).get(), req, &out), "CreateOrg");
  return out.id();
}

std::string RequestEnv::NewUser() {
  v1::CreateUserRequest req;
  req.set_name(UniqueName("user"));
  v1::User out;
  Check(client_->tenant->CreateUser(AuthdClient::Ctx(operator_token_).get(), req, &out),
        "CreateUser");
  return out.id();
}

std::string RequestEnv::NewBucket() {
  v1::CreateBucketRequest req;
  req.set_org_id(org_id_);
  req.set_name(UniqueName("bucket"));
  v1::Bucket out;
  Check(client_->tenant->CreateBucket(AuthdClient::Ctx(operator_token_).get(), req, &out),
        "CreateBucket");
  return out.id();
}

std::string RequestEnv::NewAuthorization() {
  v1::CreateAuthorizationRequest req;
  req.set_org_id(org_id_);
  *req.add_permissions() = Perm("read", "buckets", bucket_id_, org_id_);
  v1::Authorization out;
  Check(client_->Create(operator_token_, req, &out), "CreateAuthorization");
  return out.id();
}

std::string RequestEnv::NewSession() {
  v1::SignInRequest req;
  req.set_username(kSetupUser);
  req.set_password(kSetupPassword);
  v1::SignInResponse out;
  Check(client_->session->SignIn(AuthdClient::Ctx().get(), req, &out), "SignIn");
  return out.token();
}

std::vector<std::unique_ptr<pb::Message>> RequestEnv::Backup() {
  std::vector<std::unique_ptr<pb::Message>> chunks;
  auto ctx = AuthdClient::Ctx(operator_token_);
  auto reader = client_->admin->Backup(ctx.get(), v1::BackupRequest());
  auto chunk = std::make_unique<v1::BackupChunk>();
  // A small store's backup is a handful of chunks; the bound only guards against a runaway.
  for (int i = 0; i < 10000 && reader->Read(chunk.get()); ++i) {
    chunks.push_back(std::move(chunk));
    chunk = std::make_unique<v1::BackupChunk>();
  }
  Check(reader->Finish(), "Backup");
  return chunks;
}

const std::map<std::string, BaseRequestBuilder>& BaseRequestBuilders() {
  using Env = RequestEnv;
  static const auto* const kBuilders = new std::map<std::string, BaseRequestBuilder>{
      // SetupService: no credentials. Setup is already done, and its fields are validated first.
      {"authd.v1.SetupService.GetSetupStatus",
       [](Env&) { return One(v1::GetSetupStatusRequest(), ""); }},
      {"authd.v1.SetupService.Setup",
       [](Env& env) {
         v1::SetupRequest r;
         r.set_username(env.UniqueName("owner"));
         r.set_password(kSetupPassword);
         r.set_org(env.UniqueName("org"));
         r.set_bucket(env.UniqueName("bucket"));
         r.set_retention_period_seconds(3600);
         r.set_token("a-supplied-operator-token-0123456789");
         return One(r, "", grpc::StatusCode::FAILED_PRECONDITION);
       }},

      // SessionService.
      {"authd.v1.SessionService.SignIn",
       [](Env&) {
         v1::SignInRequest r;
         r.set_username(kSetupUser);
         r.set_password(kSetupPassword);
         return One(r, "");
       }},
      {"authd.v1.SessionService.SignOut",
       [](Env& env) { return One(v1::SignOutRequest(), env.NewSession()); }},
      {"authd.v1.SessionService.GetCurrentUser",
       [](Env& env) { return One(v1::GetCurrentUserRequest(), env.operator_token()); }},

      // TenantService: orgs.
      {"authd.v1.TenantService.CreateOrg",
       [](Env& env) {
         v1::CreateOrgRequest r;
         r.set_name(env.UniqueName("org"));
         r.set_description("an org");
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.GetOrg",
       [](Env& env) {
         v1::GetOrgRequest r;
         r.set_id(env.org_id());
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.ListOrgs",
       [](Env& env) {
         v1::ListOrgsRequest r;
         r.set_name("acme");
         r.set_page_size(10);
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.UpdateOrg",
       [](Env& env) {
         v1::UpdateOrgRequest r;
         r.set_id(env.NewOrg());
         r.set_description("updated");
         r.mutable_max_token_lifetime()->set_seconds(86400);
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.DeleteOrg",
       [](Env& env) {
         v1::DeleteOrgRequest r;
         r.set_id(env.NewOrg());
         return One(r, env.operator_token());
       }},

      // TenantService: users.
      {"authd.v1.TenantService.CreateUser",
       [](Env& env) {
         v1::CreateUserRequest r;
         r.set_name(env.UniqueName("user"));
         r.set_password("a good password");
         r.set_status("active");
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.GetUser",
       [](Env& env) {
         v1::GetUserRequest r;
         r.set_id(env.user_id());
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.ListUsers",
       [](Env& env) {
         v1::ListUsersRequest r;
         r.set_name(kSetupUser);
         r.set_page_size(10);
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.UpdateUser",
       [](Env& env) {
         v1::UpdateUserRequest r;
         r.set_id(env.NewUser());
         r.set_name(env.UniqueName("renamed"));
         r.set_status("active");
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.DeleteUser",
       [](Env& env) {
         v1::DeleteUserRequest r;
         r.set_id(env.NewUser());
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.SetPassword",
       [](Env& env) {
         v1::SetPasswordRequest r;
         r.set_user_id(env.NewUser());  // never the setup user: SignIn relies on its password
         r.set_password("another good password");
         return One(r, env.operator_token());
       }},

      // TenantService: buckets.
      {"authd.v1.TenantService.CreateBucket",
       [](Env& env) {
         v1::CreateBucketRequest r;
         r.set_org_id(env.org_id());
         r.set_name(env.UniqueName("bucket"));
         r.set_description("a bucket");
         r.set_retention_period_seconds(86400);
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.GetBucket",
       [](Env& env) {
         v1::GetBucketRequest r;
         r.set_id(env.bucket_id());
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.ListBuckets",
       [](Env& env) {
         v1::ListBucketsRequest r;
         r.set_org_id(env.org_id());
         r.set_name("metrics");
         r.set_page_size(10);
         return One(r, env.operator_token());
       }},
      {"authd.v1.TenantService.DeleteBucket",
       [](Env& env) {
         v1::DeleteBucketRequest r;
         r.set_id(env.NewBucket());
         return One(r, env.operator_token());
       }},

      // AuthorizationService.
      {"authd.v1.AuthorizationService.CreateAuthorization",
       [](Env& env) {
         v1::CreateAuthorizationRequest r;
         r.set_org_id(env.org_id());
         r.set_user_id(env.user_id());
         r.set_description("a token");
         r.set_status("active");
         *r.add_permissions() = BucketPermission(env);
         return One(r, env.operator_token());
       }},
      {"authd.v1.AuthorizationService.GetAuthorization",
       [](Env& env) {
         v1::GetAuthorizationRequest r;
         r.set_id(env.NewAuthorization());
         return One(r, env.operator_token());
       }},
      {"authd.v1.AuthorizationService.ListAuthorizations",
       [](Env& env) {
         v1::ListAuthorizationsRequest r;
         r.set_id(env.NewAuthorization());
         r.set_user_id(env.user_id());
         r.set_user(kSetupUser);
         r.set_org_id(env.org_id());
         r.set_org("acme");
         r.set_page_size(10);
         return One(r, env.operator_token());
       }},
      {"authd.v1.AuthorizationService.UpdateAuthorization",
       [](Env& env) {
         v1::UpdateAuthorizationRequest r;
         r.set_id(env.NewAuthorization());
         r.set_status("active");
         r.set_description("updated");
         return One(r, env.operator_token());
       }},
      {"authd.v1.AuthorizationService.RotateAuthorization",
       [](Env& env) {
         v1::RotateAuthorizationRequest r;
         r.set_id(env.NewAuthorization());
         r.mutable_grace_period()->set_seconds(60);
         return One(r, env.operator_token());
       }},
      {"authd.v1.AuthorizationService.DeleteAuthorization",
       [](Env& env) {
         v1::DeleteAuthorizationRequest r;
         r.set_id(env.NewAuthorization());
         return One(r, env.operator_token());
       }},

      // A stream that never ends by itself: each call runs for its deadline.
      {"authd.v1.AuthorizationService.WatchAuthorizations",
       [](Env& env) {
         v1::WatchAuthorizationsRequest r;
         r.set_org_id(env.org_id());
         BaseRequest base = One(r, env.operator_token(), grpc::StatusCode::DEADLINE_EXCEEDED);
         base.deadline = absl::Milliseconds(500);
         return base;
       }},

      // AuthorizeService: no credentials; it judges the token in the request.
      {"authd.v1.AuthorizeService.Authorize",
       [](Env& env) {
         v1::AuthorizeRequest r;
         r.set_token(env.operator_token());
         r.set_action("read");
         *r.mutable_resource() = BucketPermission(env).resource();
         return One(r, "");
       }},
      {"authd.v1.AuthorizeService.BatchAuthorize",
       [](Env& env) {
         v1::BatchAuthorizeRequest r;
         v1::AuthorizeRequest* check = r.add_checks();
         check->set_token(env.operator_token());
         check->set_action("read");
         *check->mutable_resource() = BucketPermission(env).resource();
         return One(r, "");
       }},

      // AdminService.
      {"authd.v1.AdminService.GetServerConfig",
       [](Env& env) { return One(v1::GetServerConfigRequest(), env.operator_token()); }},
      {"authd.v1.AdminService.ListResourceTypes",
       [](Env& env) { return One(v1::ListResourceTypesRequest(), env.operator_token()); }},
      {"authd.v1.AdminService.Backup",
       [](Env& env) { return One(v1::BackupRequest(), env.operator_token()); }},
      {"authd.v1.AdminService.Restore",
       [](Env& env) {
         BaseRequest base;
         base.messages = env.Backup();  // the current store: restoring it changes nothing
         base.token = env.operator_token();
         return base;
       }},
  };
  return *kBuilders;
}

}  // namespace authd::e2e
