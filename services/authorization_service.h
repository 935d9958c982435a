// AuthorizationServiceImpl: the gRPC adapter for API tokens (authd.v1.AuthorizationService),
// with InfluxDB's checks: create needs `write orgs/<org>/authorizations`, `write users/<user>` and
// every granted permission (no escalation); read/update/delete need the org-and-id authorizations
// permission and the user permission; lists are silently filtered. Thread-safe.
#ifndef AUTHD_SERVICES_AUTHORIZATION_SERVICE_H_
#define AUTHD_SERVICES_AUTHORIZATION_SERVICE_H_

#include "authd/v1/authorization_service.grpc.pb.h"
#include "services/service_deps.h"

namespace authd::services {

class AuthorizationServiceImpl final : public authd::v1::AuthorizationService::Service {
 public:
  explicit AuthorizationServiceImpl(ServiceDeps deps) : deps_(deps) {}

  grpc::Status CreateAuthorization(grpc::ServerContext* c,
                                   const authd::v1::CreateAuthorizationRequest* req,
                                   authd::v1::Authorization* resp) override;
  grpc::Status GetAuthorization(grpc::ServerContext* c,
                                const authd::v1::GetAuthorizationRequest* req,
                                authd::v1::Authorization* resp) override;
  grpc::Status ListAuthorizations(grpc::ServerContext* c,
                                  const authd::v1::ListAuthorizationsRequest* req,
                                  authd::v1::ListAuthorizationsResponse* resp) override;
  grpc::Status UpdateAuthorization(grpc::ServerContext* c,
                                   const authd::v1::UpdateAuthorizationRequest* req,
                                   authd::v1::Authorization* resp) override;
  grpc::Status DeleteAuthorization(grpc::ServerContext* c,
                                   const authd::v1::DeleteAuthorizationRequest* req,
                                   authd::v1::DeleteAuthorizationResponse* resp) override;
  grpc::Status RotateAuthorization(grpc::ServerContext* c,
                                   const authd::v1::RotateAuthorizationRequest* req,
                                   authd::v1::Authorization* resp) override;

 private:
  ServiceDeps deps_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_AUTHORIZATION_SERVICE_H_
