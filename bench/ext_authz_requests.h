// The CheckRequests bench/load_gen sends for `--rpc=check`: one tokens-file line
// (bench/tokens_file.h) as Envoy's ext_authz filter would ask about the HTTP request an InfluxDB
// client makes for it, and the route table (`--ext-authz-routes`, services/ext_authz_routes.h)
// under which that request needs exactly the permission the line's AuthorizeRequest asks for.
// Pure; thread-safe.
//
// The HTTP request for a line `action type org_id id` (`?orgID=` only when org_id is set):
//
//   write buckets <org> <id>   POST /api/v2/write?orgID=<org>&bucket=<id>&precision=ns
//   read  <type>  <org> <id>   GET  /api/v2/<type>/<id>?orgID=<org>
//   write <type>  <org> <id>   PATCH /api/v2/<type>/<id>?orgID=<org>
//   read  <type>  <org>        GET  /api/v2/<type>?orgID=<org>
//   write <type>  <org>        POST /api/v2/<type>?orgID=<org>
//
// The CheckRequest carries what Envoy fills in (attributes.source/destination socket addresses,
// request.time, request.http id, method, path with its query, host, scheme, protocol) and 8
// lowercased headers, pseudo-headers included: :authority, :method, :path, :scheme, user-agent,
// accept-encoding (GET) or content-encoding (writes), x-request-id and `authorization: Token <t>`.
// No context_extensions: the permission comes from the route table, which lists the write route,
// then buckets' routes (the hot ones), then every other resource type's four routes.
#ifndef AUTHD_BENCH_EXT_AUTHZ_REQUESTS_H_
#define AUTHD_BENCH_EXT_AUTHZ_REQUESTS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bench/tokens_file.h"
#include "envoy/service/auth/v3/external_auth.pb.h"

namespace authd::bench {

// The method and path (with its query) of the HTTP request for `request`.
struct HttpTarget {
  std::string method;
  std::string path;
};

// Errors: kInvalidArgument when the action is not read or write, or the type is not an authd
// resource type (no route could map it).
absl::StatusOr<HttpTarget> HttpTargetFor(const BenchRequest& request);

// Which request headers the CheckRequest carries: Envoy's default for a gRPC authorization
// server (all of them: the 8 above), or only `authorization` (the filter's `allowed_headers`
// listing just it).
enum class CheckHeaders { kAll, kAuthorizationOnly };

// The CheckRequest for `request`; `stream_id` becomes Envoy's request id and the x-request-id.
// Errors: as HttpTargetFor.
absl::StatusOr<envoy::service::auth::v3::CheckRequest> CheckRequestFor(
    const BenchRequest& request, uint64_t stream_id, CheckHeaders headers = CheckHeaders::kAll);

// The route table (YAML, format version 1) under which every HttpTargetFor path maps to its
// line's permission. `bench/load_gen --print-ext-authz-routes` prints it.
std::string ExtAuthzRoutesYaml();

}  // namespace authd::bench

#endif  // AUTHD_BENCH_EXT_AUTHZ_REQUESTS_H_
