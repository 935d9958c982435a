#include "storage/token_store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/token_hash.h"
#include "base/status_macros.h"
#include "storage/keys.h"
#include "storage/projector.h"
#include "storage/rocksdb_status.h"
#include "storage/schema_migrations.h"

namespace authd::storage {
namespace {

using authz::FormatId;
using authz::Id;

// Events replayed per WriteBatch when rebuilding or catching up.
constexpr size_t kReplayChunk = 1000;

std::string NotFoundMessage(absl::string_view what, Id id) {
  return absl::StrCat(what, " ", FormatId(id), " not found");
}

}  // namespace

TokenStore::TokenStore(TokenStoreOptions options, const Clock* clock, authz::TokenIndex* index,
                       std::unique_ptr<DataDir> data_dir, std::unique_ptr<Db> db)
    : options_(std::move(options)),
      clock_(clock),
      index_(index),
      data_dir_(std::move(data_dir)),
      db_(std::move(db)),
      group_([this]() -> absl::Status {
        return options_.sync_writes ? CurrentDb()->SyncWal() : absl::OkStatus();
      }) {}

std::shared_ptr<Db> TokenStore::CurrentDb() const {
  authd::MutexLock lock(&db_mu_);
  return db_;
}

TokenStore::~TokenStore() = default;

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const TokenStoreOptions& options,
                                                             const Clock* clock,
                                                             authz::TokenIndex* index) {
  AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<DataDir> data_dir, DataDir::Acquire(options.data_dir));
  data_dir->RemoveLeftovers();
  AUTHD_ASSIGN_OR_RETURN(std::string store_path, data_dir->CurrentStore());
  AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(store_path));
  std::unique_ptr<TokenStore> store(
      new TokenStore(options, clock, index, std::move(data_dir), std::move(db)));
  AUTHD_RETURN_IF_ERROR(store->Initialize());
  return store;
}

absl::Status TokenStore::Initialize() {
  authd::MutexLock lock(&write_mu_);
  return InitializeLocked();
}

absl::Status TokenStore::InitializeLocked() {
  const std::shared_ptr<Db> db = CurrentDb();
  // The log's end: its last key.
  {
    auto it = db->NewIterator(kEventsCf);
    it->SeekToLast();
    if (it->Valid()) {
      auto seq = DecodeU64(View(it->key()));
      if (!seq) return absl::DataLossError("event log holds a malformed key");
      last_sequence_ = *seq;
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  }

  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> schema, db->Get(kMetaCf, kSchemaVersionKey));
  if (!schema) {
    if (last_sequence_ != 0) {
      return absl::DataLossError("data dir has events but no schema version");
    }
    rocksdb::WriteBatch batch;
    batch.Put(db->cf(kMetaCf), std::string(kSchemaVersionKey), EncodeU32(kSchemaVersion));
    batch.Put(db->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(0));
    AUTHD_RETURN_IF_ERROR(db->Write(&batch, /*sync=*/true));
  } else {
    auto version = DecodeU32(*schema);
    if (!version) return absl::DataLossError("malformed schema version");
    if (*version > kSchemaVersion || *version == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("data dir has schema version ", *version, "; this authd uses schema ",
                       kSchemaVersion));
    }
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> migrating,
                           db->Get(kMetaCf, kSchemaMigrationKey));
    // Older schema, or a migration (either way) that did not finish: bring it to schema 2. The up
    // migration is idempotent from any partial state of either direction.
    if (*version < kSchemaVersion || migrating) {
      open_report_.upgraded_from_schema = *version;
      AUTHD_RETURN_IF_ERROR(MigrateUp1To2(*db));
    }
  }

  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> rebuilding, db->Get(kMetaCf, kRebuildingKey));
  if (rebuilding) {
    AUTHD_RETURN_IF_ERROR(RebuildLocked());
    return ApplyHashingPolicyLocked();
  }

  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> checkpoint_bytes,
                         db->Get(kMetaCf, kCheckpointKey));
  uint64_t checkpoint = 0;
  if (checkpoint_bytes) {
    auto decoded = DecodeU64(*checkpoint_bytes);
    if (!decoded) return absl::DataLossError("malformed projection checkpoint");
    checkpoint = *decoded;
  }
  if (checkpoint > last_sequence_) {
    return absl::DataLossError(absl::StrCat("projection checkpoint ", checkpoint,
                                            " is past the end of the log ", last_sequence_));
  }
  // Events and projections are written in one batch, so this only happens if a projection
  // rebuild was interrupted in a way the flag did not record; replay is the cure either way.
  if (checkpoint < last_sequence_) {
    open_report_.replayed_events = last_sequence_ - checkpoint;
    AUTHD_RETURN_IF_ERROR(ReplayFrom(checkpoint + 1, /*without_wal=*/false));
  }
  AUTHD_RETURN_IF_ERROR(LoadIndex());
  return ApplyHashingPolicyLocked();
}

