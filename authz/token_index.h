// TokenIndex: the in-memory index the Authorize path reads: SHA-256 digest of a token -> TokenGrant,
// plus which users are active. Storage publishes into it after each committed write (and fills it
// at start-up); Authorize and caller authentication read it and never touch disk.
//
// Sharded by digest; each shard has a reader-writer lock held only for a hash probe and a
// permission scan, so a write never stalls readers of other shards and stalls readers of its own
// shard for one map update. Thread-safe.
//
// Lifecycle (docs/adr/0007):
//  - each grant carries its use mark (TokenGrant::MarkUsed: 5 bytes inside the grant, no
//    allocation, no second lookup), which Authorize sets when a known token is used and
//    TakeUsage collects for the last-used flusher; a replaced grant's pending use carries over,
//    an erased grant's is kept aside until the next TakeUsage;
//  - the grants whose expiry is not yet recorded, ordered by time, for the expiry sweeper
//    (DueExpiries).
// Lock order: shard, then users_mu_ (Authorize); usage_mu_ and expiry_mu_ are taken with no
// shard lock held, except TakeUsage, which takes usage_mu_ and then each shard's reader lock.
#ifndef AUTHD_AUTHZ_TOKEN_INDEX_H_
#define AUTHD_AUTHZ_TOKEN_INDEX_H_

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "authz/decision.h"
#include "authz/token_hash.h"
#include "base/mutex.h"

namespace authd::authz {

// A grant whose expiry has passed and is not yet recorded in the log.
struct DueExpiry {
  Id authorization_id = 0;
  bool previous_secret = false;
  int64_t expires_at_ns = 0;
};

// A token used since the last collection: its latest use, in unix seconds.
struct Usage {
  Id authorization_id = 0;
  int64_t last_used_s = 0;
};

class TokenIndex {
 public:
  // `record_usage` false (`--last-used-interval=0`): Authorize and API calls do not mark uses.
  explicit TokenIndex(bool record_usage = true) : record_usage_(record_usage) {}
  TokenIndex(const TokenIndex&) = delete;
  TokenIndex& operator=(const TokenIndex&) = delete;

  // Inserts or replaces the grant for `digest`. Its use starts at `grant.last_used_s` (what the
  // log holds, not pending), or at the replaced grant's, whichever is later.
  void Put(const TokenDigest& digest, TokenGrant grant);
  // Removes `digest`; a no-op when absent.
  void Erase(const TokenDigest& digest);
  // Marks a user active (present) or inactive/deleted (absent).
  void SetUserActive(Id user_id, bool active);
  // Records which org a bucket belongs to (org 0: the bucket is gone). Envoy's Check judges a
  // request for a bucket by ID against this org, from memory.
  void SetBucketOrg(Id bucket_id, Id org_id);
  // Drops everything.
  void Clear();
  // Makes room for about `tokens` tokens in all, so that a bulk load (start-up, reload) does not
  // rehash every shard as it grows.
  void Reserve(size_t tokens);

  // Exchanges the contents of this index and `other`, shard by shard, so readers never see an
  // empty index during a reload (each shard switches atomically). `other` must not be in use.
  // Uses this index saw that `other` (loaded from storage) does not hold yet are carried into
  // `other`'s grants of the same digest first, so a reload loses none.
  void SwapContents(TokenIndex* other);

  // The decision for a presented token's digest at `now_ns` (one clock reading by the caller).
  // The stored digest is re-compared in constant time. A known token that is accepted as a
  // credential (allowed, or denied only for lack of permission) is marked used. No allocation.
  Decision Authorize(const TokenDigest& digest, const Permission& requested, int64_t now_ns) const;

  // A copy of the grant for `digest`, or nullopt.
  std::optional<TokenGrant> Find(const TokenDigest& digest) const;
  // Marks the grant for `digest` (if any) used at `now_ns`: an API call made with it.
  void MarkUsed(const TokenDigest& digest, int64_t now_ns) const;

  bool UserActive(Id user_id) const;
  // The org of bucket `bucket_id`, or 0 when no such bucket exists.
  Id BucketOrg(Id bucket_id) const;

  // Number of tokens indexed (a rotated token in its grace period counts twice).
  size_t size() const;

  // Up to `max` grants whose expiry is at or before `now_ns` and not yet recorded, soonest first.
  std::vector<DueExpiry> DueExpiries(int64_t now_ns, size_t max) const;
  // Up to `max` authorizations whose expiry is recorded and at or before `cutoff_ns` (for the
  // retention purge), soonest first.
  std::vector<Id> ExpiredBefore(int64_t cutoff_ns, size_t max) const;

  // Every authorization used since the last call (its latest second, over all its grants), at
  // most `max` of them (the rest on the next call). Scans every shard: for the flusher, once per
  // interval.
  std::vector<Usage> TakeUsage(size_t max);
  // Gives back uses TakeUsage returned that could not be recorded, so the next call returns them.
  void RestoreUsage(const std::vector<Usage>& usage);

 private:
  static constexpr int kShards = 64;
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_map<TokenDigest, TokenGrant, TokenDigestHash> map ABSL_GUARDED_BY(mu);
  };
  static int ShardOf(const TokenDigest& d) { return d[8] % kShards; }
  using ExpiryKey = std::pair<int64_t, TokenDigest>;

  // What the expiry queues know of a grant (its permissions play no part).
  struct ExpiryFacts {
    Id authorization_id = 0;
    int64_t expires_at_ns = 0;
    bool recorded = false;
    bool previous_secret = false;
  };
  static ExpiryFacts FactsOf(const TokenGrant& g) {
    return {g.authorization_id, g.expires_at_ns, g.expiry_recorded, g.previous_secret};
  }
  // Moves `digest` between the queues as its grant goes from `before` to `after` (nullopt: none).
  void TrackExpiry(const TokenDigest& digest, const std::optional<ExpiryFacts>& before,
                   const std::optional<ExpiryFacts>& after);

  std::array<Shard, kShards> shards_;
  mutable Mutex users_mu_;
  absl::flat_hash_set<Id> active_users_ ABSL_GUARDED_BY(users_mu_);
  mutable Mutex buckets_mu_;
  absl::flat_hash_map<Id, Id> bucket_orgs_ ABSL_GUARDED_BY(buckets_mu_);
  const bool record_usage_;
  // Serialises TakeUsage; holds the unflushed uses of erased grants.
  mutable Mutex usage_mu_;
  absl::flat_hash_map<Id, int64_t> erased_uses_ ABSL_GUARDED_BY(usage_mu_);
  mutable Mutex expiry_mu_;
  absl::btree_map<ExpiryKey, DueExpiry> expiring_ ABSL_GUARDED_BY(expiry_mu_);
  // Expired and recorded (current secrets only): what a retention purge may delete.
  absl::btree_map<ExpiryKey, Id> expired_ ABSL_GUARDED_BY(expiry_mu_);
};

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_TOKEN_INDEX_H_
