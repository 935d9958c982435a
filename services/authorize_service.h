// AuthorizeServiceImpl: the hot path (authd.v1.AuthorizeService: Authorize, BatchAuthorize), on
// gRPC's callback API. Validates the request, then decides from memory only (DecideToken,
// services/token_decision.h: impossible tokens by shape, authz::TokenIndex, the SessionTable).
// Never touches RocksDB; never logs the token. Unlike the other RPCs it does not consult
// CallBudget: the answer costs about a microsecond and starts nothing that would outlive the
// call, so checking the deadline first would save nothing. Only a request with `min_position`
// beyond what is applied waits (services/log_position.h).
// Thread-safe.
#ifndef AUTHD_SERVICES_AUTHORIZE_SERVICE_H_
#define AUTHD_SERVICES_AUTHORIZE_SERVICE_H_

#include <chrono>

#include "absl/status/status.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authz/decision.h"
#include "services/service_deps.h"

namespace authd::services {

// The decision for one request, as the RPC computes it (exposed for benchmarks and tests). With a
// `min_position`, waits first (until `deadline`, at most kMaxPositionWait). Errors:
// kInvalidArgument for a malformed request; kUnavailable if the position was not reached.
absl::Status AuthorizeOnce(
    const ServiceDeps& deps, const authd::v1::AuthorizeRequest& request,
    authd::v1::AuthorizeResponse* response,
    std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max());

// The most checks one BatchAuthorize may carry.
inline constexpr int kMaxBatchChecks = 1000;

// BatchAuthorize's answer (exposed for benchmarks and tests): each check as AuthorizeOnce would
// decide it, at one clock reading. Errors: kInvalidArgument (no checks, more than
// kMaxBatchChecks, a check with its own min_position); kUnavailable as AuthorizeOnce. A malformed
// check is not an error: it gets an empty result and an entry in `errors`.
absl::Status BatchAuthorizeOnce(
    const ServiceDeps& deps, const authd::v1::BatchAuthorizeRequest& request,
    authd::v1::BatchAuthorizeResponse* response,
    std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max());

class AuthorizeServiceImpl final : public authd::v1::AuthorizeService::CallbackService {
 public:
  explicit AuthorizeServiceImpl(ServiceDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Authorize(grpc::CallbackServerContext* context,
                                      const authd::v1::AuthorizeRequest* request,
                                      authd::v1::AuthorizeResponse* response) override;
  grpc::ServerUnaryReactor* BatchAuthorize(grpc::CallbackServerContext* context,
                                           const authd::v1::BatchAuthorizeRequest* request,
                                           authd::v1::BatchAuthorizeResponse* response) override;

 private:
  ServiceDeps deps_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_AUTHORIZE_SERVICE_H_