absl::Status TokenStore::ApplyHashingPolicyLocked() {
  const std::shared_ptr<Db> db = CurrentDb();
  if (!options_.apply_hashing_policy) return absl::OkStatus();
  {
    rocksdb::WriteBatch mode;
    mode.Put(db->cf(kMetaCf), std::string(kHashingModeKey), options_.use_hashed_tokens ? "on" : "off");
    AUTHD_RETURN_IF_ERROR(db->Write(&mode, /*sync=*/true));
  }
  AUTHD_ASSIGN_OR_RETURN(auto raw, db->Scan(kRawTokensCf));
  open_report_.raw_tokens = raw.size();
  if (!options_.use_hashed_tokens) {
    size_t total = index_->size();
    open_report_.hashed_tokens = total > raw.size() ? total - raw.size() : 0;
    return absl::OkStatus();
  }
  // InfluxDB migrates in batches of 100 per transaction; so do we, one event per token.
  constexpr size_t kBatch = 100;
  for (size_t i = 0; i < raw.size(); i += kBatch) {
    std::vector<pb::Event> events;
    for (size_t j = i; j < std::min(raw.size(), i + kBatch); ++j) {
      auto id = DecodeU64(raw[j].first);
      if (!id) return absl::DataLossError("corrupt raw token key");
      events.emplace_back().mutable_authorization_token_hashed()->set_id(*id);
    }
    AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(Actor{}, std::move(events)));
    AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  }
  open_report_.migrated_raw_tokens = raw.size();
  open_report_.raw_tokens = 0;
  // Always purge with hashing on: raw copies of tokens deleted while hashing was off may still sit
  // in old files even when none is left to migrate. Cheap when the column family is empty.
  return db->PurgeDeleted(kRawTokensCf);
}

absl::StatusOr<std::optional<std::string>> TokenStore::RawToken(Id id) {
  const std::shared_ptr<Db> db = CurrentDb();
  return db->Get(kRawTokensCf, EncodeU64(id));
}

absl::Status TokenStore::LoadIndex() {
  const std::shared_ptr<Db> db = CurrentDb();
  // Built aside and swapped in shard by shard: Authorize never sees an empty index on a reload.
  authz::TokenIndex fresh;
  {
    auto it = db->NewIterator(kTenantsCf);
    std::string prefix(1, kUserTag);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user,
                             Decode<pb::UserRecord>(View(it->value()), "user"));
      fresh.SetUserActive(user.id(), IsActive(user.status()));
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "loading users");
  }
  // Sized up front: growing 64 shards from empty rehashed each of them ~15 times at 1M tokens
  // (22% of start-up in docs/performance.md §5).
  fresh.Reserve(db->EstimateKeys(kAuthorizationsCf));
  auto it = db->NewIterator(kAuthorizationsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth,
                           Decode<pb::AuthorizationRecord>(View(it->value()),
                                                           "authorization"));
    AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest digest, DigestOf(auth));
    AUTHD_ASSIGN_OR_RETURN(authz::TokenGrant grant, GrantOf(auth));
    fresh.Put(digest, std::move(grant));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "loading authorizations");
  index_->SwapContents(&fresh);
  return absl::OkStatus();
}

absl::Status TokenStore::ReplayFrom(uint64_t from, bool without_wal) {
  const std::shared_ptr<Db> db = CurrentDb();
  ProjectionBatch projection(db.get());
  uint64_t expected = from;
  auto flush = [&]() -> absl::Status {
    if (expected == from && projection.writes().empty()) return absl::OkStatus();
    rocksdb::WriteBatch batch;
    for (const auto& [key, value] : projection.writes()) {
      if (value) {
        batch.Put(db->cf(key.first), key.second, *value);
      } else {
        batch.Delete(db->cf(key.first), key.second);
      }
    }
    batch.Put(db->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(expected - 1));
    AUTHD_RETURN_IF_ERROR(without_wal ? db->WriteWithoutWal(&batch)
                                      : db->Write(&batch, /*sync=*/false));
    projection.Clear();
    return absl::OkStatus();
  };
  auto it = db->NewIterator(kEventsCf);
  size_t in_chunk = 0;
  for (it->Seek(EncodeU64(from)); it->Valid(); it->Next()) {
    auto seq = DecodeU64(View(it->key()));
    if (!seq || *seq != expected) {
      return absl::DataLossError(absl::StrCat("event log has a gap at sequence ", expected));
    }
    AUTHD_ASSIGN_OR_RETURN(pb::Event event, DecodeEvent(View(it->value())));
    if (event.sequence() != *seq) {
      return absl::DataLossError(absl::StrCat("event ", *seq, " is stored under the wrong key"));
    }
    AUTHD_RETURN_IF_ERROR(Project(event, &projection));
    ++expected;
    if (++in_chunk == kReplayChunk) {
      AUTHD_RETURN_IF_ERROR(flush());
      in_chunk = 0;
    }
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "replaying the event log");
  AUTHD_RETURN_IF_ERROR(flush());
  if (expected - 1 != last_sequence_) {
    return absl::DataLossError(absl::StrCat("replay stopped at ", expected - 1,
                                            " before the end of the log ", last_sequence_));
  }
  return absl::OkStatus();
}

absl::Status TokenStore::RebuildLocked() {
  // Late publishes must not land on the index after it is reloaded below.
  AUTHD_RETURN_IF_ERROR(group_.Drain());
  const std::shared_ptr<Db> db = CurrentDb();
  rocksdb::WriteBatch mark;
  mark.Put(db->cf(kMetaCf), std::string(kRebuildingKey), "");
  mark.Put(db->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(0));
  AUTHD_RETURN_IF_ERROR(db->Write(&mark, /*sync=*/true));
  AUTHD_RETURN_IF_ERROR(db->RecreateProjectionCfs());
  // The flag makes an interrupted rebuild start over, so the replay needs no WAL; flushing the
  // memtables before clearing the flag makes it durable (and spares the next start a long WAL
  // recovery of every projection key).
  AUTHD_RETURN_IF_ERROR(ReplayFrom(1, /*without_wal=*/true));
  AUTHD_RETURN_IF_ERROR(db->Flush());
  rocksdb::WriteBatch done;
  done.Delete(db->cf(kMetaCf), std::string(kRebuildingKey));
  AUTHD_RETURN_IF_ERROR(db->Write(&done, /*sync=*/true));
  return LoadIndex();
}

