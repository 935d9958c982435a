#include "services/server_limits.h"

#include <grpc/grpc.h>
#include <grpcpp/resource_quota.h>

namespace authd::services {

void ApplyServerLimits(const ServerOptions& options, grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(options.max_receive_message_bytes);

  // The memory part covers gRPC's buffers and call arenas; under pressure gRPC shrinks flow-control
  // windows, cancels calls (RESOURCE_EXHAUSTED) and drops new connections. The thread part is the
  // sync server's: with every thread busy the last poller answers "Server Threadpool Exhausted"
  // (RESOURCE_EXHAUSTED) instead of starting another. The builder keeps its own reference.
  grpc::ResourceQuota quota("authd");
  quota.Resize(static_cast<size_t>(options.grpc_memory_quota_bytes));
  quota.SetMaxThreads(options.max_sync_threads);
  builder->SetResourceQuota(quota);

  // Sent in the server's HTTP/2 SETTINGS; gRPC clients queue further calls on their side.
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
}

}  // namespace authd::services
