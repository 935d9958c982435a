#include "authz/session_table.h"

#include "authz/token.h"

namespace authd::authz {

SessionTable::SessionTable(const Clock* clock, absl::Duration ttl, size_t max_sessions)
    : clock_(clock), ttl_(ttl), max_sessions_(max_sessions) {}

std::string SessionTable::Create(Id user_id, std::vector<Permission> permissions,
                                 Session* session) {
  std::string token = GenerateToken();
  Session s{NewRandomId(), user_id, std::move(permissions), clock_->Now() + ttl_};
  *session = s;
  MutexLock lock(&mu_);
  if (sessions_.size() >= max_sessions_) EvictOneLocked();
  sessions_.insert_or_assign(DigestToken(token), std::move(s));
  return token;
}

void SessionTable::EvictOneLocked() {
  // Drop every expired session first; if none, drop the one closest to expiry. O(n), and only
  // when the table is full.
  absl::Time now = clock_->Now();
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.expires_at <= now) {
      sessions_.erase(it++);
      continue;
    }
    if (oldest == sessions_.end() || it->second.expires_at < oldest->second.expires_at) {
      oldest = it;
    }
    ++it;
  }
  if (sessions_.size() >= max_sessions_ && oldest != sessions_.end()) sessions_.erase(oldest);
}

std::optional<Session> SessionTable::Find(const TokenDigest& digest) const {
  // A shared lock: Authorize falls back here for every unknown token. Expired sessions are
  // dropped by Create when the table is full, not here.
  ReaderMutexLock lock(&mu_);
  auto it = sessions_.find(digest);
  if (it == sessions_.end() || it->second.expires_at <= clock_->Now()) return std::nullopt;
  return it->second;
}

std::optional<TokenGrant> SessionTable::FindGrant(const TokenDigest& digest) const {
  std::optional<Session> session = Find(digest);
  if (!session) return std::nullopt;
  return TokenGrant{session->id, session->user_id, /*org_id=*/0, /*active=*/true,
                    std::move(session->permissions)};
}

bool SessionTable::Erase(const TokenDigest& digest) {
  MutexLock lock(&mu_);
  return sessions_.erase(digest) > 0;
}

}  // namespace authd::authz
