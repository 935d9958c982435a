// The Authorize decision for one token and one requested permission. Pure; thread-safe.
#ifndef AUTHD_AUTHZ_DECISION_H_
#define AUTHD_AUTHZ_DECISION_H_

#include <vector>

#include "authz/id.h"
#include "authz/permission.h"

namespace authd::authz {

// Why a request was denied; kNone when allowed. Values mirror authd.v1.DenyReason.
enum class DenyReason : uint8_t {
  kNone = 0,
  kUnknownToken = 1,
  kInactiveToken = 2,
  kInactiveUser = 3,
  kNoPermission = 4,
};

// A token as the Authorize path sees it: everything needed to decide, nothing secret.
struct TokenGrant {
  Id authorization_id = 0;
  Id user_id = 0;
  Id org_id = 0;
  bool active = true;
  std::vector<Permission> permissions;
};

struct Decision {
  bool allowed = false;
  DenyReason reason = DenyReason::kUnknownToken;
  // Set whenever the token is known.
  Id authorization_id = 0;
  Id user_id = 0;
  Id org_id = 0;
};

// Decides in InfluxDB's order: unknown token, inactive user (its authentication middleware checks
// the user first), inactive token, then permission match.
// `grant` is null for an unknown token. No allocation.
Decision Decide(const TokenGrant* grant, bool user_active, const Permission& requested);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_DECISION_H_
