// TokenIndex: the in-memory index the Authorize path reads: SHA-256 digest of a token -> TokenGrant,
// plus which users are active. Storage publishes into it after each committed write (and fills it
// at start-up); Authorize and caller authentication read it and never touch disk.
//
// Sharded by digest; each shard has a reader-writer lock held only for a hash probe and a
// permission scan, so a write never stalls readers of other shards and stalls readers of its own
// shard for one map update. Thread-safe.
#ifndef AUTHD_AUTHZ_TOKEN_INDEX_H_
#define AUTHD_AUTHZ_TOKEN_INDEX_H_

#include <array>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "authz/decision.h"
#include "authz/token_hash.h"
#include "base/mutex.h"

namespace authd::authz {

class TokenIndex {
 public:
  TokenIndex() = default;
  TokenIndex(const TokenIndex&) = delete;
  TokenIndex& operator=(const TokenIndex&) = delete;

  // Inserts or replaces the grant for `digest`.
  void Put(const TokenDigest& digest, TokenGrant grant);
  // Removes `digest`; a no-op when absent.
  void Erase(const TokenDigest& digest);
  // Marks a user active (present) or inactive/deleted (absent).
  void SetUserActive(Id user_id, bool active);
  // Drops everything.
  void Clear();
  // Makes room for about `tokens` tokens in all, so that a bulk load (start-up, reload) does not
  // rehash every shard as it grows.
  void Reserve(size_t tokens);

  // Exchanges the contents of this index and `other`, shard by shard, so readers never see an
  // empty index during a reload (each shard switches atomically). `other` must not be in use.
  void SwapContents(TokenIndex* other);

  // The decision for a presented token's digest. The stored digest is re-compared in constant time.
  // No allocation.
  Decision Authorize(const TokenDigest& digest, const Permission& requested) const;

  // A copy of the grant for `digest`, or nullopt.
  std::optional<TokenGrant> Find(const TokenDigest& digest) const;

  bool UserActive(Id user_id) const;

  // Number of tokens indexed.
  size_t size() const;

 private:
  static constexpr int kShards = 64;
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_map<TokenDigest, TokenGrant, TokenDigestHash> map ABSL_GUARDED_BY(mu);
  };
  static int ShardOf(const TokenDigest& d) { return d[8] % kShards; }

  std::array<Shard, kShards> shards_;
  mutable Mutex users_mu_;
  absl::flat_hash_set<Id> active_users_ ABSL_GUARDED_BY(users_mu_);
};

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_TOKEN_INDEX_H_