absl::Status TokenStore::RebuildProjections() {
  authd::MutexLock lock(&write_mu_);
  return RebuildLocked();
}

absl::StatusOr<uint64_t> TokenStore::CommitLocked(const Actor& actor, std::vector<pb::Event> events,
                                      const std::vector<std::pair<Id, std::string>>& raw_tokens) {
  AUTHD_RETURN_IF_ERROR(group_.health());
  const std::shared_ptr<Db> db = CurrentDb();
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  ProjectionBatch projection(db.get());
  rocksdb::WriteBatch batch;
  uint64_t seq = last_sequence_;
  for (pb::Event& event : events) {
    event.set_format_version(kEventFormatVersion);
    event.set_sequence(++seq);
    event.set_time_unix_nanos(now);
    event.set_actor_authorization_id(actor.authorization_id);
    event.set_actor_user_id(actor.user_id);
    AUTHD_RETURN_IF_ERROR(Project(event, &projection));
    batch.Put(db->cf(kEventsCf), EncodeU64(seq), event.SerializeAsString());
  }
  for (const auto& [key, value] : projection.writes()) {
    if (value) {
      batch.Put(db->cf(key.first), key.second, *value);
    } else {
      batch.Delete(db->cf(key.first), key.second);
    }
  }
  for (const auto& [id, token] : raw_tokens) batch.Put(db->cf(kRawTokensCf), EncodeU64(id), token);
  batch.Put(db->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(seq));
  // Unsynced: visible to the next writer at once; durable (and published to the index) when a
  // group-commit sync covers it. See storage/group_commit.h.
  AUTHD_RETURN_IF_ERROR(db->Write(&batch, /*sync=*/false));
  last_sequence_ = seq;
  return group_.Enqueue([this, ops = projection.TakeIndexOps()] { Publish(ops); });
}

void TokenStore::Publish(const std::vector<IndexOp>& ops) {
  for (const IndexOp& op : ops) {
    switch (op.kind) {
      case IndexOp::Kind::kPutToken:
        index_->Put(op.digest, op.grant);
        break;
      case IndexOp::Kind::kEraseToken:
        index_->Erase(op.digest);
        break;
      case IndexOp::Kind::kSetUserActive:
        index_->SetUserActive(op.user_id, op.active);
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Queries.

uint64_t TokenStore::LastSequence() const {
  authd::MutexLock lock(&write_mu_);
  return last_sequence_;
}

template <typename T>
absl::StatusOr<T> TokenStore::GetRecord(absl::string_view cf, const std::string& key,
                                        absl::string_view what) {
  const std::shared_ptr<Db> db = CurrentDb();
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, db->Get(cf, key));
  if (!bytes) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return Decode<T>(*bytes, what);
}

template <typename T>
absl::StatusOr<bool> TokenStore::ScanTagged(char tag, Id after, absl::string_view what,
                                            const Visitor<T>& visit) {
  if (after == UINT64_MAX) return true;
  const std::shared_ptr<Db> db = CurrentDb();
  auto it = db->NewIterator(kTenantsCf);
  std::string prefix(1, tag);
  for (it->Seek(TaggedIdKey(tag, after + 1)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(T record, Decode<T>(View(it->value()), what));
    if (!visit(record)) {
      it->Next();
      bool exhausted = !it->Valid() || !it->key().starts_with(prefix);
      if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("listing ", what));
      return exhausted;
    }
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), absl::StrCat("listing ", what));
  return true;
}

template <typename T>
absl::StatusOr<std::vector<T>> TokenStore::ListTagged(char tag, absl::string_view what) {
  std::vector<T> out;
  AUTHD_RETURN_IF_ERROR(ScanTagged<T>(tag, 0, what, [&](const T& record) {
                          out.push_back(record);
                          return true;
                        }).status());
  return out;
}

absl::StatusOr<bool> TokenStore::ScanUsers(Id after, const Visitor<pb::UserRecord>& visit) {
  return ScanTagged<pb::UserRecord>(kUserTag, after, "user", visit);
}

absl::StatusOr<bool> TokenStore::ScanOrgs(Id after, const Visitor<pb::OrgRecord>& visit) {
  return ScanTagged<pb::OrgRecord>(kOrgTag, after, "org", visit);
}

absl::StatusOr<bool> TokenStore::ScanBuckets(Id org_id, Id after,
                                             const Visitor<pb::BucketRecord>& visit) {
  return ScanTagged<pb::BucketRecord>(kBucketTag, after, "bucket", [&](const pb::BucketRecord& b) {
    return org_id != 0 && b.org_id() != org_id ? true : visit(b);
  });
}

absl::StatusOr<bool> TokenStore::SetupAllowedLocked() {
  const std::shared_ptr<Db> db = CurrentDb();
  for (char tag : {kUserTag, kOrgTag}) {
    auto it = db->NewIterator(kTenantsCf);
    std::string prefix(1, tag);
    it->Seek(prefix);
    if (it->Valid() && it->key().starts_with(prefix)) return false;
    if (!it->status().ok()) return FromRocksDb(it->status(), "checking setup");
  }
  return true;
}

absl::StatusOr<bool> TokenStore::SetupAllowed() { return SetupAllowedLocked(); }

absl::StatusOr<std::optional<pb::InstanceRecord>> TokenStore::Instance() {
  const std::shared_ptr<Db> db = CurrentDb();
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, db->Get(kTenantsCf, InstanceKey()));
  if (!bytes) return std::optional<pb::InstanceRecord>();
  AUTHD_ASSIGN_OR_RETURN(pb::InstanceRecord record, Decode<pb::InstanceRecord>(*bytes, "instance"));
  return std::optional<pb::InstanceRecord>(std::move(record));
}

