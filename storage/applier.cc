#include "storage/applier.h"

#include "base/status_macros.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"


namespace authd::storage {

void AddProjectionWrites(const Db& db, const ProjectionBatch& projection, rocksdb::WriteBatch* batch) {
  for (const auto& [key, value] : projection.writes()) {
    if (value) {
      batch->Put(db.cf(key.first), key.second, *value);
    } else {
      batch->Delete(db.cf(key.first), key.second);
    }
  }
}

void PublishIndexOps(const std::vector<IndexOp>& ops, authz::TokenIndex* index) {
  for (const IndexOp& op : ops) {
    switch (op.kind) {
      case IndexOp::Kind::kPutToken:
        index->Put(op.digest, op.grant);
        break;
      case IndexOp::Kind::kEraseToken:
        index->Erase(op.digest);
        break;
      case IndexOp::Kind::kSetUserActive:
        index->SetUserActive(op.user_id, op.active);
        break;
      case IndexOp::Kind::kSetBucketOrg:
        index->SetBucketOrg(op.bucket_id, op.org_id);
        break;
    }
  }
}

absl::StatusOr<std::vector<pb::Event>> ReadAppliedEvents(Db& db, uint64_t from, size_t limit) {
  std::vector<pb::Event> out;
  auto it = db.NewIterator(kEventsCf);
  for (it->Seek(EncodeU64(from)); it->Valid() && out.size() < limit; it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::Event event, DecodeEvent(View(it->value())));
    out.push_back(std::move(event));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading events");
  return out;
}

absl::Status LoadTokenIndex(Db& db, authz::TokenIndex* index) {
  // Built aside and swapped in shard by shard: Authorize never sees an empty index on a reload.
  authz::TokenIndex fresh;
  {
    auto it = db.NewIterator(kTenantsCf);
    std::string prefix(1, kUserTag);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user,
                             Decode<pb::UserRecord>(View(it->value()), "user"));
      fresh.SetUserActive(user.id(), IsActive(user.status()));
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "loading users");
  }
  {
    auto it = db.NewIterator(kTenantsCf);
    std::string prefix(1, kBucketTag);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      AUTHD_ASSIGN_OR_RETURN(pb::BucketRecord bucket,
                             Decode<pb::BucketRecord>(View(it->value()), "bucket"));
      fresh.SetBucketOrg(bucket.id(), bucket.org_id());
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "loading buckets");
  }
  // Sized up front: growing 64 shards from empty rehashed each of them ~15 times at 1M tokens
  // (22% of start-up in docs/performance.md §5).
  fresh.Reserve(db.EstimateKeys(kAuthorizationsCf));
  auto it = db.NewIterator(kAuthorizationsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth,
                           Decode<pb::AuthorizationRecord>(View(it->value()), "authorization"));
    AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest digest, DigestOf(auth));
    AUTHD_ASSIGN_OR_RETURN(authz::TokenGrant grant, GrantOf(auth));
    fresh.Put(digest, std::move(grant));
    if (!auth.previous_token_hash().empty()) {
      AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest previous, PreviousDigestOf(auth));
      AUTHD_ASSIGN_OR_RETURN(authz::TokenGrant previous_grant, PreviousGrantOf(auth));
      fresh.Put(previous, std::move(previous_grant));
    }
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "loading authorizations");
  index->SwapContents(&fresh);
  return absl::OkStatus();
}

}  // namespace authd::storage
