#include "tests/e2e/authd_client.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace authd::e2e {

AuthdClient::AuthdClient(std::shared_ptr<grpc::Channel> channel)
    : setup(v1::SetupService::NewStub(channel)),
      session(v1::SessionService::NewStub(channel)),
      tenant(v1::TenantService::NewStub(channel)),
      auths(v1::AuthorizationService::NewStub(channel)),
      authorize(v1::AuthorizeService::NewStub(channel)),
      admin(v1::AdminService::NewStub(channel)) {}

std::unique_ptr<grpc::ClientContext> AuthdClient::Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  if (!token.empty()) ctx->AddMetadata("authorization", "Token " + token);
  return ctx;
}

grpc::Status AuthdClient::Setup(const std::string& username, const std::string& org,
                                const std::string& bucket, v1::SetupResponse* out,
                                const std::string& token) {
  v1::SetupRequest req;
  req.set_username(username);
  req.set_password("correct horse battery");
  req.set_org(org);
  req.set_bucket(bucket);
  req.set_token(token);
  return setup->Setup(Ctx().get(), req, out);
}

v1::AuthorizeResponse AuthdClient::Authorize(const std::string& token, const std::string& action,
                                             const std::string& type, const std::string& id,
                                             const std::string& org_id, grpc::Status* status) {
  v1::AuthorizeRequest req;
  req.set_token(token);
  req.set_action(action);
  req.mutable_resource()->set_type(type);
  req.mutable_resource()->set_id(id);
  req.mutable_resource()->set_org_id(org_id);
  v1::AuthorizeResponse resp;
  grpc::Status s = authorize->Authorize(Ctx().get(), req, &resp);
  if (status != nullptr) *status = s;
  return resp;
}

grpc::Status AuthdClient::Create(const std::string& caller_token,
                                 const v1::CreateAuthorizationRequest& req,
                                 v1::Authorization* out) {
  return auths->CreateAuthorization(Ctx(caller_token).get(), req, out);
}

v1::Authorization AuthdClient::CreateBucketReader(const std::string& caller,
                                                 const std::string& org,
                                                 const std::string& bucket, grpc::Status* status) {
  v1::CreateAuthorizationRequest req;
  req.set_org_id(org);
  *req.add_permissions() = Perm("read", "buckets", bucket, org);
  v1::Authorization out;
  *status = Create(caller, req, &out);
  return out;
}

v1::Permission Perm(const std::string& action, const std::string& type, const std::string& id,
                    const std::string& org_id) {
  v1::Permission p;
  p.set_action(action);
  p.mutable_resource()->set_type(type);
  p.mutable_resource()->set_id(id);
  p.mutable_resource()->set_org_id(org_id);
  return p;
}

}  // namespace authd::e2e
