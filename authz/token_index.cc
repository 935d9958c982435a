#include "authz/token_index.h"

#include <algorithm>

namespace authd::authz {

void TokenIndex::TrackExpiry(const TokenDigest& digest, const std::optional<ExpiryFacts>& before,
                             const std::optional<ExpiryFacts>& after) {
  auto pending = [](const std::optional<ExpiryFacts>& g) {
    return g && g->expires_at_ns != 0 && !g->recorded;
  };
  auto recorded = [](const std::optional<ExpiryFacts>& g) {
    return g && g->expires_at_ns != 0 && g->recorded && !g->previous_secret;
  };
  if (!pending(before) && !pending(after) && !recorded(before) && !recorded(after)) return;
  MutexLock lock(&expiry_mu_);
  if (pending(before)) expiring_.erase(ExpiryKey{before->expires_at_ns, digest});
  if (recorded(before)) expired_.erase(ExpiryKey{before->expires_at_ns, digest});
  if (pending(after)) {
    expiring_.insert_or_assign(
        ExpiryKey{after->expires_at_ns, digest},
        DueExpiry{after->authorization_id, after->previous_secret, after->expires_at_ns});
  }
  if (recorded(after)) {
    expired_.insert_or_assign(ExpiryKey{after->expires_at_ns, digest}, after->authorization_id);
  }
}

namespace {

uint32_t LastUsed(const TokenGrant& g) { return g.last_used_s.load(std::memory_order_relaxed); }
bool Pending(const TokenGrant& g) { return g.use_pending.load(std::memory_order_relaxed) != 0; }

// Carries `from`'s use into `to` (the same authorization's grant that replaces it, or its reload)
// when it is later than what `to` holds from the log; pending only if it still was.
void CarryUse(const TokenGrant& from, TokenGrant* to) {
  if (LastUsed(from) <= LastUsed(*to)) return;
  to->last_used_s.store(LastUsed(from), std::memory_order_relaxed);
  to->use_pending.store(Pending(from) ? 1 : 0, std::memory_order_relaxed);
}

// Keeps the latest use per authorization in `uses`.
void KeepLatest(absl::flat_hash_map<Id, int64_t>* uses, Id id, int64_t seen) {
  int64_t& kept = (*uses)[id];
  kept = std::max(kept, seen);
}

}  // namespace

void TokenIndex::Put(const TokenDigest& digest, TokenGrant grant) {
  // What the log holds is not pending.
  grant.use_pending.store(0, std::memory_order_relaxed);
  const ExpiryFacts after = FactsOf(grant);
  std::optional<ExpiryFacts> before;
  {
    Shard& s = shards_[ShardOf(digest)];
    MutexLock lock(&s.mu);
    auto it = s.map.find(digest);
    if (it != s.map.end()) {
      before = FactsOf(it->second);
      // The replaced grant's uses carry over (an update must not lose an unflushed use).
      if (it->second.authorization_id == grant.authorization_id) CarryUse(it->second, &grant);
      it->second = std::move(grant);
    } else {
      s.map.emplace(digest, std::move(grant));
    }
  }
  TrackExpiry(digest, before, after);
}

void TokenIndex::Erase(const TokenDigest& digest) {
  std::optional<TokenGrant> removed;
  {
    Shard& s = shards_[ShardOf(digest)];
    MutexLock lock(&s.mu);
    auto it = s.map.find(digest);
    if (it == s.map.end()) return;
    removed = std::move(it->second);
    s.map.erase(it);
  }
  TrackExpiry(digest, FactsOf(*removed), std::nullopt);
  if (Pending(*removed)) {
    // A rotated-away secret used since the last flush: its use is still the token's.
    MutexLock lock(&usage_mu_);
    KeepLatest(&erased_uses_, removed->authorization_id, LastUsed(*removed));
  }
}

void TokenIndex::SetUserActive(Id user_id, bool active) {
  MutexLock lock(&users_mu_);
  if (active) {
    active_users_.insert(user_id);
  } else {
    active_users_.erase(user_id);
  }
}

void TokenIndex::SetBucketOrg(Id bucket_id, Id org_id) {
  MutexLock lock(&buckets_mu_);
  if (org_id != 0) {
    bucket_orgs_[bucket_id] = org_id;
  } else {
    bucket_orgs_.erase(bucket_id);
  }
}

Id TokenIndex::BucketOrg(Id bucket_id) const {
  ReaderMutexLock lock(&buckets_mu_);
  auto it = bucket_orgs_.find(bucket_id);
  return it == bucket_orgs_.end() ? 0 : it->second;
}

void TokenIndex::Clear() {
  for (Shard& s : shards_) {
    MutexLock lock(&s.mu);
    s.map.clear();
  }
  {
    MutexLock lock(&users_mu_);
    active_users_.clear();
  }
  {
    MutexLock lock(&buckets_mu_);
    bucket_orgs_.clear();
  }
  {
    MutexLock lock(&usage_mu_);
    erased_uses_.clear();
  }
  MutexLock lock(&expiry_mu_);
  expiring_.clear();
  expired_.clear();
}

void TokenIndex::Reserve(size_t tokens) {
  // Digests are uniform, so shards fill evenly; 10% over keeps a shard that drew more from
  // rehashing near the end.
  const size_t per_shard = tokens / kShards + tokens / kShards / 10 + 1;
  for (Shard& s : shards_) {
    MutexLock lock(&s.mu);
    s.map.reserve(per_shard);
  }
}

void TokenIndex::SwapContents(TokenIndex* other) {
  for (int i = 0; i < kShards; ++i) {
    MutexLock a(&shards_[i].mu);
    MutexLock b(&other->shards_[i].mu);
    // Uses seen here that the reloaded grants do not hold yet.
    for (auto& [digest, grant] : shards_[i].map) {
      auto it = other->shards_[i].map.find(digest);
      if (it == other->shards_[i].map.end() ||
          it->second.authorization_id != grant.authorization_id) {
        continue;
      }
      CarryUse(grant, &it->second);
    }
    shards_[i].map.swap(other->shards_[i].map);
  }
  {
    MutexLock a(&users_mu_);
    MutexLock b(&other->users_mu_);
    active_users_.swap(other->active_users_);
  }
  {
    MutexLock a(&buckets_mu_);
    MutexLock b(&other->buckets_mu_);
    bucket_orgs_.swap(other->bucket_orgs_);
  }
  {
    MutexLock a(&usage_mu_);
    MutexLock b(&other->usage_mu_);
    for (const auto& [id, seen] : erased_uses_) KeepLatest(&other->erased_uses_, id, seen);
    erased_uses_.swap(other->erased_uses_);
  }
  MutexLock a(&expiry_mu_);
  MutexLock b(&other->expiry_mu_);
  expiring_.swap(other->expiring_);
  expired_.swap(other->expired_);
}

bool TokenIndex::UserActive(Id user_id) const {
  ReaderMutexLock lock(&users_mu_);
  return active_users_.contains(user_id);
}

Decision TokenIndex::Authorize(const TokenDigest& digest, const Permission& requested,
                               int64_t now_ns) const {
  const Shard& s = shards_[ShardOf(digest)];
  ReaderMutexLock lock(&s.mu);
  auto it = s.map.find(digest);
  if (it == s.map.end() || !DigestEquals(it->first, digest)) {
    return Decide(nullptr, false, requested, now_ns);
  }
  const TokenGrant& grant = it->second;
  // Lock order is always shard, then users; writers never hold both.
  Decision d = Decide(&grant, UserActive(grant.user_id), requested, now_ns);
  if (record_usage_ && (d.allowed || d.reason == DenyReason::kNoPermission)) {
    grant.MarkUsed(now_ns);
  }
  return d;
}

std::optional<TokenGrant> TokenIndex::Find(const TokenDigest& digest) const {
  const Shard& s = shards_[ShardOf(digest)];
  ReaderMutexLock lock(&s.mu);
  auto it = s.map.find(digest);
  if (it == s.map.end() || !DigestEquals(it->first, digest)) return std::nullopt;
  return it->second;
}

void TokenIndex::MarkUsed(const TokenDigest& digest, int64_t now_ns) const {
  if (!record_usage_) return;
  const Shard& s = shards_[ShardOf(digest)];
  ReaderMutexLock lock(&s.mu);
  auto it = s.map.find(digest);
  if (it != s.map.end() && DigestEquals(it->first, digest)) it->second.MarkUsed(now_ns);
}

size_t TokenIndex::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    ReaderMutexLock lock(&s.mu);
    n += s.map.size();
  }
  return n;
}

