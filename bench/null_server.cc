#include "bench/null_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "authd/v1/admin_service.grpc.pb.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authd/v1/session_service.grpc.pb.h"
#include "authd/v1/setup_service.grpc.pb.h"
#include "authd/v1/tenant_service.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "services/server_limits.h"
#include "services/server_options.h"

namespace authd::bench {
namespace {

// The handler does no work: it finishes with OK and the default (empty) response.
class NullAuthorizeService final : public authd::v1::AuthorizeService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Authorize(grpc::CallbackServerContext* context,
                                      const authd::v1::AuthorizeRequest* /*request*/,
                                      authd::v1::AuthorizeResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// Envoy's Check, likewise: OK with an empty CheckResponse. Against NullAuthorizeService on the
// same server it shows what Envoy's bigger messages cost gRPC and protobuf alone.
class NullCheckService final : public envoy::service::auth::v3::Authorization::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const envoy::service::auth::v3::CheckRequest* /*request*/,
                                  envoy::service::auth::v3::CheckResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<NullServer>> NullServer::Start(const std::string& listen) {
  std::unique_ptr<NullServer> s(new NullServer());
  // authd's other services are sync services; their generated bases (every method UNIMPLEMENTED)
  // are registered so the server gets the same sync-server completion queues and threads as authd.
  s->services_.push_back(std::make_unique<authd::v1::SetupService::Service>());
  s->services_.push_back(std::make_unique<authd::v1::SessionService::Service>());
  s->services_.push_back(std::make_unique<authd::v1::TenantService::Service>());
  s->services_.push_back(std::make_unique<authd::v1::AuthorizationService::Service>());
  s->services_.push_back(std::make_unique<NullAuthorizeService>());
  s->services_.push_back(std::make_unique<NullCheckService>());
  s->services_.push_back(std::make_unique<authd::v1::AdminService::Service>());

  // As AuthdServer::Start (services/server.cc) builds its grpc::Server: health service on,
  // reflection plugin, a plaintext listening port (authd's default, without --tls-cert), and
  // services::ApplyServerLimits with authd's default options (max receive size, resource quota,
  // max concurrent streams), shared rather than copied so the two cannot drift apart.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  services::ApplyServerLimits(services::ServerOptions(), &builder);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  s->address_ = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  grpc::HealthCheckServiceInterface* health = s->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus("authd.v1.AuthorizeService", true);
  return s;
}

void NullServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

NullServer::~NullServer() { Shutdown(); }

}  // namespace authd::bench
