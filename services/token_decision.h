// DecideToken: the Authorize decision for a presented token, shared by every decision RPC
// (AuthorizeService.Authorize and BatchAuthorize, Envoy's Authorization.Check). From memory only:
// a token of impossible shape is unknown without a lookup; then authz::TokenIndex (which marks the
// use), then the SessionTable. Never touches RocksDB, never allocates, never logs the token.
// Thread-safe.
#ifndef AUTHD_SERVICES_TOKEN_DECISION_H_
#define AUTHD_SERVICES_TOKEN_DECISION_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "authz/decision.h"
#include "authz/permission.h"
#include "services/service_deps.h"

namespace authd::services {

// The decision for `token` asking for `requested` at `now_ns` (unix nanoseconds, from
// CoarseNowNanos). A token longer than authz::kMaxTokenLength is unknown.
authz::Decision DecideToken(const ServiceDeps& deps, absl::string_view token,
                            const authz::Permission& requested, int64_t now_ns);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_TOKEN_DECISION_H_
