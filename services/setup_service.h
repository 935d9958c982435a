// SetupServiceImpl: the gRPC adapter for first-run onboarding (authd.v1.SetupService).
// Thin: validates the request, hashes the password, calls TokenStore::Setup. Thread-safe.
#ifndef AUTHD_SERVICES_SETUP_SERVICE_H_
#define AUTHD_SERVICES_SETUP_SERVICE_H_

#include "authd/v1/setup_service.grpc.pb.h"
#include "services/call_budget.h"
#include "services/password_hasher.h"
#include "services/service_deps.h"

namespace authd::services {

// Onboarding itself, shared by the Setup RPC and the start-up bootstrap (AUTHD_INIT_*): validates,
// hashes the password (in one of `passwords`' slots), runs TokenStore::Setup and renders the
// result. Nothing is written once `budget` has run out. Errors: kInvalidArgument,
// kFailedPrecondition "onboarding has already been completed", kDeadlineExceeded / kCancelled
// (CallBudget), storage errors.
absl::Status PerformSetup(storage::TokenStore* store, PasswordHasher* passwords,
                          const CallBudget& budget, const authd::v1::SetupRequest& request,
                          authd::v1::SetupResponse* response);

class SetupServiceImpl final : public authd::v1::SetupService::Service {
 public:
  explicit SetupServiceImpl(ServiceDeps deps) : deps_(deps) {}

  grpc::Status GetSetupStatus(grpc::ServerContext* context,
                              const authd::v1::GetSetupStatusRequest* request,
                              authd::v1::GetSetupStatusResponse* response) override;
  grpc::Status Setup(grpc::ServerContext* context, const authd::v1::SetupRequest* request,
                     authd::v1::SetupResponse* response) override;

 private:
  ServiceDeps deps_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SETUP_SERVICE_H_