absl::StatusOr<std::optional<Id>> TokenStore::LookupName(const std::string& key) {
  const std::shared_ptr<Db> db = CurrentDb();
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, db->Get(kTenantsCf, key));
  if (!bytes) return std::optional<Id>();
  auto id = DecodeU64(*bytes);
  if (!id) return absl::DataLossError("corrupt stored name index");
  return std::optional<Id>(*id);
}

absl::StatusOr<pb::UserRecord> TokenStore::GetUser(Id id) {
  auto user = GetRecord<pb::UserRecord>(kTenantsCf, TaggedIdKey(kUserTag, id), "user");
  if (absl::IsNotFound(user.status())) return absl::NotFoundError(NotFoundMessage("user", id));
  return user;
}

absl::StatusOr<pb::UserRecord> TokenStore::FindUserByName(const std::string& name) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> id, LookupName(TaggedNameKey(kUserNameTag, name)));
  if (!id) return absl::NotFoundError(absl::StrCat("user \"", name, "\" not found"));
  return GetUser(*id);
}

absl::StatusOr<std::vector<pb::UserRecord>> TokenStore::ListUsers() {
  return ListTagged<pb::UserRecord>(kUserTag, "user");
}

absl::StatusOr<pb::OrgRecord> TokenStore::GetOrg(Id id) {
  auto org = GetRecord<pb::OrgRecord>(kTenantsCf, TaggedIdKey(kOrgTag, id), "org");
  if (absl::IsNotFound(org.status())) return absl::NotFoundError(NotFoundMessage("org", id));
  return org;
}

absl::StatusOr<pb::OrgRecord> TokenStore::FindOrgByName(const std::string& name) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> id, LookupName(TaggedNameKey(kOrgNameTag, name)));
  if (!id) return absl::NotFoundError(absl::StrCat("org \"", name, "\" not found"));
  return GetOrg(*id);
}

absl::StatusOr<std::vector<pb::OrgRecord>> TokenStore::ListOrgs() {
  return ListTagged<pb::OrgRecord>(kOrgTag, "org");
}

absl::StatusOr<pb::BucketRecord> TokenStore::GetBucket(Id id) {
  auto bucket = GetRecord<pb::BucketRecord>(kTenantsCf, TaggedIdKey(kBucketTag, id), "bucket");
  if (absl::IsNotFound(bucket.status())) return absl::NotFoundError(NotFoundMessage("bucket", id));
  return bucket;
}

absl::StatusOr<std::vector<pb::BucketRecord>> TokenStore::ListBuckets(Id org_id) {
  std::vector<pb::BucketRecord> out;
  AUTHD_RETURN_IF_ERROR(ScanBuckets(org_id, 0, [&](const pb::BucketRecord& b) {
                          out.push_back(b);
                          return true;
                        }).status());
  return out;
}

absl::StatusOr<pb::AuthorizationRecord> TokenStore::GetAuthorization(Id id) {
  auto auth =
      GetRecord<pb::AuthorizationRecord>(kAuthorizationsCf, EncodeU64(id), "authorization");
  if (absl::IsNotFound(auth.status())) return absl::NotFoundError("authorization not found");
  return auth;
}

absl::StatusOr<std::vector<pb::AuthorizationRecord>> TokenStore::ListAuthorizations(Id user_id,
                                                                                    Id org_id) {
  std::vector<pb::AuthorizationRecord> out;
  AUTHD_RETURN_IF_ERROR(ScanAuthorizations(user_id, org_id, 0, [&](const pb::AuthorizationRecord& a) {
                          out.push_back(a);
                          return true;
                        }).status());
  return out;
}

absl::StatusOr<bool> TokenStore::ScanAuthorizations(Id user_id, Id org_id, Id after,
                                                    const Visitor<pb::AuthorizationRecord>& visit) {
  if (after == UINT64_MAX) return true;
  const std::shared_ptr<Db> db = CurrentDb();
  if (user_id == 0 && org_id == 0) {
    auto it = db->NewIterator(kAuthorizationsCf);
    for (it->Seek(EncodeU64(after + 1)); it->Valid(); it->Next()) {
      AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth,
                             Decode<pb::AuthorizationRecord>(View(it->value()), "authorization"));
      if (!visit(auth)) {
        it->Next();
        if (!it->status().ok()) return FromRocksDb(it->status(), "listing authorizations");
        return !it->Valid();
      }
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "listing authorizations");
    return true;
  }
  // Walk the narrower secondary index ([owner][auth id]: auth IDs in order), then filter.
  absl::string_view cf = user_id != 0 ? kAuthByUserCf : kAuthByOrgCf;
  const Id owner = user_id != 0 ? user_id : org_id;
  std::string prefix = EncodeU64(owner);
  auto it = db->NewIterator(cf);
  for (it->Seek(PairKey(owner, after + 1)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    auto id = DecodeU64(View(it->key()).substr(8));
    if (!id) return absl::DataLossError("corrupt authorization secondary index");
    absl::StatusOr<pb::AuthorizationRecord> found = GetAuthorization(*id);
    // The iterator reads a snapshot and the lookup the latest state: a token deleted in between
    // is gone, so it is not listed (rather than failing the whole listing with kNotFound).
    if (absl::IsNotFound(found.status())) continue;
    if (!found.ok()) return found.status();
    const pb::AuthorizationRecord& auth = *found;
    if (org_id != 0 && auth.org_id() != org_id) continue;
    if (!visit(auth)) {
      it->Next();
      if (!it->status().ok()) return FromRocksDb(it->status(), "listing authorizations");
      return !it->Valid() || !it->key().starts_with(prefix);
    }
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "listing authorizations");
  return true;
}

