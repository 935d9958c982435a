#include "storage/schema_migrations.h"

#include "absl/strings/str_cat.h"
#include "authz/token_hash.h"
#include "base/status_macros.h"
#include "storage/keys.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_status.h"

namespace authd::storage {
namespace {

constexpr size_t kBatch = 1000;

absl::Status SetMarker(Db& db, absl::string_view migration) {
  rocksdb::WriteBatch batch;
  batch.Put(db.cf(kMetaCf), std::string(kSchemaMigrationKey), std::string(migration));
  return db.Write(&batch, /*sync=*/true);
}

absl::Status Finish(Db& db, uint32_t schema) {
  rocksdb::WriteBatch batch;
  batch.Delete(db.cf(kMetaCf), std::string(kSchemaMigrationKey));
  batch.Put(db.cf(kMetaCf), std::string(kSchemaVersionKey), EncodeU32(schema));
  return db.Write(&batch, /*sync=*/true);
}

// Calls `fn(record, raw, batch)` for every authorization, committing every kBatch records.
template <typename Fn>
absl::Status ForEachAuthorization(Db& db, Fn fn) {
  rocksdb::WriteBatch batch;
  size_t in_batch = 0;
  auto it = db.NewIterator(kAuthorizationsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth,
                           Decode<pb::AuthorizationRecord>(View(it->value()), "authorization"));
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           db.Get(kRawTokensCf, EncodeU64(auth.id())));
    AUTHD_RETURN_IF_ERROR(fn(auth, raw, &batch));
    if (++in_batch == kBatch) {
      AUTHD_RETURN_IF_ERROR(db.Write(&batch, /*sync=*/true));
      batch.Clear();
      in_batch = 0;
    }
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "migrating authorizations");
  return db.Write(&batch, /*sync=*/true);
}

}  // namespace

absl::StatusOr<std::vector<authz::Id>> HashedOnlyAuthorizations(Db& db) {
  std::vector<authz::Id> out;
  auto it = db.NewIterator(kAuthorizationsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto id = DecodeU64(View(it->key()));
    if (!id) return absl::DataLossError("corrupt authorization key");
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> raw, db.Get(kRawTokensCf, EncodeU64(*id)));
    if (!raw) out.push_back(*id);
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "listing authorizations");
  return out;
}

absl::Status MigrateUp1To2(Db& db) {
  AUTHD_RETURN_IF_ERROR(SetMarker(db, "1->2"));
  AUTHD_RETURN_IF_ERROR(ForEachAuthorization(
      db, [&](pb::AuthorizationRecord& auth, const std::optional<std::string>& raw,
              rocksdb::WriteBatch* batch) -> absl::Status {
        if (!raw) {
          return absl::DataLossError(absl::StrCat("schema 1 authorization ",
                                                  authz::FormatId(auth.id()), " has no token"));
        }
        std::string hash = authz::HashToken(*raw);
        batch->Delete(db.cf(kTokenIndexCf), *raw);
        batch->Put(db.cf(kTokenIndexCf), hash, EncodeU64(auth.id()));
        auth.set_token_hash(hash);
        batch->Put(db.cf(kAuthorizationsCf), EncodeU64(auth.id()), auth.SerializeAsString());
        return absl::OkStatus();
      }));
  return Finish(db, 2);
}

absl::Status MigrateUp2To3(Db& db) { return Finish(db, 3); }

absl::StatusOr<uint64_t> LifecycleEvents(Db& db) {
  uint64_t n = 0;
  auto it = db.NewIterator(kEventsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::Event event, DecodeEvent(View(it->value())));
    if (event.format_version() >= kLifecycleEventFormatVersion) ++n;
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  return n;
}

absl::Status MigrateDown3To2(Db& db) {
  AUTHD_ASSIGN_OR_RETURN(uint64_t lifecycle, LifecycleEvents(db));
  if (lifecycle != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the event log holds ", lifecycle,
        " events with token lifecycle data (expiry, last use, rotation, org token lifetime) "
        "that schema 2 cannot read; to go back to an authd before schema 3, restore a backup "
        "taken before the upgrade (docs/operations.md, \"Downgrade\")"));
  }
  return Finish(db, 2);
}

absl::Status MigrateDown2To1(Db& db) {
  AUTHD_ASSIGN_OR_RETURN(std::vector<authz::Id> hashed_only, HashedOnlyAuthorizations(db));
  if (!hashed_only.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(hashed_only.size(), " tokens exist only as hashes; erase them first"));
  }
  AUTHD_RETURN_IF_ERROR(SetMarker(db, "2->1"));
  AUTHD_RETURN_IF_ERROR(ForEachAuthorization(
      db, [&](pb::AuthorizationRecord& auth, const std::optional<std::string>& raw,
              rocksdb::WriteBatch* batch) -> absl::Status {
        batch->Delete(db.cf(kTokenIndexCf), authz::HashToken(*raw));
        batch->Put(db.cf(kTokenIndexCf), *raw, EncodeU64(auth.id()));
        auth.clear_token_hash();
        batch->Put(db.cf(kAuthorizationsCf), EncodeU64(auth.id()), auth.SerializeAsString());
        return absl::OkStatus();
      }));
  return Finish(db, 1);
}

}  // namespace authd::storage
