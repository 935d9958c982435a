// The one place an absl::Status becomes a grpc::Status (codes map one to one). Thread-safe.
#ifndef AUTHD_SERVICES_GRPC_STATUS_H_
#define AUTHD_SERVICES_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace authd::services {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_GRPC_STATUS_H_
