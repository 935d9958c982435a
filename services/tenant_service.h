// TenantServiceImpl: the gRPC adapter for orgs, users and buckets (authd.v1.TenantService), with
// InfluxDB's permission checks. Thread-safe.
#ifndef AUTHD_SERVICES_TENANT_SERVICE_H_
#define AUTHD_SERVICES_TENANT_SERVICE_H_

#include "authd/v1/tenant_service.grpc.pb.h"
#include "services/service_deps.h"

namespace authd::services {

class TenantServiceImpl final : public authd::v1::TenantService::Service {
 public:
  explicit TenantServiceImpl(ServiceDeps deps) : deps_(deps) {}

  grpc::Status CreateOrg(grpc::ServerContext* c, const authd::v1::CreateOrgRequest* req,
                         authd::v1::Org* resp) override;
  grpc::Status GetOrg(grpc::ServerContext* c, const authd::v1::GetOrgRequest* req,
                      authd::v1::Org* resp) override;
  grpc::Status ListOrgs(grpc::ServerContext* c, const authd::v1::ListOrgsRequest* req,
                        authd::v1::ListOrgsResponse* resp) override;
  grpc::Status UpdateOrg(grpc::ServerContext* c, const authd::v1::UpdateOrgRequest* req,
                         authd::v1::Org* resp) override;
  grpc::Status DeleteOrg(grpc::ServerContext* c, const authd::v1::DeleteOrgRequest* req,
                         authd::v1::DeleteOrgResponse* resp) override;
  grpc::Status CreateUser(grpc::ServerContext* c, const authd::v1::CreateUserRequest* req,
                          authd::v1::User* resp) override;
  grpc::Status GetUser(grpc::ServerContext* c, const authd::v1::GetUserRequest* req,
                       authd::v1::User* resp) override;
  grpc::Status ListUsers(grpc::ServerContext* c, const authd::v1::ListUsersRequest* req,
                         authd::v1::ListUsersResponse* resp) override;
  grpc::Status UpdateUser(grpc::ServerContext* c, const authd::v1::UpdateUserRequest* req,
                          authd::v1::User* resp) override;
  grpc::Status DeleteUser(grpc::ServerContext* c, const authd::v1::DeleteUserRequest* req,
                          authd::v1::DeleteUserResponse* resp) override;
  grpc::Status SetPassword(grpc::ServerContext* c, const authd::v1::SetPasswordRequest* req,
                           authd::v1::SetPasswordResponse* resp) override;
  grpc::Status CreateBucket(grpc::ServerContext* c, const authd::v1::CreateBucketRequest* req,
                            authd::v1::Bucket* resp) override;
  grpc::Status GetBucket(grpc::ServerContext* c, const authd::v1::GetBucketRequest* req,
                         authd::v1::Bucket* resp) override;
  grpc::Status ListBuckets(grpc::ServerContext* c, const authd::v1::ListBucketsRequest* req,
                           authd::v1::ListBucketsResponse* resp) override;
  grpc::Status DeleteBucket(grpc::ServerContext* c, const authd::v1::DeleteBucketRequest* req,
                            authd::v1::DeleteBucketResponse* resp) override;

 private:
  ServiceDeps deps_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_TENANT_SERVICE_H_
