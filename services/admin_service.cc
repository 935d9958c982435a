#include "services/admin_service.h"

#include "absl/time/time.h"
#include "authz/resource_type.h"
#include "services/grpc_status.h"

namespace authd::services {

grpc::Status AdminServiceImpl::GetServerConfig(grpc::ServerContext* context,
                                               const authd::v1::GetServerConfigRequest*,
                                               authd::v1::GetServerConfigResponse* response) {
  auto caller = deps_.auth->Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (!authz::IsOperator(*caller)) {
    return ToGrpcStatus(absl::PermissionDeniedError(
        "access to the server config requires operator permissions"));
  }
  const ServerInfo& info = *deps_.info;
  response->set_version(info.version);
  response->set_listen(info.listen);
  response->set_data_dir(info.data_dir);
  response->set_use_hashed_tokens(info.use_hashed_tokens);
  response->set_schema_version(deps_.store->schema_version());
  response->set_last_sequence(deps_.store->LastSequence());
  response->set_session_ttl_seconds(absl::ToInt64Seconds(info.session_ttl));
  response->set_log_level(info.log_level);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListResourceTypes(grpc::ServerContext* context,
                                                 const authd::v1::ListResourceTypesRequest*,
                                                 authd::v1::ListResourceTypesResponse* response) {
  auto caller = deps_.auth->Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  for (authz::ResourceType type : authz::AllResourceTypes()) {
    response->add_types(std::string(authz::ResourceTypeName(type)));
  }
  return grpc::Status::OK;
}

}  // namespace authd::services
