#include "authz/decision.h"

namespace authd::authz {

Decision Decide(const TokenGrant* grant, bool user_active, const Permission& requested,
                int64_t now_ns) {
  Decision d;
  if (grant == nullptr) {
    d.reason = DenyReason::kUnknownToken;
    return d;
  }
  d.authorization_id = grant->authorization_id;
  d.user_id = grant->user_id;
  d.org_id = grant->org_id;
  d.previous_secret = grant->previous_secret;
  if (Expired(*grant, now_ns)) {
    d.reason = DenyReason::kExpired;
  } else if (!user_active) {
    d.reason = DenyReason::kInactiveUser;
  } else if (!grant->active) {
    d.reason = DenyReason::kInactiveToken;
  } else if (!AnyMatches(grant->permissions, requested)) {
    d.reason = DenyReason::kNoPermission;
  } else {
    d.allowed = true;
    d.reason = DenyReason::kNone;
  }
  return d;
}

}  // namespace authd::authz
