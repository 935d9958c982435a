// AdminServiceImpl: the gRPC adapter for operator functions (authd.v1.AdminService): server
// information, and online backup and full restore (storage/backup_files.h does the file work,
// TokenStore the snapshot and the swap). Thread-safe.
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
  grpc::Status Backup(grpc::ServerContext* context, const authd::v1::BackupRequest* request,
                      grpc::ServerWriter<authd::v1::BackupChunk>* writer) override;
  grpc::Status Restore(grpc::ServerContext* context,
                       grpc::ServerReader<authd::v1::BackupChunk>* reader,
                       authd::v1::RestoreResponse* response) override;

 private:
  ServiceDeps deps_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_ADMIN_SERVICE_H_
