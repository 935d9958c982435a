// AuthorizationServiceImpl: the gRPC adapter for API tokens (authd.v1.AuthorizationService),
// with InfluxDB's checks: create needs `write orgs/<org>/authorizations`, `write users/<user>` and
// every granted permission (no escalation); read/update/delete need the org-and-id authorizations
// permission and the user permission; lists are silently filtered. Thread-safe.
#ifndef AUTHD_SERVICES_AUTHORIZATION_SERVICE_H_
#define AUTHD_SERVICES_AUTHORIZATION_SERVICE_H_

#include "authd/v1/authorization_service.grpc.pb.h"
#include "services/service_deps.h"
#include "services/watch_hub.h"

namespace authd::services {

// WatchAuthorizations is a callback method (a long-lived stream must not hold one of the sync
// server's threads); the rest are sync.
class AuthorizationServiceImpl final
    : public authd::v1::AuthorizationService::WithCallbackMethod_WatchAuthorizations<
          authd::v1::AuthorizationService::Service> {
 public:
  // `hub` (borrowed, outlives the service) feeds WatchAuthorizations.
  AuthorizationServiceImpl(ServiceDeps deps, WatchHub* hub) : deps_(deps), hub_(hub) {}

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
  grpc::ServerWriteReactor<authd::v1::WatchAuthorizationsResponse>* WatchAuthorizations(
      grpc::CallbackServerContext* context,
      const authd::v1::WatchAuthorizationsRequest* request) override;

 private:
  ServiceDeps deps_;
  WatchHub* hub_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_AUTHORIZATION_SERVICE_H_