absl::StatusOr<std::vector<pb::Event>> TokenStore::ReadEvents(uint64_t from, size_t limit) {
  const std::shared_ptr<Db> db = CurrentDb();
  std::vector<pb::Event> out;
  auto it = db->NewIterator(kEventsCf);
  for (it->Seek(EncodeU64(from)); it->Valid() && out.size() < limit; it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::Event event, DecodeEvent(View(it->value())));
    out.push_back(std::move(event));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading events");
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> TokenStore::Scan(
    absl::string_view cf) {
  const std::shared_ptr<Db> db = CurrentDb();
  if (db->cf(cf) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no column family ", cf));
  }
  return db->Scan(cf);
}

absl::Status TokenStore::Flush() {
  // After a failed fsync, flushing would write the unacknowledged (never published) writes still
  // in the memtables into SST files, and retry the fsync the failure forbids trusting.
  AUTHD_RETURN_IF_ERROR(group_.health());
  return CurrentDb()->Flush();
}

// ---------------------------------------------------------------------------------------------
// Commands.

absl::StatusOr<Id> TokenStore::FreshId(absl::string_view cf, char tag) {
  const std::shared_ptr<Db> db = CurrentDb();
  for (;;) {
    Id id = authz::NewRandomId();
    std::string key = tag == 0 ? EncodeU64(id) : TaggedIdKey(tag, id);
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> existing, db->Get(cf, key));
    if (!existing) return id;
  }
}

absl::StatusOr<SetupResult> TokenStore::Setup(const SetupCommand& command) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_ASSIGN_OR_RETURN(bool allowed, SetupAllowedLocked());
  if (!allowed) return absl::FailedPreconditionError("onboarding has already been completed");
  const int64_t now = absl::ToUnixNanos(clock_->Now());

  SetupResult result;
  AUTHD_ASSIGN_OR_RETURN(Id user_id, FreshId(kTenantsCf, kUserTag));
  result.user.set_id(user_id);
  result.user.set_name(command.username);
  result.user.set_status(pb::STATUS_ACTIVE);
  result.user.set_password_hash(command.password_hash);
  result.user.set_created_at_unix_nanos(now);
  result.user.set_updated_at_unix_nanos(now);

  AUTHD_ASSIGN_OR_RETURN(Id org_id, FreshId(kTenantsCf, kOrgTag));
  result.org.set_id(org_id);
  result.org.set_name(command.org);
  result.org.set_created_at_unix_nanos(now);
  result.org.set_updated_at_unix_nanos(now);

  AUTHD_ASSIGN_OR_RETURN(Id bucket_id, FreshId(kTenantsCf, kBucketTag));
  result.bucket.set_id(bucket_id);
  result.bucket.set_org_id(org_id);
  result.bucket.set_name(command.bucket);
  result.bucket.set_retention_period_seconds(command.retention_period_seconds);
  result.bucket.set_created_at_unix_nanos(now);
  result.bucket.set_updated_at_unix_nanos(now);

  AUTHD_ASSIGN_OR_RETURN(Id auth_id, FreshId(kAuthorizationsCf, 0));
  pb::AuthorizationRecord& auth = result.authorization;
  auth.set_id(auth_id);
  auth.set_status(pb::STATUS_ACTIVE);
  auth.set_description(absl::StrCat(command.username, "'s Token"));
  auth.set_org_id(org_id);
  auth.set_user_id(user_id);
  for (const authz::Permission& p : authz::OperatorPermissions()) {
    *auth.add_permissions() = ToRecord(p);
  }
  auth.set_token_hash(authz::HashToken(command.token));
  auth.set_created_at_unix_nanos(now);
  auth.set_updated_at_unix_nanos(now);

  std::vector<pb::Event> events(5);
  *events[0].mutable_user_created()->mutable_user() = result.user;
  *events[1].mutable_org_created()->mutable_org() = result.org;
  *events[2].mutable_bucket_created()->mutable_bucket() = result.bucket;
  *events[3].mutable_authorization_created()->mutable_authorization() = auth;
  pb::InstanceRecord* instance = events[4].mutable_setup_completed()->mutable_instance();
  instance->set_owner_user_id(user_id);
  instance->set_setup_org_id(org_id);
  instance->set_setup_at_unix_nanos(now);
  std::vector<std::pair<Id, std::string>> raw;
  if (!options_.use_hashed_tokens) raw.emplace_back(auth_id, command.token);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(Actor{0, user_id}, std::move(events), raw));
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return result;
}

absl::StatusOr<pb::OrgRecord> TokenStore::CreateOrg(const Actor& actor, const std::string& name,
                                                    const std::string& description) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing, LookupName(TaggedNameKey(kOrgNameTag, name)));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("organization name \"", name, "\" is already in use"));
  }
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  pb::OrgRecord org;
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(kTenantsCf, kOrgTag));
  org.set_id(id);
  org.set_name(name);
  org.set_description(description);
  org.set_created_at_unix_nanos(now);
  org.set_updated_at_unix_nanos(now);
  std::vector<pb::Event> events(1);
  *events[0].mutable_org_created()->mutable_org() = org;
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return org;
}

