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

authd::v1::ServerLimits ServerLimitsProto(const ServerOptions& options) {
  authd::v1::ServerLimits l;
  l.set_http2_front(options.http2_front);
  l.set_max_connections(options.max_connections);
  l.set_max_connections_per_peer(options.max_connections_per_peer);
  l.set_new_connections_per_peer_per_second(options.new_connections_per_peer_per_second);
  l.set_max_stream_resets_per_second(options.max_stream_resets_per_second);
  l.set_handshake_timeout_ms(absl::ToInt64Milliseconds(options.handshake_timeout));
  l.set_client_stall_timeout_ms(absl::ToInt64Milliseconds(options.client_stall_timeout));
  l.set_max_concurrent_streams(options.max_concurrent_streams);
  l.set_max_sync_threads(options.max_sync_threads);
  l.set_grpc_memory_quota_bytes(options.grpc_memory_quota_bytes);
  l.set_max_concurrent_password_hashes(options.max_concurrent_password_hashes);
  l.set_max_receive_message_bytes(options.max_receive_message_bytes);
  return l;
}

net::FrontOptions FrontOptionsFromServerOptions(const ServerOptions& options) {
  net::FrontOptions f;
  f.listen = options.listen;
  // A client may open up to 100 streams before it has seen our SETTINGS (RFC 9113 §6.5.2).
  f.h2.max_open_streams = options.max_concurrent_streams + 100;
  f.h2.stream_cancels = {2.0 * options.max_stream_resets_per_second,
                         static_cast<double>(options.max_stream_resets_per_second)};
  f.h2.stall_timeout_ns = absl::ToInt64Nanoseconds(options.client_stall_timeout);
  f.peers.max_connections = options.max_connections;
  f.peers.max_connections_per_peer = options.max_connections_per_peer;
  f.peers.accepts_per_peer = {2.0 * options.new_connections_per_peer_per_second,
                              static_cast<double>(options.new_connections_per_peer_per_second)};
  f.handshake_timeout_ns = absl::ToInt64Nanoseconds(options.handshake_timeout);
  f.write_stall_timeout_ns = absl::ToInt64Nanoseconds(options.client_stall_timeout);
  return f;
}

}  // namespace authd::services
