#include "authz/token_index.h"

namespace authd::authz {

void TokenIndex::Put(const TokenDigest& digest, TokenGrant grant) {
  Shard& s = shards_[ShardOf(digest)];
  MutexLock lock(&s.mu);
  s.map.insert_or_assign(digest, std::move(grant));
}

void TokenIndex::Erase(const TokenDigest& digest) {
  Shard& s = shards_[ShardOf(digest)];
  MutexLock lock(&s.mu);
  s.map.erase(digest);
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
  MutexLock lock(&users_mu_);
  active_users_.clear();
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
    shards_[i].map.swap(other->shards_[i].map);
  }
  MutexLock a(&users_mu_);
  MutexLock b(&other->users_mu_);
  active_users_.swap(other->active_users_);
}

bool TokenIndex::UserActive(Id user_id) const {
  ReaderMutexLock lock(&users_mu_);
  return active_users_.contains(user_id);
}

Decision TokenIndex::Authorize(const TokenDigest& digest, const Permission& requested) const {
  const Shard& s = shards_[ShardOf(digest)];
  ReaderMutexLock lock(&s.mu);
  auto it = s.map.find(digest);
  if (it == s.map.end() || !DigestEquals(it->first, digest)) {
    return Decide(nullptr, false, requested);
  }
  const TokenGrant& grant = it->second;
  // Lock order is always shard, then users; writers never hold both.
  return Decide(&grant, UserActive(grant.user_id), requested);
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

}  // namespace authd::authz