absl::Status TokenStore::DeleteOrg(const Actor& actor, Id id) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetOrg(id).status());
  std::vector<pb::Event> events;
  AUTHD_ASSIGN_OR_RETURN(std::vector<pb::AuthorizationRecord> auths, ListAuthorizations(0, id));
  for (const pb::AuthorizationRecord& auth : auths) {
    events.emplace_back().mutable_authorization_deleted()->set_id(auth.id());
  }
  AUTHD_ASSIGN_OR_RETURN(std::vector<pb::BucketRecord> buckets, ListBuckets(id));
  for (const pb::BucketRecord& bucket : buckets) {
    events.emplace_back().mutable_bucket_deleted()->set_id(bucket.id());
  }
  events.emplace_back().mutable_org_deleted()->set_id(id);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  return group_.AwaitDurable(ticket);
}

absl::StatusOr<pb::UserRecord> TokenStore::CreateUser(const Actor& actor, const std::string& name,
                                                      const std::string& password_hash,
                                                      bool active) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing,
                         LookupName(TaggedNameKey(kUserNameTag, name)));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("user with name \"", name, "\" already exists"));
  }
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  pb::UserRecord user;
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(kTenantsCf, kUserTag));
  user.set_id(id);
  user.set_name(name);
  user.set_status(ToStatus(active));
  user.set_password_hash(password_hash);
  user.set_created_at_unix_nanos(now);
  user.set_updated_at_unix_nanos(now);
  std::vector<pb::Event> events(1);
  *events[0].mutable_user_created()->mutable_user() = user;
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return user;
}

absl::StatusOr<pb::UserRecord> TokenStore::UpdateUser(const Actor& actor, Id id,
                                                      std::optional<std::string> name,
                                                      std::optional<bool> active) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user, GetUser(id));
  std::vector<pb::Event> events(1);
  pb::UserUpdated* update = events[0].mutable_user_updated();
  update->set_id(id);
  if (name && *name != user.name()) {
    AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing,
                           LookupName(TaggedNameKey(kUserNameTag, *name)));
    if (existing) {
      return absl::AlreadyExistsError(
          absl::StrCat("user with name \"", *name, "\" already exists"));
    }
    update->set_name(*name);
  }
  if (active) update->set_status(ToStatus(*active));
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  // Read back under the lock: the state this change produced, not a later one.
  absl::StatusOr<pb::UserRecord> updated = GetUser(id);
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return updated;
}

absl::Status TokenStore::DeleteUser(const Actor& actor, Id id) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetUser(id).status());
  std::vector<pb::Event> events(1);
  events[0].mutable_user_deleted()->set_id(id);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  return group_.AwaitDurable(ticket);
}

absl::Status TokenStore::SetPassword(const Actor& actor, Id user_id,
                                     const std::string& password_hash) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetUser(user_id).status());
  std::vector<pb::Event> events(1);
  events[0].mutable_password_set()->set_user_id(user_id);
  events[0].mutable_password_set()->set_password_hash(password_hash);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  return group_.AwaitDurable(ticket);
}

absl::StatusOr<pb::BucketRecord> TokenStore::CreateBucket(const Actor& actor, Id org_id,
                                                          const std::string& name,
                                                          const std::string& description,
                                                          int64_t retention_period_seconds) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetOrg(org_id).status());
  AUTHD_ASSIGN_OR_RETURN(std::optional<Id> existing, LookupName(BucketNameKey(org_id, name)));
  if (existing) {
    return absl::AlreadyExistsError(
        absl::StrCat("bucket with name \"", name, "\" already exists"));
  }
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  pb::BucketRecord bucket;
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(kTenantsCf, kBucketTag));
  bucket.set_id(id);
  bucket.set_org_id(org_id);
  bucket.set_name(name);
  bucket.set_description(description);
  bucket.set_retention_period_seconds(retention_period_seconds);
  bucket.set_created_at_unix_nanos(now);
  bucket.set_updated_at_unix_nanos(now);
  std::vector<pb::Event> events(1);
  *events[0].mutable_bucket_created()->mutable_bucket() = bucket;
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return bucket;
}

absl::Status TokenStore::DeleteBucket(const Actor& actor, Id id) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetBucket(id).status());
  std::vector<pb::Event> events(1);
  events[0].mutable_bucket_deleted()->set_id(id);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  return group_.AwaitDurable(ticket);
}

absl::StatusOr<pb::AuthorizationRecord> TokenStore::CreateAuthorization(
    const Actor& actor, const NewAuthorization& request) {
  const std::shared_ptr<Db> db = CurrentDb();
  if (request.token.empty()) return absl::InternalError("CreateAuthorization without a token");
  authd::ReleasableMutexLock lock(&write_mu_);
  // InfluxDB answers an unknown user or org with one deliberately vague message.
  if (absl::Status s = GetOrg(request.org_id).status(); !s.ok()) {
    if (absl::IsNotFound(s)) return absl::InvalidArgumentError("unable to create token: org not found");
    return s;
  }
  if (absl::Status s = GetUser(request.user_id).status(); !s.ok()) {
    if (absl::IsNotFound(s)) return absl::InvalidArgumentError("unable to create token: user not found");
    return s;
  }
  std::string index_key = authz::HashToken(request.token);
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> clash, db->Get(kTokenIndexCf, index_key));
  if (clash) return absl::AlreadyExistsError("token already exists");

  const int64_t now = absl::ToUnixNanos(clock_->Now());
  pb::AuthorizationRecord auth;
  AUTHD_ASSIGN_OR_RETURN(Id id, FreshId(kAuthorizationsCf, 0));
  auth.set_id(id);
  auth.set_status(ToStatus(request.active));
  auth.set_description(request.description);
  auth.set_org_id(request.org_id);
  auth.set_user_id(request.user_id);
  for (const authz::Permission& p : request.permissions) *auth.add_permissions() = ToRecord(p);
  auth.set_token_hash(index_key);
  auth.set_created_at_unix_nanos(now);
  auth.set_updated_at_unix_nanos(now);
  std::vector<pb::Event> events(1);
  *events[0].mutable_authorization_created()->mutable_authorization() = auth;
  std::vector<std::pair<Id, std::string>> raw;
  if (!options_.use_hashed_tokens) raw.emplace_back(id, request.token);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events), raw));
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return auth;
}

