// SessionTable: short-lived session tokens from SignIn, kept in memory only (a restart signs
// everyone out). Keyed by the token's digest; the plaintext is returned once and never kept.
// Expiry is judged against the injected clock. Thread-safe.
#ifndef AUTHD_AUTHZ_SESSION_TABLE_H_
#define AUTHD_AUTHZ_SESSION_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "authz/decision.h"
#include "authz/token_hash.h"
#include "base/clock.h"
#include "base/mutex.h"

namespace authd::authz {

struct Session {
  Id id = 0;
  Id user_id = 0;
  std::vector<Permission> permissions;
  absl::Time expires_at;
};

class SessionTable {
 public:
  // `max_sessions` bounds memory: past it the oldest-expiring session is evicted.
  SessionTable(const Clock* clock, absl::Duration ttl, size_t max_sessions = 100000);

  // Starts a session; returns the new session token (shown once) and fills `*session`.
  std::string Create(Id user_id, std::vector<Permission> permissions, Session* session);

  // The live session for `digest`, or nullopt (unknown or expired).
  std::optional<Session> Find(const TokenDigest& digest) const;

  // The same session as a TokenGrant (always active, no org), the shape the decision and the
  // caller authentication take for stored tokens: one conversion for both.
  std::optional<TokenGrant> FindGrant(const TokenDigest& digest) const;

  // Ends the session for `digest`; returns whether one existed.
  bool Erase(const TokenDigest& digest);

  absl::Duration ttl() const { return ttl_; }

 private:
  void EvictOneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* clock_;
  const absl::Duration ttl_;
  const size_t max_sessions_;
  mutable Mutex mu_;
  absl::flat_hash_map<TokenDigest, Session, TokenDigestHash> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_SESSION_TABLE_H_
