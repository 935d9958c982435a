// Envoy's external authorization, envoy.service.auth.v3.Authorization/Check, as authd answers it
// (docs/adr/0008, docs/envoy.md): reads the credential, method and path of a CheckRequest, finds
// the permission the request needs (per-route context_extensions, else the route table), asks
// `decide`, and writes the CheckResponse Envoy acts on. Pure apart from `decide`; thread-safe.
//
// Answers:
//   allowed                 gRPC OK; ok_response sets <prefix>authorization-id, user-id, org-id
//                           (overwriting any the client sent; an empty one is removed) and removes
//                           `authorization` if configured.
//   401 Unauthorized        no `authorization` header, two of them, a scheme other than Token or
//                           Bearer, an unknown / inactive / expired token, an inactive user.
//   403 Forbidden           no permission, or no route for the method and path.
//   400 Bad Request         a path that is not normalized, or a route value that is not an ID.
// A denial is a CheckResponse (gRPC OK) with a google.rpc status code of 16 or 7 (or 3) and a JSON
// body {"code","message"} in InfluxDB's error shape; never the token.
#ifndef AUTHD_SERVICES_EXT_AUTHZ_CHECK_H_
#define AUTHD_SERVICES_EXT_AUTHZ_CHECK_H_

#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/decision.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "services/ext_authz_routes.h"

namespace authd::services {

struct ExtAuthzOptions {
  // Consulted when a request's context_extensions name no action. Default: empty (every request
  // without context_extensions is denied 403).
  ExtAuthzRouteTable routes;
  // Prefix of the headers an allowed request gains upstream; empty: none. Default: "x-authd-".
  std::string header_prefix = "x-authd-";
  // Remove the `authorization` header before the request goes upstream. Default: false.
  bool remove_authorization = false;
};

// What Check reads from a CheckRequest: views into it.
struct CheckInput {
  absl::string_view method;
  absl::string_view path;  // with its query
  std::optional<absl::string_view> authorization;
  int authorization_headers = 0;
};

// Reads `request`. Errors: kInvalidArgument naming the missing field
// (attributes.request.http, .method, .path).
absl::StatusOr<CheckInput> ReadCheckRequest(const envoy::service::auth::v3::CheckRequest& request);

// The token of an `authorization` header value "Token <t>" or "Bearer <t>" (scheme case
// insensitive), or nullopt for any other shape.
std::optional<absl::string_view> TokenFromAuthorization(absl::string_view header);

// Decides `token` asking for `permission` (services/token_decision.h in the server).
using TokenDecider =
    absl::FunctionRef<authz::Decision(absl::string_view token, const authz::Permission& permission)>;

// Answers `request` into `response`. Errors (the CheckRequest itself is malformed, or its
// context_extensions are): kInvalidArgument naming the field; a denial is OK.
absl::Status CheckOnce(const ExtAuthzOptions& options,
                       const envoy::service::auth::v3::CheckRequest& request, TokenDecider decide,
                       envoy::service::auth::v3::CheckResponse* response);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_EXT_AUTHZ_CHECK_H_