std::vector<DueExpiry> TokenIndex::DueExpiries(int64_t now_ns, size_t max) const {
  std::vector<DueExpiry> out;
  MutexLock lock(&expiry_mu_);
  for (auto it = expiring_.begin(); it != expiring_.end() && out.size() < max; ++it) {
    if (it->first.first > now_ns) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<Id> TokenIndex::ExpiredBefore(int64_t cutoff_ns, size_t max) const {
  std::vector<Id> out;
  MutexLock lock(&expiry_mu_);
  for (auto it = expired_.begin(); it != expired_.end() && out.size() < max; ++it) {
    if (it->first.first > cutoff_ns) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<Usage> TokenIndex::TakeUsage(size_t max) {
  MutexLock lock(&usage_mu_);
  absl::flat_hash_map<Id, int64_t> latest;
  for (auto it = erased_uses_.begin(); it != erased_uses_.end() && latest.size() < max;) {
    latest[it->first] = it->second;
    erased_uses_.erase(it++);
  }
  for (Shard& s : shards_) {
    ReaderMutexLock shard_lock(&s.mu);
    for (const auto& [digest, grant] : s.map) {
      if (!Pending(grant)) continue;
      // Full: the rest stay pending for the next call (one more grant of an ID already taken
      // still fits).
      if (latest.size() >= max && !latest.contains(grant.authorization_id)) continue;
      // Taken: a use marked after the exchange sets the mark again for the next call. Acquire
      // pairs with MarkUsed's release, so the second read below is at least the marked one.
      if (grant.use_pending.exchange(0, std::memory_order_acquire) == 0) continue;
      KeepLatest(&latest, grant.authorization_id, LastUsed(grant));
    }
  }
  std::vector<Usage> out;
  out.reserve(latest.size());
  for (const auto& [id, seen] : latest) out.push_back(Usage{id, seen});
  return out;
}

void TokenIndex::RestoreUsage(const std::vector<Usage>& usage) {
  MutexLock lock(&usage_mu_);
  for (const Usage& u : usage) KeepLatest(&erased_uses_, u.authorization_id, u.last_used_s);
}

}  // namespace authd::authz