absl::StatusOr<pb::AuthorizationRecord> TokenStore::UpdateAuthorization(
    const Actor& actor, Id id, std::optional<bool> active, std::optional<std::string> description) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetAuthorization(id).status());
  std::vector<pb::Event> events(1);
  pb::AuthorizationUpdated* update = events[0].mutable_authorization_updated();
  update->set_id(id);
  if (active) update->set_status(ToStatus(*active));
  if (description) update->set_description(*description);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  // Read back under the lock: the state this change produced, not a later one.
  absl::StatusOr<pb::AuthorizationRecord> updated = GetAuthorization(id);
  lock.Release();
  AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  return updated;
}

absl::Status TokenStore::DeleteAuthorization(const Actor& actor, Id id) {
  authd::ReleasableMutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(GetAuthorization(id).status());
  std::vector<pb::Event> events(1);
  events[0].mutable_authorization_deleted()->set_id(id);
  AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(actor, std::move(events)));
  lock.Release();
  return group_.AwaitDurable(ticket);
}


// ---------------------------------------------------------------------------------------------
// Backup and restore.

namespace storage_internal {

// The raw token of the first authorization holding every operator permission, if stored raw
// (InfluxDB's restore answers with exactly this).
absl::StatusOr<std::string> FindRawOperatorToken(Db& db) {
  const std::vector<authz::Permission> oper = authz::OperatorPermissions();
  auto it = db.NewIterator(kAuthorizationsCf);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth,
                           Decode<pb::AuthorizationRecord>(View(it->value()), "authorization"));
    AUTHD_ASSIGN_OR_RETURN(std::vector<authz::Permission> perms, PermissionsOf(auth));
    bool is_operator = true;
    for (const authz::Permission& p : oper) {
      if (!authz::AnyMatches(perms, p)) {
        is_operator = false;
        break;
      }
    }
    if (!is_operator) continue;
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                           db.Get(kRawTokensCf, EncodeU64(auth.id())));
    if (raw) return *raw;
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "looking for an operator token");
  return std::string();
}

}  // namespace storage_internal

absl::StatusOr<Snapshot> TokenStore::CreateSnapshot() {
  authd::MutexLock lock(&write_mu_);
  // Only acknowledged (durable) writes go into a backup.
  AUTHD_RETURN_IF_ERROR(group_.Drain());
  const std::shared_ptr<Db> db = CurrentDb();
  Snapshot snapshot;
  AUTHD_ASSIGN_OR_RETURN(snapshot.work_dir, data_dir_->NewWorkDir("backup"));
  snapshot.store_dir = snapshot.work_dir + "/store";
  snapshot.last_sequence = last_sequence_;
  snapshot.schema_version = kSchemaVersion;
  absl::Status s = db->CreateCheckpoint(snapshot.store_dir);
  if (s.ok()) {
    auto raw = storage_internal::FindRawOperatorToken(*db);
    if (raw.ok()) {
      snapshot.has_raw_operator_token = !raw->empty();
    } else {
      s = raw.status();
    }
  }
  if (!s.ok()) {
    data_dir_->RemoveTree(snapshot.work_dir).IgnoreError();
    return s;
  }
  return snapshot;
}

void TokenStore::ReleaseSnapshot(const Snapshot& snapshot) {
  data_dir_->RemoveTree(snapshot.work_dir).IgnoreError();
}

absl::StatusOr<std::string> TokenStore::NewRestoreDir() {
  return data_dir_->NewWorkDir("incoming");
}

void TokenStore::DiscardRestoreDir(const std::string& dir) {
  data_dir_->RemoveTree(dir).IgnoreError();
}

absl::StatusOr<RestoreResult> TokenStore::RestoreFrom(const std::string& incoming) {
  RestoreResult result;
  // 1. Open the received store aside and run the start-up steps on it (schema check, replay,
  //    hashing migration), exactly as if authd were starting on it. The live store is untouched.
  {
    AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(incoming));
    AUTHD_ASSIGN_OR_RETURN(result.operator_token, storage_internal::FindRawOperatorToken(*db));
    authz::TokenIndex scratch;
    TokenStore probe(options_, clock_, &scratch, nullptr, std::move(db));
    AUTHD_RETURN_IF_ERROR(probe.Initialize());
    AUTHD_RETURN_IF_ERROR(probe.CurrentDb()->Flush());
    result.last_sequence = probe.LastSequence();
    result.authorizations = scratch.size();
    if (result.authorizations == 0) {
      return absl::InvalidArgumentError(
          "invalid backup without an operator token: it holds no authorization at all");
    }
  }
  // 2. Swap it in. Writers wait; readers keep whichever store they started with. Writes already
  //    appended finish first, so none of them publishes into the reloaded index.
  authd::MutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(group_.Drain());
  AUTHD_ASSIGN_OR_RETURN(std::string previous, data_dir_->Promote(incoming));
  AUTHD_ASSIGN_OR_RETURN(std::string current, data_dir_->CurrentStore());
  auto opened = Db::Open(current);
  if (!opened.ok()) {
    data_dir_->PointCurrentAt(previous).IgnoreError();
    return opened.status();
  }
  std::weak_ptr<Db> old;
  {
    authd::MutexLock db_lock(&db_mu_);
    old = db_;
    db_ = std::move(*opened);
  }
  last_sequence_ = 0;
  absl::Status init = InitializeLocked();
  if (!init.ok()) return init;
  // Delete the old store now if nobody reads it any more; otherwise at the next start.
  if (old.expired()) data_dir_->RemoveTree(previous).IgnoreError();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Verification, downgrade.

