// AdminServiceImpl: the gRPC adapter for server information (authd.v1.AdminService). Thread-safe.
#ifndef AUTHD_SERVICES_ADMIN_SERVICE_H_
#define AUTHD_SERVICES_ADMIN_SERVICE_H_

#include "authd/v1/admin_service.grpc.pb.h"
#include "services/service_deps.h"

namespace authd::services {

class AdminServiceImpl final : public authd::v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(ServiceDeps deps) : deps_(deps) {}

  grpc::Status GetServerConfig(grpc::ServerContext* context,
                               const authd::v1::GetServerConfigRequest* request,
                               authd::v1::GetServerConfigResponse* response) override;
  grpc::Status ListResourceTypes(grpc::ServerContext* context,
                                 const authd::v1::ListResourceTypesRequest* request,
                                 authd::v1::ListResourceTypesResponse* response) override;

 private:
  ServiceDeps deps_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_ADMIN_SERVICE_H_
