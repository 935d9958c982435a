// The Authorize decision for one token and one requested permission. Pure; thread-safe.
#ifndef AUTHD_AUTHZ_DECISION_H_
#define AUTHD_AUTHZ_DECISION_H_

#include <atomic>
#include <cstdint>
#include <utility>
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

// A token as the Authorize path sees it: everything needed to decide, nothing secret. 64 bytes
// (the index keeps one per token, so every byte here is a megabyte at 1M tokens): the three flags
// and the use mark share one word.
struct TokenGrant {
  Id authorization_id = 0;
  Id user_id = 0;
  Id org_id = 0;
  bool active = true;
  // The sweeper already logged this expiry (AuthorizationExpired): nothing left to record.
  bool expiry_recorded = false;
  // This grant is a rotated-away secret in its grace period (Authorize only, no API calls).
  bool previous_secret = false;
  // Use marking (docs/adr/0007), in the grant: no allocation and no second lookup on the hot
  // path. `last_used_s` is the latest second (unix, to 2106) the grant was used, or what the log
  // holds when the grant is built; `use_pending` says a use has not yet been taken by the
  // last-used flusher (authz::TokenIndex::TakeUsage). Marked through a const grant.
  mutable std::atomic<uint8_t> use_pending{0};
  mutable std::atomic<uint32_t> last_used_s{0};
  std::vector<Permission> permissions;
  // Unix nanoseconds from which the grant is refused as expired; 0 = never. For the previous
  // secret of a rotation: the end of its grace period (or the token's expiry, if sooner).
  int64_t expires_at_ns = 0;

  TokenGrant() = default;
  TokenGrant(Id authorization, Id user, Id org, bool is_active, std::vector<Permission> perms)
      : authorization_id(authorization),
        user_id(user),
        org_id(org),
        active(is_active),
        permissions(std::move(perms)) {}
  // Copies take a relaxed snapshot of the use mark.
  TokenGrant(const TokenGrant& o) { *this = o; }
  TokenGrant(TokenGrant&& o) noexcept { *this = std::move(o); }
  TokenGrant& operator=(const TokenGrant& o) {
    if (this != &o) {
      CopyScalars(o);
      permissions = o.permissions;
    }
    return *this;
  }
  TokenGrant& operator=(TokenGrant&& o) noexcept {
    if (this != &o) {
      CopyScalars(o);
      permissions = std::move(o.permissions);
    }
    return *this;
  }

  // Records a use at `now_ns`: one relaxed load, and only when the second moved on a
  // compare-and-swap (two threads crossing a second never leave the older one) and the pending
  // mark, so a token hammered by many threads does not bounce its cache line.
  void MarkUsed(int64_t now_ns) const {
    const uint32_t s = ClampSeconds(now_ns / 1000000000);
    uint32_t seen = last_used_s.load(std::memory_order_relaxed);
    if (seen >= s) return;
    while (seen < s &&
           !last_used_s.compare_exchange_weak(seen, s, std::memory_order_relaxed)) {
    }
    use_pending.store(1, std::memory_order_release);
  }
  // Sets the use the log holds (not pending).
  void SetRecordedUse(int64_t unix_seconds) {
    last_used_s.store(ClampSeconds(unix_seconds), std::memory_order_relaxed);
    use_pending.store(0, std::memory_order_relaxed);
  }
  static uint32_t ClampSeconds(int64_t s) {
    return s <= 0 ? 0 : s >= int64_t{UINT32_MAX} ? UINT32_MAX : static_cast<uint32_t>(s);
  }

 private:
  void CopyScalars(const TokenGrant& o) {
    authorization_id = o.authorization_id;
    user_id = o.user_id;
    org_id = o.org_id;
    active = o.active;
    expiry_recorded = o.expiry_recorded;
    previous_secret = o.previous_secret;
    use_pending.store(o.use_pending.load(std::memory_order_relaxed), std::memory_order_relaxed);
    last_used_s.store(o.last_used_s.load(std::memory_order_relaxed), std::memory_order_relaxed);
    expires_at_ns = o.expires_at_ns;
  }
};
static_assert(sizeof(TokenGrant) == 64, "TokenGrant is one per token: keep it at 64 bytes");

struct Decision {
  bool allowed = false;
  DenyReason reason = DenyReason::kUnknownToken;
  // The token is a rotated-away secret (in its grace period, or just past it): a cache must not
  // remember it as its token's secret.
  bool previous_secret = false;
  // Set whenever the token is known.
  Id authorization_id = 0;
  Id user_id = 0;
  Id org_id = 0;
};

// No expiry lies further ahead, and no lifetime or grace period is longer, than this (100
// years): past it a request is refused as absurd, and every sum of a time and a lifetime stays
// far from int64 overflow. Shared by the API's validation and the command deciders.
inline constexpr int64_t kMaxTokenLifetimeNanos = int64_t{100} * 366 * 24 * 3600 * 1000000000;

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
