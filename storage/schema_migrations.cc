#include "storage/schema_migrations.h"

#include <map>

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

absl::StatusOr<LifecycleCensus> CensusLifecycleEvents(Db& db) {
  LifecycleCensus census;
  std::map<std::string, uint64_t> kinds;
  auto it = db.NewIterator(kEventsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::Event event, DecodeEvent(View(it->value())));
    if (event.format_version() < kLifecycleEventFormatVersion) continue;
    if (event.has_authorizations_used()) {
      ++census.uses;
      continue;
    }
    ++census.blocking;
    const auto* field = event.GetDescriptor()->FindFieldByNumber(event.body_case());
    ++kinds[field != nullptr ? field->message_type()->name() : "unknown"];
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  for (const auto& [kind, n] : kinds) {
    if (!census.blocking_kinds.empty()) census.blocking_kinds += ", ";
    absl::StrAppend(&census.blocking_kinds, kind, " x", n);
  }
  return census;
}

absl::Status CheckDowngradableTo2(const LifecycleCensus& census) {
  if (census.blocking == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the event log holds ", census.blocking,
      " events with token lifecycle data that an authd before schema 3 would misread (",
      census.blocking_kinds,
      "): it would serve expired or rotated-away tokens as valid. To go back to it, restore a "
      "backup taken before the upgrade (README, \"Downgrade\")"));
}

absl::StatusOr<uint64_t> RewriteLifecycleEventsForSchema2(Db& db, const LifecycleCensus& census) {
  AUTHD_RETURN_IF_ERROR(CheckDowngradableTo2(census));
  if (census.uses == 0) return 0;
  uint64_t rewritten = 0;
  rocksdb::WriteBatch batch;
  auto it = db.NewIterator(kEventsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::Event event, DecodeEvent(View(it->value())));
    if (!event.has_authorizations_used()) continue;
    if (event.authorizations_used().uses_size() == 0) {
      return absl::DataLossError(absl::StrCat("event ", event.sequence(), " records no use"));
    }
    const uint64_t first = event.authorizations_used().uses(0).id();
    event.mutable_authorization_updated()->set_id(first);
    event.set_format_version(1);
    batch.Put(db.cf(kEventsCf), std::string(View(it->key())), event.SerializeAsString());
    ++rewritten;
    if (batch.Count() >= static_cast<int>(kBatch)) {
      AUTHD_RETURN_IF_ERROR(db.Write(&batch, /*sync=*/true));
      batch.Clear();
    }
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "rewriting the event log");
  AUTHD_RETURN_IF_ERROR(db.Write(&batch, /*sync=*/true));
  return rewritten;
}

absl::Status MigrateDown3To2(Db& db) { return Finish(db, 2); }

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
