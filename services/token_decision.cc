#include "services/token_decision.h"

#include "authz/token.h"
#include "authz/token_hash.h"

namespace authd::services {

authz::Decision DecideToken(const ServiceDeps& deps, absl::string_view token,
                            const authz::Permission& requested, int64_t now_ns) {
  if (token.size() > authz::kMaxTokenLength ||
      authz::ClassifyToken(token) == authz::TokenShape::kImpossible) {
    return authz::Decide(nullptr, false, requested, now_ns);
  }
  const authz::TokenDigest digest = authz::DigestToken(token);
  authz::Decision d = deps.index->Authorize(digest, requested, now_ns);
  if (d.reason == authz::DenyReason::kUnknownToken) {
    // Not a stored token: perhaps a session (rare on this path; sessions are for admins).
    if (auto grant = deps.sessions->FindGrant(digest)) {
      d = authz::Decide(&*grant, deps.index->UserActive(grant->user_id), requested, now_ns);
    }
  }
  return d;
}

}  // namespace authd::services
