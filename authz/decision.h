// The Authorize decision for one token and one requested permission. Pure; thread-safe.
#ifndef AUTHD_AUTHZ_DECISION_H_
#define AUTHD_AUTHZ_DECISION_H_

#include <atomic>
#include <cstdint>
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

// When a grant was last seen, to the second, inside the grant itself (16 bytes, no allocation,
// no second lookup): the Authorize path stores into it through a const grant; the last-used
// flusher (authz::TokenIndex::TakeUsage) reads it and remembers what it wrote. Copyable (a copy
// takes a relaxed snapshot) so that grants stay values.
struct UsageSlot {
  mutable std::atomic<int64_t> last_used_s{0};
  // The latest second the flusher took (or the log already holds).
  mutable std::atomic<int64_t> flushed_s{0};

  UsageSlot() = default;
  UsageSlot(const UsageSlot& o)
      : last_used_s(o.last_used_s.load(std::memory_order_relaxed)),
        flushed_s(o.flushed_s.load(std::memory_order_relaxed)) {}
  UsageSlot& operator=(const UsageSlot& o) {
    last_used_s.store(o.last_used_s.load(std::memory_order_relaxed), std::memory_order_relaxed);
    flushed_s.store(o.flushed_s.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }

  // Records a use at `now_ns`: one relaxed load, and a compare-and-swap only when the second
  // moved on (so a token hammered by many threads does not bounce its cache line, and two
  // threads crossing a second never store the older one last).
  void Touch(int64_t now_ns) const {
    const int64_t s = now_ns / 1000000000;
    int64_t seen = last_used_s.load(std::memory_order_relaxed);
    while (seen < s &&
           !last_used_s.compare_exchange_weak(seen, s, std::memory_order_relaxed)) {
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
  // The stored last use (unix seconds): seeds `usage` when the grant enters the index.
  int64_t last_used_s = 0;
  // Uses seen by this grant in the index (authz::TokenIndex keeps it across replacements).
  UsageSlot usage;
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
