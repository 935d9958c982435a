#include "authz/token_index.h"

#include <algorithm>

namespace authd::authz {

std::shared_ptr<UsageSlot> TokenIndex::SlotFor(Id authorization_id, int64_t seed_s) {
  MutexLock lock(&usage_mu_);
  std::shared_ptr<UsageSlot>& slot = usage_[authorization_id];
  if (slot == nullptr) {
    slot = std::make_shared<UsageSlot>();
    slot->last_used_s.store(seed_s, std::memory_order_relaxed);
    slot->flushed_s = seed_s;
  } else if (seed_s > slot->flushed_s) {
    // The log recorded a use (maybe through another replica): nothing to flush up to it.
    slot->flushed_s = seed_s;
    if (slot->last_used_s.load(std::memory_order_relaxed) < seed_s) {
      slot->last_used_s.store(seed_s, std::memory_order_relaxed);
    }
  }
  return slot;
}

void TokenIndex::TrackExpiry(const TokenDigest& digest, const TokenGrant* before,
                             const TokenGrant* after) {
  auto pending = [](const TokenGrant* g) {
    return g != nullptr && g->expires_at_ns != 0 && !g->expiry_recorded;
  };
  if (!pending(before) && !pending(after)) return;
  MutexLock lock(&expiry_mu_);
  if (pending(before)) expiring_.erase(ExpiryKey{before->expires_at_ns, digest});
  if (pending(after)) {
    expiring_.insert_or_assign(
        ExpiryKey{after->expires_at_ns, digest},
        DueExpiry{after->authorization_id, after->previous_secret, after->expires_at_ns});
  }
}

void TokenIndex::Put(const TokenDigest& digest, TokenGrant grant) {
  grant.usage = SlotFor(grant.authorization_id, grant.last_used_s);
  std::optional<TokenGrant> before;
  const TokenGrant* after = nullptr;
  TokenGrant tracked;  // what TrackExpiry needs of the new grant, without its permissions
  tracked.authorization_id = grant.authorization_id;
  tracked.expires_at_ns = grant.expires_at_ns;
  tracked.expiry_recorded = grant.expiry_recorded;
  tracked.previous_secret = grant.previous_secret;
  after = &tracked;
  {
    Shard& s = shards_[ShardOf(digest)];
    MutexLock lock(&s.mu);
    auto it = s.map.find(digest);
    if (it != s.map.end()) {
      before.emplace();
      before->authorization_id = it->second.authorization_id;
      before->expires_at_ns = it->second.expires_at_ns;
      before->expiry_recorded = it->second.expiry_recorded;
      it->second = std::move(grant);
    } else {
      s.map.emplace(digest, std::move(grant));
    }
  }
  TrackExpiry(digest, before ? &*before : nullptr, after);
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
  TrackExpiry(digest, &*removed, nullptr);
  MutexLock lock(&usage_mu_);
  auto it = usage_.find(removed->authorization_id);
  // Held by the map and by `removed` only: no other grant of this ID is left.
  if (it != usage_.end() && it->second.use_count() == 2) usage_.erase(it);
}

void TokenIndex::SetUserActive(Id user_id, bool active) {
  MutexLock lock(&users_mu_);
  if (active) {
    active_users_.insert(user_id);
  } else {
    active_users_.erase(user_id);
  }
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
    MutexLock lock(&usage_mu_);
    usage_.clear();
  }
  MutexLock lock(&expiry_mu_);
  expiring_.clear();
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
  {
    // Uses seen by this index's slots that `other` (loaded from storage) does not know yet.
    MutexLock a(&usage_mu_);
    MutexLock b(&other->usage_mu_);
    for (auto& [id, slot] : usage_) {
      auto it = other->usage_.find(id);
      if (it == other->usage_.end()) continue;
      const int64_t seen = slot->last_used_s.load(std::memory_order_relaxed);
      if (seen > it->second->last_used_s.load(std::memory_order_relaxed)) {
        it->second->last_used_s.store(seen, std::memory_order_relaxed);
      }
    }
    usage_.swap(other->usage_);
  }
  for (int i = 0; i < kShards; ++i) {
    MutexLock a(&shards_[i].mu);
    MutexLock b(&other->shards_[i].mu);
    shards_[i].map.swap(other->shards_[i].map);
  }
  {
    MutexLock a(&users_mu_);
    MutexLock b(&other->users_mu_);
    active_users_.swap(other->active_users_);
  }
  MutexLock a(&expiry_mu_);
  MutexLock b(&other->expiry_mu_);
  expiring_.swap(other->expiring_);
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
  if ((d.allowed || d.reason == DenyReason::kNoPermission) && grant.usage != nullptr) {
    grant.usage->Touch(now_ns);
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

std::vector<Usage> TokenIndex::TakeUsage(size_t max) {
  std::vector<Usage> out;
  MutexLock lock(&usage_mu_);
  for (auto it = usage_.begin(); it != usage_.end();) {
    UsageSlot& slot = *it->second;
    const int64_t seen = slot.last_used_s.load(std::memory_order_relaxed);
    if (seen > slot.flushed_s && out.size() < max) {
      out.push_back(Usage{it->first, seen});
      slot.flushed_s = seen;
    }
    if (it->second.use_count() == 1) {
      // No grant links this slot any more (its token was erased while a copy was out).
      usage_.erase(it++);
    } else {
      ++it;
    }
  }
  return out;
}

void TokenIndex::RestoreUsage(const std::vector<Usage>& usage) {
  MutexLock lock(&usage_mu_);
  for (const Usage& u : usage) {
    auto it = usage_.find(u.authorization_id);
    if (it != usage_.end() && it->second->flushed_s == u.last_used_s) {
      it->second->flushed_s = 0;
    }
  }
}

}  // namespace authd::authz