namespace {

// A ProjectionReader over nothing: replay into memory starts from empty projections.
class EmptyReader final : public ProjectionReader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view, absl::string_view) override {
    return std::optional<std::string>();
  }
};

}  // namespace

absl::StatusOr<VerifyReport> TokenStore::Verify() {
  authd::MutexLock lock(&write_mu_);
  const std::shared_ptr<Db> db = CurrentDb();
  VerifyReport report;
  EmptyReader empty;
  ProjectionBatch replay(&empty);
  {
    auto it = db->NewIterator(kEventsCf);
    uint64_t expected = 1;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      auto seq = DecodeU64(View(it->key()));
      if (!seq || *seq != expected) {
        report.problems.push_back(absl::StrCat("event log: expected sequence ", expected,
                                               seq ? absl::StrCat(", found ", *seq)
                                                   : std::string(", found a malformed key")));
        break;
      }
      auto event = DecodeEvent(View(it->value()));
      if (!event.ok()) {
        report.problems.push_back(absl::StrCat("event ", *seq, ": ", event.status().message()));
        break;
      }
      if (event->sequence() != *seq) {
        report.problems.push_back(absl::StrCat("event ", *seq, " carries sequence ", event->sequence()));
      }
      absl::Status projected = Project(*event, &replay);
      if (!projected.ok()) {
        report.problems.push_back(absl::StrCat("event ", *seq, " does not replay: ", projected.message()));
        break;
      }
      report.events = *seq;
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  }
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> checkpoint, db->Get(kMetaCf, kCheckpointKey));
  report.checkpoint = checkpoint ? DecodeU64(*checkpoint).value_or(0) : 0;
  if (report.checkpoint != report.events) {
    report.problems.push_back(absl::StrCat("checkpoint ", report.checkpoint,
                                           " differs from the last event ", report.events));
  }
  if (report.problems.empty()) {
    for (absl::string_view cf : Db::ProjectionCfs()) {
      std::map<std::string, std::string> expected;
      for (const auto& [key, value] : replay.writes()) {
        if (key.first == cf && value) expected[key.second] = *value;
      }
      AUTHD_ASSIGN_OR_RETURN(auto actual, db->Scan(cf));
      report.projection_keys += actual.size();
      std::map<std::string, std::string> have(actual.begin(), actual.end());
      if (have != expected) {
        size_t missing = 0, extra = 0, differ = 0;
        for (const auto& [k, v] : expected) {
          auto h = have.find(k);
          if (h == have.end()) {
            ++missing;
          } else if (h->second != v) {
            ++differ;
          }
        }
        for (const auto& [k, v] : have) extra += expected.count(k) == 0;
        report.problems.push_back(absl::StrCat("projection ", cf, " differs from a replay of the log: ",
                                               missing, " missing, ", extra, " extra, ", differ,
                                               " different keys"));
      }
    }
  }
  absl::Status checksums = db->VerifyChecksums();
  if (!checksums.ok()) report.problems.push_back(std::string(checksums.message()));
  return report;
}

absl::Status TokenStore::Downgrade(uint32_t to_schema, bool erase_hashed_tokens,
                                   std::vector<authz::Id>* lost) {
  if (to_schema == kSchemaVersion) return absl::OkStatus();
  if (to_schema != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--to-schema: ", to_schema, " is not a schema below ", kSchemaVersion,
                     " (schema 1 is the only one)"));
  }
  authd::MutexLock lock(&write_mu_);
  const std::shared_ptr<Db> db = CurrentDb();
  AUTHD_ASSIGN_OR_RETURN(*lost, HashedOnlyAuthorizations(*db));
  if (!lost->empty() && !erase_hashed_tokens) {
    return absl::FailedPreconditionError(absl::StrCat(
        "downgrading to schema 1 erases every token stored only as a hash: ", lost->size(),
        " would be lost. Pass --yes-erase-hashed-tokens to erase them"));
  }
  constexpr size_t kBatch = 100;
  for (size_t i = 0; i < lost->size(); i += kBatch) {
    std::vector<pb::Event> events;
    for (size_t j = i; j < std::min(lost->size(), i + kBatch); ++j) {
      events.emplace_back().mutable_authorization_deleted()->set_id((*lost)[j]);
    }
    AUTHD_ASSIGN_OR_RETURN(uint64_t ticket, CommitLocked(Actor{}, std::move(events)));
    AUTHD_RETURN_IF_ERROR(group_.AwaitDurable(ticket));
  }
  return MigrateDown2To1(*db);
}

absl::StatusOr<std::optional<bool>> TokenStore::RecordedHashingMode() {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> mode, CurrentDb()->Get(kMetaCf, kHashingModeKey));
  if (!mode) return std::optional<bool>();
  return std::optional<bool>(*mode == "on");
}

}  // namespace authd::storage
