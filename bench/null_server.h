// NullServer: the limit of authd's gRPC stack on this machine. It is built exactly as
// services/server.cc builds authd's grpc::Server (same ServerBuilder options, same health and
// reflection plugins, the same mix of callback and sync services, so the same gRPC threads
// exist), but its AuthorizeService handler returns an empty AuthorizeResponse without looking at
// the request, and so does its envoy.service.auth.v3.Authorization Check (an empty
// CheckResponse). Load runs measure authd and a NullServer side by side and report the
// ratios. Thread-safe; Shutdown may be called once from any thread.
#ifndef AUTHD_BENCH_NULL_SERVER_H_
#define AUTHD_BENCH_NULL_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace authd::bench {

class NullServer {
 public:
  // Binds `listen` (host:port; port 0 picks one) and starts serving. Errors: kUnavailable if the
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<NullServer>> Start(const std::string& listen);
  ~NullServer();

  // The bound address, e.g. "127.0.0.1:43211".
  const std::string& address() const { return address_; }

  void Shutdown();

 private:
  NullServer() = default;

  std::string address_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace authd::bench

#endif  // AUTHD_BENCH_NULL_SERVER_H_
