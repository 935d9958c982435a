// ApplyServerLimits: the bounds authd puts on gRPC's own resources, applied to a ServerBuilder:
// the largest request, a grpc::ResourceQuota (memory for connections and calls; threads of the
// synchronous services) and the calls one HTTP/2 connection may have in flight. Shared by authd
// (services/server.cc) and the benchmarks' null server, so both run the same gRPC setup. What each
// knob does in gRPC 1.51 is described in README "Overload". Stateless.
#ifndef AUTHD_SERVICES_SERVER_LIMITS_H_
#define AUTHD_SERVICES_SERVER_LIMITS_H_

#include <grpcpp/server_builder.h>

#include "authd/v1/admin_service.pb.h"
#include "net/h2_front.h"
#include "services/server_options.h"

namespace authd::services {

void ApplyServerLimits(const ServerOptions& options, grpc::ServerBuilder* builder);

// The bounds in `options`, as GetServerConfig reports them.
authd::v1::ServerLimits ServerLimitsProto(const ServerOptions& options);

// The HTTP/2 front's options from authd's (listen address and the hostile-network bounds; TLS is
// left to the caller). The front's stream limit follows `max_concurrent_streams`.
net::FrontOptions FrontOptionsFromServerOptions(const ServerOptions& options);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SERVER_LIMITS_H_
