// AuthdClient: gRPC stubs for every authd service plus small helpers, for end-to-end tests.
// testonly; thread-compatible.
#ifndef AUTHD_TESTS_E2E_AUTHD_CLIENT_H_
#define AUTHD_TESTS_E2E_AUTHD_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>

#include "authd/v1/admin_service.grpc.pb.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authd/v1/session_service.grpc.pb.h"
#include "authd/v1/setup_service.grpc.pb.h"
#include "authd/v1/tenant_service.grpc.pb.h"

namespace authd::e2e {

namespace v1 = ::authd::v1;

class AuthdClient {
 public:
  explicit AuthdClient(std::shared_ptr<grpc::Channel> channel);

  // A context with a 10 s deadline and, when `token` is set, `authorization: Token <token>`.
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "");

  // Setup with a password; fails the test-visible status otherwise.
  grpc::Status Setup(const std::string& username, const std::string& org,
                     const std::string& bucket, v1::SetupResponse* out,
                     const std::string& token = "");

  // Authorize(token, action, type, id, org_id).
  v1::AuthorizeResponse Authorize(const std::string& token, const std::string& action,
                                  const std::string& type, const std::string& id = "",
                                  const std::string& org_id = "", grpc::Status* status = nullptr);

  // CreateAuthorization with explicit permissions; returns the status, fills `out`.
  grpc::Status Create(const std::string& caller_token, const v1::CreateAuthorizationRequest& req,
                      v1::Authorization* out);

  // Creates, as `caller`, a token that may read `bucket` in `org`; fills `status`.
  v1::Authorization CreateBucketReader(const std::string& caller, const std::string& org,
                                       const std::string& bucket, grpc::Status* status);

  std::unique_ptr<v1::SetupService::Stub> setup;
  std::unique_ptr<v1::SessionService::Stub> session;
  std::unique_ptr<v1::TenantService::Stub> tenant;
  std::unique_ptr<v1::AuthorizationService::Stub> auths;
  std::unique_ptr<v1::AuthorizeService::Stub> authorize;
  std::unique_ptr<v1::AdminService::Stub> admin;
};

// A permission proto.
v1::Permission Perm(const std::string& action, const std::string& type, const std::string& id = "",
                    const std::string& org_id = "");

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_AUTHD_CLIENT_H_
