// SessionServiceImpl: the gRPC adapter for username/password sign-in (authd.v1.SessionService).
// Verifies Argon2id passwords and issues in-memory session tokens. Thread-safe.
#ifndef AUTHD_SERVICES_SESSION_SERVICE_H_
#define AUTHD_SERVICES_SESSION_SERVICE_H_

#include "authd/v1/session_service.grpc.pb.h"
#include "services/service_deps.h"

namespace authd::services {

class SessionServiceImpl final : public authd::v1::SessionService::Service {
 public:
  explicit SessionServiceImpl(ServiceDeps deps);

  grpc::Status SignIn(grpc::ServerContext* context, const authd::v1::SignInRequest* request,
                      authd::v1::SignInResponse* response) override;
  grpc::Status SignOut(grpc::ServerContext* context, const authd::v1::SignOutRequest* request,
                       authd::v1::SignOutResponse* response) override;
  grpc::Status GetCurrentUser(grpc::ServerContext* context,
                              const authd::v1::GetCurrentUserRequest* request,
                              authd::v1::User* response) override;

 private:
  absl::Status DoSignIn(const grpc::ServerContext& context, const authd::v1::SignInRequest& request,
                        authd::v1::SignInResponse* response);

  ServiceDeps deps_;
  // Verified against when the user does not exist, so both failures cost the same time.
  std::string dummy_hash_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SESSION_SERVICE_H_
