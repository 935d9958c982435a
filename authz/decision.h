// The Authorize decision for one token and one requested permission. Pure; thread-safe.
#ifndef AUTHD_AUTHZ_DECISION_H_
#define AUTHD_AUTHZ_DECISION_H_

#include <atomic>
#include <cstdint>
#include <memory>
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
  kExpired = 5,
};

// When a token was last seen, to the second: one per authorization, shared by every grant of it
// (a rotated token's two secrets). The Authorize path stores into it without allocating; the
// last-used flusher (services/lifecycle_worker.h) reads it. Owned by authz::TokenIndex.
struct UsageSlot {
  std::atomic<int64_t> last_used_s{0};
  // The value the flusher last wrote to the log; touched only under the index's usage lock.
  int64_t flushed_s = 0;

  // Records a use at `now_ns`: one relaxed load, and a store only when the second changed, so a
  // token hammered by many threads does not bounce its cache line.
  void Touch(int64_t now_ns) {
    const int64_t s = now_ns / 1000000000;
    if (last_used_s.load(std::memory_order_relaxed) < s) {
      last_used_s.store(s, std::memory_order_relaxed);
    }
  }
};

// A token as the Authorize path sees it: everything needed to decide, nothing secret.
struct TokenGrant {
  Id authorization_id = 0;
  Id user_id = 0;
  Id org_id = 0;
  bool active = true;
  std::vector<Permission> permissions;
  // Unix nanoseconds from which the grant is refused as expired; 0 = never. For the previous
  // secret of a rotation: the end of its grace period (or the token's expiry, if sooner).
  int64_t expires_at_ns = 0;
  // The sweeper already logged this expiry (AuthorizationExpired): nothing left to record.
  bool expiry_recorded = false;
  // This grant is a rotated-away secret in its grace period.
  bool previous_secret = false;
  // The stored last use (unix seconds), which seeds `usage` when the index creates it.
  int64_t last_used_s = 0;
  // Set by TokenIndex::Put; null in grants built elsewhere (sessions, tests).
  std::shared_ptr<UsageSlot> usage;
};

struct Decision {
  bool allowed = false;
  DenyReason reason = DenyReason::kUnknownToken;
  // Set whenever the token is known.
  Id authorization_id = 0;
  Id user_id = 0;
  Id org_id = 0;
};

// Whether `grant` has expired at `now_ns`.
inline bool Expired(const TokenGrant& grant, int64_t now_ns) {
  return grant.expires_at_ns != 0 && now_ns >= grant.expires_at_ns;
}

// Decides in InfluxDB's order, with expiry (which InfluxDB lacks) right after the token lookup:
// unknown token, expired, inactive user (InfluxDB's authentication middleware checks the user
// first), inactive token, then permission match. `now_ns` is the caller's one clock reading
// (base/clock.h CoarseNowNanos on the hot path). `grant` is null for an unknown token.
// No allocation.
Decision Decide(const TokenGrant* grant, bool user_active, const Permission& requested,
                int64_t now_ns);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_DECISION_H_
