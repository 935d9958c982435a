// ApplyServerLimits: the bounds authd puts on gRPC's own resources, applied to a ServerBuilder:
// the largest request, a grpc::ResourceQuota (memory for connections and calls; threads of the
// synchronous services) and the calls one HTTP/2 connection may have in flight. Shared by authd
// (services/server.cc) and the benchmarks' null server, so both run the same gRPC setup. What each
// knob does in gRPC 1.51 is described in README "Overload". Stateless.
#ifndef AUTHD_SERVICES_SERVER_LIMITS_H_
#define AUTHD_SERVICES_SERVER_LIMITS_H_

#include <grpcpp/server_builder.h>

#include "services/server_options.h"

namespace authd::services {

void ApplyServerLimits(const ServerOptions& options, grpc::ServerBuilder* builder);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SERVER_LIMITS_H_
