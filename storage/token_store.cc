#include "storage/token_store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/token_hash.h"
#include "base/status_macros.h"
#include "storage/applier.h"
#include "storage/keys.h"
#include "storage/projector.h"
#include "storage/rocksdb_status.h"
#include "storage/schema_migrations.h"
#include "storage/state_digest.h"

namespace authd::storage {
namespace {

using authz::FormatId;
using authz::Id;

// Events replayed per WriteBatch when rebuilding or catching up.
constexpr size_t kReplayChunk = 1000;
// Raw tokens hashed, or hashed-only tokens erased, per commit (InfluxDB migrates 100 per
// transaction).
constexpr size_t kMaintenanceBatch = 100;
// Decisions retried when the log's head moved under them (only a replicated log does that).
constexpr int kExecuteAttempts = 8;
// DeleteOrg commits at most kMaxEventsPerDeleteOrgStep events each; this bounds the loop (10M
// tokens and buckets) against a caller that keeps adding to the org being deleted.
constexpr int kMaxDeleteOrgSteps = 100000;

// The record a command's result key holds after its events.
template <typename T>
absl::StatusOr<T> Result(const Appended& appended, size_t i, absl::string_view what) {
  if (i >= appended.results.size() || !appended.results[i]) {
    return absl::InternalError(absl::StrCat("the ", what, " is missing after its own change"));
  }
  return Decode<T>(*appended.results[i], what);
}

std::string RestoreFailed(absl::string_view step, const absl::Status& s) {
  return absl::StrCat("restore failed at step \"", step, "\" (the previous store is still serving): ",
                      s.message());
}

// A ProjectionReader over nothing: replay into memory starts from empty projections.
class EmptyReader final : public ProjectionReader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view, absl::string_view) override {
    return std::optional<std::string>();
  }
};

}  // namespace

TokenStore::TokenStore(TokenStoreOptions options, const Clock* clock, authz::TokenIndex* index,
                       std::unique_ptr<DataDir> data_dir)
    : options_(std::move(options)), clock_(clock), index_(index), data_dir_(std::move(data_dir)) {}

TokenStore::~TokenStore() = default;

std::shared_ptr<TokenStore::StoreState> TokenStore::CurrentState() const {
  authd::MutexLock lock(&db_mu_);
  return state_;
}

std::shared_ptr<Db> TokenStore::CurrentDb() const { return CurrentState()->db; }

OpenReport TokenStore::open_report() const {
  authd::MutexLock lock(&db_mu_);
  return open_report_;
}

absl::Status TokenStore::Fault(absl::string_view step) const {
  return options_.fault_hook ? options_.fault_hook(step) : absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<TokenStore::StoreState>> TokenStore::OpenState(
    const std::string& path, authz::TokenIndex* index, bool local) const {
  auto state = std::make_shared<StoreState>();
  AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path));
  state->db = std::move(db);
  if (options_.etcd && !local) {
    // The log's catch-up writes events into the Db before Recover runs: a fresh data dir gets its
    // schema first (as Recover would give it), so Recover finds a schema-2 store with events.
    Db& fresh = *state->db;
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> schema, fresh.Get(kMetaCf, kSchemaVersionKey));
    if (!schema) {
      auto it = fresh.NewIterator(kEventsCf);
      it->SeekToFirst();
      if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
      if (!it->Valid()) {
        rocksdb::WriteBatch batch;
        batch.Put(fresh.cf(kMetaCf), std::string(kSchemaVersionKey), EncodeU32(kSchemaVersion));
        batch.Put(fresh.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(0));
        AUTHD_RETURN_IF_ERROR(fresh.Write(&batch, /*sync=*/true));
      }
    }
    if (options_.rebuild_from_etcd) {
      // The mark of an interrupted snapshot install: the log's open clears the copy and catches
      // up from etcd from scratch (and so does the next open, if this one is interrupted).
      rocksdb::WriteBatch mark;
      mark.Put(fresh.cf(kMetaCf), std::string(kLoadingSnapshotKey), "");
      AUTHD_RETURN_IF_ERROR(fresh.Write(&mark, /*sync=*/true));
    }
    AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<etcd::EtcdEventLog> log,
                           etcd::EtcdEventLog::Open(state->db, index, *options_.etcd));
    state->etcd_log = log.get();
    state->log = std::move(log);
    return state;
  }
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> etcd_revision,
                         state->db->Get(kMetaCf, kEtcdRevisionKey));
  if (etcd_revision) {
    state->writes_refused = absl::FailedPreconditionError(
        "this data dir is an etcd replica's applied copy: writes go through etcd (give the "
        "replica's --etcd-endpoints; offline commands take them too)");
  }
  AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<RocksDbEventLog> log,
                         RocksDbEventLog::Open(state->db, options_.sync_writes, index));
  state->rocksdb_log = log.get();
  state->log = std::move(log);
  return state;
}

namespace {

absl::Status NotInEtcdMode(absl::string_view what, absl::string_view instead) {
  return absl::UnimplementedError(
      absl::StrCat(what, " is not available with the etcd event log: ", instead));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const TokenStoreOptions& options,
                                                             const Clock* clock,
                                                             authz::TokenIndex* index) {
  if (options.etcd && !options.use_hashed_tokens) {
    return absl::InvalidArgumentError(
        "use_hashed_tokens=false cannot be combined with etcd: hashing off keeps raw tokens, "
        "which only a single replica may do");
  }
  AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<DataDir> data_dir, DataDir::Acquire(options.data_dir));
  data_dir->RemoveLeftovers();
  AUTHD_ASSIGN_OR_RETURN(std::string store_path, data_dir->CurrentStore());
  std::unique_ptr<TokenStore> store(new TokenStore(options, clock, index, std::move(data_dir)));
  AUTHD_ASSIGN_OR_RETURN(std::shared_ptr<StoreState> state, store->OpenState(store_path, index));
  OpenReport report;
  // Not yet shared: nobody else can append to `state`.
  AUTHD_RETURN_IF_ERROR(store->Recover(*state, index, &report));
  authd::MutexLock lock(&store->db_mu_);
  store->state_ = std::move(state);
  store->open_report_ = report;
  return store;
}

absl::Status TokenStore::Recover(StoreState& state, authz::TokenIndex* index, OpenReport* report) {
  Db& db = *state.db;
  // A replicated log's tailer applies other replicas' commits meanwhile: held off until the index
  // is loaded, so the head, the checkpoint, the projections and the index all name one state
  // (and no publication slips between the index load's reads and its swap). Released before
  // anything appends (Append takes the same hold). A no-op for the RocksDB log.
  std::optional<ApplyHold> hold;
  hold.emplace(*state.log);
  const uint64_t head = state.log->Head();
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> schema, db.Get(kMetaCf, kSchemaVersionKey));
  if (!schema) {
    if (head != 0) return absl::DataLossError("data dir has events but no schema version");
    rocksdb::WriteBatch batch;
    batch.Put(db.cf(kMetaCf), std::string(kSchemaVersionKey), EncodeU32(kSchemaVersion));
    batch.Put(db.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(0));
    AUTHD_RETURN_IF_ERROR(db.Write(&batch, /*sync=*/true));
  } else {
    auto version = DecodeU32(*schema);
    if (!version) return absl::DataLossError("malformed schema version");
    if (*version > kSchemaVersion || *version == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("data dir has schema version ", *version, "; this authd uses schema ",
                       kSchemaVersion));
    }
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> migrating,
                           db.Get(kMetaCf, kSchemaMigrationKey));
    // Older schema, or a migration (either way) that did not finish: bring it to the current
    // schema. The 1->2 migration is idempotent from any partial state of either direction.
    if (*version < kSchemaVersion || migrating) {
      report->upgraded_from_schema = *version;
      if (*version < 2 || migrating) AUTHD_RETURN_IF_ERROR(MigrateUp1To2(db));
      AUTHD_RETURN_IF_ERROR(MigrateUp2To3(db));
    }
  }

  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> rebuilding, db.Get(kMetaCf, kRebuildingKey));
  if (rebuilding) {
    hold.reset();  // Rebuild drains the log
    AUTHD_RETURN_IF_ERROR(Rebuild(state, index));
    return ApplyHashingPolicy(state, *index, report);
  }

  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> checkpoint_bytes,
                         db.Get(kMetaCf, kCheckpointKey));
  uint64_t checkpoint = 0;
  if (checkpoint_bytes) {
    auto decoded = DecodeU64(*checkpoint_bytes);
    if (!decoded) return absl::DataLossError("malformed projection checkpoint");
    checkpoint = *decoded;
  }
  if (checkpoint > head) {
    return absl::DataLossError(absl::StrCat("projection checkpoint ", checkpoint,
                                            " is past the end of the log ", head));
  }
  // Events and projections are written in one batch, so this only happens if a projection
  // rebuild was interrupted in a way the flag did not record; replay is the cure either way.
  if (checkpoint < head) {
    report->replayed_events = head - checkpoint;
    AUTHD_RETURN_IF_ERROR(ReplayFrom(state, checkpoint + 1, /*without_wal=*/false));
  }
  AUTHD_RETURN_IF_ERROR(LoadTokenIndex(db, index));
  hold.reset();
  return ApplyHashingPolicy(state, *index, report);
}

absl::Status TokenStore::ApplyHashingPolicy(StoreState& state, const authz::TokenIndex& index,
                                            OpenReport* report) {
  Db& db = *state.db;
  if (!options_.apply_hashing_policy) return absl::OkStatus();
  {
    rocksdb::WriteBatch mode;
    mode.Put(db.cf(kMetaCf), std::string(kHashingModeKey), options_.use_hashed_tokens ? "on" : "off");
    AUTHD_RETURN_IF_ERROR(db.Write(&mode, /*sync=*/true));
  }
  AUTHD_ASSIGN_OR_RETURN(auto raw, db.Scan(kRawTokensCf));
  report->raw_tokens = raw.size();
  if (!options_.use_hashed_tokens) {
    size_t total = index.size();
    report->hashed_tokens = total > raw.size() ? total - raw.size() : 0;
    return absl::OkStatus();
  }
  for (size_t i = 0; i < raw.size(); i += kMaintenanceBatch) {
    std::vector<Id> ids;
    for (size_t j = i; j < std::min(raw.size(), i + kMaintenanceBatch); ++j) {
      auto id = DecodeU64(raw[j].first);
      if (!id) return absl::DataLossError("corrupt raw token key");
      ids.push_back(*id);
    }
    AUTHD_RETURN_IF_ERROR(CommitLocked(state, Actor{}, DecideHashRawTokens(ids)));
  }
  report->migrated_raw_tokens = raw.size();
  report->raw_tokens = 0;
  // Always purge with hashing on: raw copies of tokens deleted while hashing was off may still sit
  // in old files even when none is left to migrate. Cheap when the column family is empty.
  return db.PurgeDeleted(kRawTokensCf);
}

absl::StatusOr<std::optional<std::string>> TokenStore::RawToken(Id id) {
  return CurrentDb()->Get(kRawTokensCf, EncodeU64(id));
}

absl::Status TokenStore::ReplayFrom(StoreState& state, uint64_t from, bool without_wal) {
  Db& db = *state.db;
  ProjectionBatch projection(&db);
  uint64_t applied = from - 1;
  auto flush = [&]() -> absl::Status {
    if (projection.writes().empty()) return absl::OkStatus();
    rocksdb::WriteBatch batch;
    AddProjectionWrites(db, projection, &batch);
    batch.Put(db.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(applied));
    AUTHD_RETURN_IF_ERROR(without_wal ? db.WriteWithoutWal(&batch) : db.Write(&batch, /*sync=*/false));
    projection.Clear();
    return absl::OkStatus();
  };
  size_t in_chunk = 0;
  auto it = db.NewIterator(kEventsCf);
  AUTHD_RETURN_IF_ERROR(RocksDbEventLog::Walk(it.get(), from, [&](const pb::Event& event) {
    AUTHD_RETURN_IF_ERROR(Project(event, &projection));
    applied = event.sequence();
    if (++in_chunk == kReplayChunk) {
      in_chunk = 0;
      return flush();
    }
    return absl::OkStatus();
  }));
  AUTHD_RETURN_IF_ERROR(flush());
  if (applied != state.log->Head()) {
    return absl::DataLossError(absl::StrCat("replay stopped at ", applied,
                                            " before the end of the log ", state.log->Head()));
  }
  // The checkpoint names the last event even when the tail projected to no rows at all.
  rocksdb::WriteBatch checkpoint;
  checkpoint.Put(db.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(applied));
  return without_wal ? db.WriteWithoutWal(&checkpoint) : db.Write(&checkpoint, /*sync=*/false);
}

absl::Status TokenStore::Rebuild(StoreState& state, authz::TokenIndex* index) {
  // Late publishes must not land on the index after it is reloaded below.
  AUTHD_RETURN_IF_ERROR(state.log->Drain());
  Db& db = *state.db;
  rocksdb::WriteBatch mark;
  mark.Put(db.cf(kMetaCf), std::string(kRebuildingKey), "");
  mark.Put(db.cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(0));
  AUTHD_RETURN_IF_ERROR(db.Write(&mark, /*sync=*/true));
  AUTHD_RETURN_IF_ERROR(db.ClearProjectionCfs());
  // The flag makes an interrupted rebuild start over, so the replay needs no WAL; flushing the
  // memtables before clearing the flag makes it durable (and spares the next start a long WAL
  // recovery of every projection key).
  AUTHD_RETURN_IF_ERROR(ReplayFrom(state, 1, /*without_wal=*/true));
  AUTHD_RETURN_IF_ERROR(db.Flush());
  rocksdb::WriteBatch done;
  done.Delete(db.cf(kMetaCf), std::string(kRebuildingKey));
  AUTHD_RETURN_IF_ERROR(db.Write(&done, /*sync=*/true));
  return LoadTokenIndex(db, index);
}

absl::Status TokenStore::RebuildProjections() {
  if (options_.etcd) {
    return NotInEtcdMode("rebuilding the projections online",
                         "stop the replica and run `authd rebuild-projections` with its --etcd-* "
                         "options (its copy is rebuilt from etcd), or start it on an empty data dir");
  }
  authd::MutexLock lock(&write_mu_);
  AUTHD_RETURN_IF_ERROR(CurrentState()->writes_refused);
  return Rebuild(*CurrentState(), index_);
}

// ---------------------------------------------------------------------------------------------
// The write path.

absl::StatusOr<Appended> TokenStore::AppendLocked(StoreState& state, const Actor& actor,
                                                  Decision& decision, uint64_t expected_head) {
  AUTHD_RETURN_IF_ERROR(state.writes_refused);
  AUTHD_RETURN_IF_ERROR(state.log->health());
  const uint64_t head = expected_head;
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  const Actor& by = decision.actor ? *decision.actor : actor;
  uint64_t seq = head;
  for (pb::Event& event : decision.events) {
    event.set_format_version(EventFormatVersionFor(event));
    event.set_sequence(++seq);
    event.set_time_unix_nanos(now);
    event.set_actor_authorization_id(by.authorization_id);
    event.set_actor_user_id(by.user_id);
  }
  return state.log->Append(head, std::move(decision.events), decision);
}

absl::Status TokenStore::CommitLocked(StoreState& state, const Actor& actor, Decision decision) {
  AUTHD_ASSIGN_OR_RETURN(Appended appended,
                         AppendLocked(state, actor, decision, state.log->Head()));
  return state.log->AwaitApplied(appended);
}

absl::StatusOr<TokenStore::Executed> TokenStore::Execute(const Actor& actor, Decider decide) {
  for (int attempt = 1;; ++attempt) {
    authd::ReleasableMutexLock lock(&write_mu_);
    // Under write_mu_ the state cannot be swapped: the decision reads the store it appends to.
    const std::shared_ptr<StoreState> state = CurrentState();
    CommandContext ctx;
    ctx.now_unix_nanos = absl::ToUnixNanos(clock_->Now());
    ctx.actor = actor;
    ctx.ids = &ids_;
    ctx.keep_raw_tokens = !options_.use_hashed_tokens;
    ctx.max_token_lifetime_nanos = options_.max_token_lifetime_nanos;
    absl::StatusOr<Decision> decided;
    uint64_t head;
    {
      // The decision and the head it is appended at name the same applied state.
      ApplyHold hold(*state->log);
      decided = decide(*state->db, ctx);
      head = state->log->Head();
    }
    if (!decided.ok()) return decided.status();
    Decision decision = *std::move(decided);
    // The lifecycle's maintenance decisions may find nothing left to record.
    if (decision.events.empty()) return Executed{};
    absl::StatusOr<Appended> appended = AppendLocked(*state, actor, decision, head);
    lock.Release();
    if (absl::IsAborted(appended.status()) && attempt < kExecuteAttempts) continue;
    if (!appended.ok()) return appended.status();
    AUTHD_RETURN_IF_ERROR(state->log->AwaitApplied(*appended));
    return Executed{std::move(*appended), decision.more};
  }
}

// ---------------------------------------------------------------------------------------------
// Queries.

uint64_t TokenStore::LastSequence() const { return CurrentState()->log->Head(); }

uint64_t TokenStore::AppliedPosition() const { return CurrentState()->log->Applied(); }

ReplicationStatus TokenStore::Replication() const { return CurrentState()->log->Replication(); }

absl::Status TokenStore::AwaitPosition(uint64_t position, absl::Time deadline) const {
  // The log's wait returns at once for a position already applied.
  return CurrentState()->log->AwaitPosition(position, deadline);
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

absl::StatusOr<bool> TokenStore::SetupAllowed() { return storage::SetupAllowed(*CurrentDb()); }

absl::StatusOr<std::optional<pb::InstanceRecord>> TokenStore::Instance() {
  const std::shared_ptr<Db> db = CurrentDb();
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, db->Get(kTenantsCf, InstanceKey()));
  if (!bytes) return std::optional<pb::InstanceRecord>();
  AUTHD_ASSIGN_OR_RETURN(pb::InstanceRecord record, Decode<pb::InstanceRecord>(*bytes, "instance"));
  return std::optional<pb::InstanceRecord>(std::move(record));
}

absl::StatusOr<std::optional<Id>> TokenStore::LookupName(const std::string& key) {
  return storage::LookupName(*CurrentDb(), key);
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
  return CurrentState()->log->Read(from, limit);
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
  const std::shared_ptr<StoreState> state = CurrentState();
  AUTHD_RETURN_IF_ERROR(state->log->health());
  return state->db->Flush();
}

// ---------------------------------------------------------------------------------------------
// Commands: each one decider (storage/commands.h) run by Execute.

absl::StatusOr<SetupResult> TokenStore::Setup(const SetupCommand& command) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(Actor{}, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideSetup(state, ctx, command);
                         }));
  SetupResult result;
  AUTHD_ASSIGN_OR_RETURN(result.user, Result<pb::UserRecord>(done.appended, 0, "user"));
  AUTHD_ASSIGN_OR_RETURN(result.org, Result<pb::OrgRecord>(done.appended, 1, "org"));
  AUTHD_ASSIGN_OR_RETURN(result.bucket, Result<pb::BucketRecord>(done.appended, 2, "bucket"));
  AUTHD_ASSIGN_OR_RETURN(result.authorization,
                         Result<pb::AuthorizationRecord>(done.appended, 3, "authorization"));
  return result;
}

absl::StatusOr<pb::OrgRecord> TokenStore::CreateOrg(const Actor& actor, const std::string& name,
                                                    const std::string& description) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideCreateOrg(state, ctx, name, description);
                         }));
  return Result<pb::OrgRecord>(done.appended, 0, "org");
}

absl::Status TokenStore::DeleteOrg(const Actor& actor, Id id) {
  // In steps of at most kMaxEventsPerDeleteOrgStep events, the lock released between them, so a
  // large org never holds up other writers for long; the org goes in the last step.
  DeleteOrgCursor cursor;
  for (int step = 0; step < kMaxDeleteOrgSteps; ++step) {
    DeleteOrgCursor next;
    AUTHD_ASSIGN_OR_RETURN(Executed done,
                           Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                             return DecideDeleteOrgStep(state, ctx, id, cursor, &next);
                           }));
    if (!done.more) return absl::OkStatus();
    cursor = std::move(next);  // only a committed step moves the cursor
  }
  return absl::AbortedError(absl::StrCat("org ", FormatId(id),
                                         " kept growing while it was being deleted; try again"));
}

absl::StatusOr<pb::UserRecord> TokenStore::CreateUser(const Actor& actor, const std::string& name,
                                                      const std::string& password_hash,
                                                      bool active) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideCreateUser(state, ctx, name, password_hash, active);
                         }));
  return Result<pb::UserRecord>(done.appended, 0, "user");
}

absl::StatusOr<pb::UserRecord> TokenStore::UpdateUser(const Actor& actor, Id id,
                                                      std::optional<std::string> name,
                                                      std::optional<bool> active) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideUpdateUser(state, ctx, id, name, active);
                         }));
  return Result<pb::UserRecord>(done.appended, 0, "user");
}

absl::Status TokenStore::DeleteUser(const Actor& actor, Id id) {
  return Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
           return DecideDeleteUser(state, ctx, id);
         })
      .status();
}

absl::Status TokenStore::SetPassword(const Actor& actor, Id user_id,
                                     const std::string& password_hash) {
  return Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
           return DecideSetPassword(state, ctx, user_id, password_hash);
         })
      .status();
}

absl::StatusOr<pb::BucketRecord> TokenStore::CreateBucket(const Actor& actor, Id org_id,
                                                          const std::string& name,
                                                          const std::string& description,
                                                          int64_t retention_period_seconds) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideCreateBucket(state, ctx, org_id, name, description,
                                                     retention_period_seconds);
                         }));
  return Result<pb::BucketRecord>(done.appended, 0, "bucket");
}

absl::Status TokenStore::DeleteBucket(const Actor& actor, Id id) {
  return Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
           return DecideDeleteBucket(state, ctx, id);
         })
      .status();
}

absl::StatusOr<pb::AuthorizationRecord> TokenStore::CreateAuthorization(
    const Actor& actor, const NewAuthorization& request) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideCreateAuthorization(state, ctx, request);
                         }));
  return Result<pb::AuthorizationRecord>(done.appended, 0, "authorization");
}

absl::StatusOr<pb::AuthorizationRecord> TokenStore::UpdateAuthorization(
    const Actor& actor, Id id, std::optional<bool> active, std::optional<std::string> description,
    std::optional<int64_t> expires_at) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideUpdateAuthorization(state, ctx, id, active, description,
                                                            expires_at);
                         }));
  return Result<pb::AuthorizationRecord>(done.appended, 0, "authorization");
}

absl::StatusOr<pb::AuthorizationRecord> TokenStore::RotateAuthorization(const Actor& actor, Id id,
                                                                        const std::string& token,
                                                                        int64_t grace_nanos) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideRotateAuthorization(state, ctx, id, token, grace_nanos);
                         }));
  return Result<pb::AuthorizationRecord>(done.appended, 0, "authorization");
}

absl::StatusOr<pb::OrgRecord> TokenStore::UpdateOrg(const Actor& actor, Id id,
                                                    std::optional<std::string> description,
                                                    std::optional<int64_t> max_token_lifetime) {
  AUTHD_ASSIGN_OR_RETURN(Executed done,
                         Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
                           return DecideUpdateOrg(state, ctx, id, description, max_token_lifetime);
                         }));
  return Result<pb::OrgRecord>(done.appended, 0, "org");
}

absl::StatusOr<size_t> TokenStore::ExecuteMaintenance(
    Decider decide, absl::FunctionRef<size_t(const Decision&)> count) {
  size_t n = 0;
  AUTHD_RETURN_IF_ERROR(Execute(Actor{}, [&](StateReader& state, const CommandContext& ctx)
                                    -> absl::StatusOr<Decision> {
                          AUTHD_ASSIGN_OR_RETURN(Decision d, decide(state, ctx));
                          n = count(d);
                          return d;
                        })
                            .status());
  return n;
}

namespace {
size_t EventCount(const Decision& d) { return d.events.size(); }
}  // namespace

absl::StatusOr<size_t> TokenStore::RecordExpiries(const std::vector<authz::DueExpiry>& due) {
  return ExecuteMaintenance(
      [&](StateReader& state, const CommandContext& ctx) {
        return DecideRecordExpiries(state, ctx, due);
      },
      EventCount);
}

absl::StatusOr<size_t> TokenStore::PurgeExpired(const std::vector<Id>& ids, int64_t cutoff) {
  return ExecuteMaintenance(
      [&](StateReader& state, const CommandContext& ctx) {
        return DecidePurgeExpired(state, ctx, ids, cutoff);
      },
      EventCount);
}

absl::StatusOr<size_t> TokenStore::RecordUsage(const std::vector<authz::Usage>& uses) {
  return ExecuteMaintenance(
      [&](StateReader& state, const CommandContext& ctx) {
        return DecideRecordUsage(state, ctx, uses);
      },
      [](const Decision& d) -> size_t {
        return d.events.empty() ? 0 : d.events[0].authorizations_used().uses_size();
      });
}

absl::Status TokenStore::DeleteAuthorization(const Actor& actor, Id id) {
  return Execute(actor, [&](StateReader& state, const CommandContext& ctx) {
           return DecideDeleteAuthorization(state, ctx, id);
         })
      .status();
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
  const std::shared_ptr<StoreState> state = CurrentState();
  // Only acknowledged (durable) writes go into a backup.
  AUTHD_RETURN_IF_ERROR(state->log->Drain());
  Db& db = *state->db;
  Snapshot snapshot;
  AUTHD_ASSIGN_OR_RETURN(snapshot.work_dir, data_dir_->NewWorkDir("backup"));
  snapshot.store_dir = snapshot.work_dir + "/store";
  snapshot.last_sequence = state->log->Head();
  snapshot.schema_version = kSchemaVersion;
  absl::Status s = db.CreateCheckpoint(snapshot.store_dir);
  if (s.ok()) {
    auto raw = storage_internal::FindRawOperatorToken(db);
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

absl::StatusOr<RestoreResult> TokenStore::RestoreIntoEtcd(const std::string& incoming) {
  RestoreResult result;
  auto failed = [](absl::string_view step, const absl::Status& s) {
    return absl::Status(s.code(), RestoreFailed(step, s));
  };
  {
    // 1. As in RocksDB mode: the received store opened aside and brought up as a start would
    //    (schema, replay, hashing migration: raw tokens never reach etcd), into a scratch index.
    if (absl::Status s = Fault("open"); !s.ok()) return failed("open", s);
    authz::TokenIndex scratch;
    absl::StatusOr<std::shared_ptr<StoreState>> probe = OpenState(incoming, &scratch, /*local=*/true);
    if (!probe.ok()) return failed("open", probe.status());
    absl::StatusOr<std::string> token = storage_internal::FindRawOperatorToken(*(*probe)->db);
    if (!token.ok()) return failed("open", token.status());
    result.operator_token = std::move(*token);
    if (absl::Status s = Fault("prepare"); !s.ok()) return failed("prepare", s);
    // An etcd replica's backup is an applied copy: bringing it up aside writes nothing to it but
    // what a start writes, and its raw tokens (none in etcd mode) are hashed locally.
    (*probe)->writes_refused = absl::OkStatus();
    OpenReport ignored;
    absl::Status prepared = Recover(**probe, &scratch, &ignored);
    if (!prepared.ok()) return failed("prepare", prepared);
    result.authorizations = scratch.size();
    if (result.authorizations == 0) {
      return absl::InvalidArgumentError(
          "invalid backup without an operator token: it holds no authorization at all");
    }
    // 2. Into etcd, for every replica at once (one Txn), this one included: it returns once this
    //    replica has installed it. Local writers wait meanwhile; other replicas' writes that land
    //    first make it try again over the new head.
    if (absl::Status s = Fault("publish"); !s.ok()) return failed("publish", s);
    authd::MutexLock lock(&write_mu_);
    const std::shared_ptr<StoreState> live = CurrentState();
    std::unique_ptr<Db::PointInTime> view = (*probe)->db->NewPointInTime();
    absl::StatusOr<uint64_t> restored = live->etcd_log->PublishRestore(*view);
    if (absl::IsUnknown(restored.status()) || absl::IsDeadlineExceeded(restored.status())) {
      // Not "the previous store is still serving": etcd may have taken it.
      return absl::UnknownError(absl::StrCat(
          "restore outcome unknown: etcd did not confirm it (", restored.status().message(),
          "); if it landed every replica installs it: check a replica's position and tokens "
          "before restoring again"));
    }
    if (!restored.ok()) return failed("publish", restored.status());
    result.last_sequence = *restored;
  }
  data_dir_->RemoveTree(incoming).IgnoreError();  // the probe is closed: its files are not needed
  return result;
}

absl::StatusOr<RestoreResult> TokenStore::RestoreFrom(const std::string& incoming) {
  if (options_.etcd) return RestoreIntoEtcd(incoming);
  RestoreResult result;
  // Each step either succeeds or returns with the live store, its index and `current` exactly
  // as they were (the error names the step).
  auto failed = [](absl::string_view step, const absl::Status& s) {
    return absl::Status(s.code(), RestoreFailed(step, s));
  };
  // 1. Open the received store aside and run the start-up steps on it (schema check, replay,
  //    hashing migration), exactly as if authd were starting on it, into a scratch index.
  {
    if (absl::Status s = Fault("open"); !s.ok()) return failed("open", s);
    authz::TokenIndex scratch;
    absl::StatusOr<std::shared_ptr<StoreState>> probe = OpenState(incoming, &scratch);
    if (!probe.ok()) return failed("open", probe.status());
    absl::StatusOr<std::string> token = storage_internal::FindRawOperatorToken(*(*probe)->db);
    if (!token.ok()) return failed("open", token.status());
    result.operator_token = std::move(*token);
    if (absl::Status s = Fault("prepare"); !s.ok()) return failed("prepare", s);
    if (!(*probe)->writes_refused.ok()) {
      // A backup of an etcd replica, restored into the embedded log: it becomes this store's own
      // log (from the snapshot it was loaded from on, meta log_start), no longer etcd's copy.
      rocksdb::WriteBatch own;
      own.Delete((*probe)->db->cf(kMetaCf), std::string(kEtcdRevisionKey));
      if (absl::Status s = (*probe)->db->Write(&own, /*sync=*/true); !s.ok()) {
        return failed("prepare", s);
      }
      (*probe)->writes_refused = absl::OkStatus();
    }
    // The probe is private to this call: its recovery (a migration of a large backup, say) runs
    // without the writer lock.
    OpenReport ignored;
    absl::Status prepared = Recover(**probe, &scratch, &ignored);
    if (prepared.ok()) prepared = (*probe)->db->Flush();
    if (!prepared.ok()) return failed("prepare", prepared);
    result.last_sequence = (*probe)->log->Head();
    result.authorizations = scratch.size();
    if (result.authorizations == 0) {
      return absl::InvalidArgumentError(
          "invalid backup without an operator token: it holds no authorization at all");
    }
  }
  // 2. Promote it and bring it up again in its final place, still aside: writers wait, readers
  //    and Authorize keep using the live store and index.
  authd::MutexLock lock(&write_mu_);
  std::shared_ptr<StoreState> live = CurrentState();
  // Writes already appended finish first, so none of them publishes into the swapped index.
  if (absl::Status s = live->log->Drain(); !s.ok()) return failed("drain", s);
  absl::StatusOr<std::string> live_dir = data_dir_->CurrentStore();
  if (!live_dir.ok()) return failed("promote", live_dir.status());
  const std::string previous = *live_dir;
  // From here on, any failure points `current` back at `previous` and drops the new store.
  std::string promoted;
  auto roll_back = [&](absl::string_view step, const absl::Status& s) {
    absl::Status undo = data_dir_->PointCurrentAt(previous);
    if (!promoted.empty() && promoted != previous) data_dir_->RemoveTree(promoted).IgnoreError();
    if (!undo.ok()) {
      return absl::Status(s.code(), absl::StrCat(RestoreFailed(step, s),
                                                 "; pointing the data dir back failed too (",
                                                 undo.message(), "): restart authd"));
    }
    return failed(step, s);
  };
  if (absl::Status s = Fault("promote"); !s.ok()) return failed("promote", s);
  // Promote may fail after renaming `current`: roll back either way.
  if (absl::StatusOr<std::string> was = data_dir_->Promote(incoming); !was.ok()) {
    return roll_back("promote", was.status());
  }
  absl::StatusOr<std::string> current = data_dir_->CurrentStore();
  if (!current.ok()) return roll_back("promote", current.status());
  promoted = *current;
  if (absl::Status s = Fault("promoted"); !s.ok()) return roll_back("promoted", s);
  if (absl::Status s = Fault("reopen"); !s.ok()) return roll_back("reopen", s);
  auto fresh_index = std::make_unique<authz::TokenIndex>();
  absl::StatusOr<std::shared_ptr<StoreState>> next = OpenState(promoted, fresh_index.get());
  if (!next.ok()) return roll_back("reopen", next.status());
  OpenReport report;
  absl::Status recovered = Fault("recover");
  if (recovered.ok()) recovered = Recover(**next, fresh_index.get(), &report);
  if (!recovered.ok()) {
    next->reset();  // closes the new RocksDB before its directory goes
    return roll_back("recover", recovered);
  }
  if (absl::Status s = Fault("swap"); !s.ok()) {
    next->reset();
    return roll_back("swap", s);
  }
  // 3. The swap: nothing below can fail. Everything the new log appended is applied (Recover
  //    awaits each commit), so its publication can move to the live index.
  (*next)->rocksdb_log->RetargetIndex(index_);
  index_->SwapContents(fresh_index.get());
  std::weak_ptr<Db> old_db = live->db;
  {
    authd::MutexLock db_lock(&db_mu_);
    state_ = std::move(*next);
    open_report_ = report;
  }
  restores_.fetch_add(1, std::memory_order_release);
  live.reset();
  // Delete the old store now if nobody reads it any more; otherwise at the next start.
  if (old_db.expired()) data_dir_->RemoveTree(previous).IgnoreError();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Verification, downgrade.

absl::StatusOr<VerifyReport> TokenStore::Verify() {
  // One RocksDB snapshot: log, checkpoint and projections as of one instant, no writer lock.
  const std::shared_ptr<Db> db = CurrentDb();
  std::unique_ptr<Db::PointInTime> view = db->NewPointInTime();
  VerifyReport report;
  // An etcd replica that was loaded from a snapshot holds the log from after it only.
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> log_start, view->Get(kMetaCf, kLogStartKey));
  report.log_start = log_start ? DecodeU64(*log_start).value_or(0) : 1;
  if (report.log_start == 0) report.problems.push_back("malformed log_start in the data dir");
  report.events = report.log_start > 0 ? report.log_start - 1 : 0;
  EmptyReader empty;
  ProjectionBatch replay(&empty);
  if (report.log_start > 0) {
    auto it = view->NewIterator(kEventsCf);
    // From a snapshot's end, events build on rows the replay does not have: they are checked for
    // continuity and decoding only.
    const bool replays = report.log_start == 1;
    absl::Status walked = RocksDbEventLog::Walk(it.get(), report.log_start, [&](const pb::Event& event) {
      absl::Status projected = replays ? Project(event, &replay) : absl::OkStatus();
      if (!projected.ok()) {
        return absl::DataLossError(
            absl::StrCat("event ", event.sequence(), " does not replay: ", projected.message()));
      }
      report.events = event.sequence();
      return absl::OkStatus();
    });
    if (absl::IsUnavailable(walked) || absl::IsResourceExhausted(walked)) return walked;
    if (!walked.ok()) report.problems.push_back(std::string(walked.message()));
  }
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> checkpoint, view->Get(kMetaCf, kCheckpointKey));
  report.checkpoint = checkpoint ? DecodeU64(*checkpoint).value_or(0) : 0;
  if (report.checkpoint != report.events) {
    report.problems.push_back(absl::StrCat("checkpoint ", report.checkpoint,
                                           " differs from the last event ", report.events));
  }
  if (report.log_start > 1) {
    report.notes.push_back(absl::StrCat(
        "this replica was loaded from an etcd snapshot at sequence ", report.log_start - 1,
        " (its rows were checked against the snapshot's digest then): the projections are not "
        "compared with a replay, which would need the log from 1; compare the state digest with "
        "another replica's at the same checkpoint"));
  } else if (report.problems.empty()) {
    // A merge of two sorted streams per column family, the replay's rows (`writes()` is ordered
    // by (cf, key), bytewise like RocksDB) against the snapshot's iterator: no copy of either.
    for (absl::string_view cf : Db::ProjectionCfs()) {
      const std::string cf_name(cf);
      auto want = replay.writes().lower_bound({cf_name, std::string()});
      auto want_end = replay.writes().lower_bound({cf_name + std::string(1, '\0'), std::string()});
      auto skip_deleted = [&] {
        while (want != want_end && !want->second) ++want;
      };
      skip_deleted();
      size_t missing = 0, extra = 0, differ = 0;
      auto have = view->NewIterator(cf);
      for (have->SeekToFirst(); have->Valid(); have->Next()) {
        ++report.projection_keys;
        const absl::string_view key = View(have->key());
        while (want != want_end && absl::string_view(want->first.second) < key) {
          ++missing;
          ++want;
          skip_deleted();
        }
        if (want != want_end && absl::string_view(want->first.second) == key) {
          if (*want->second != View(have->value())) ++differ;
          ++want;
          skip_deleted();
        } else {
          ++extra;
        }
      }
      if (!have->status().ok()) return FromRocksDb(have->status(), "verifying a projection");
      for (; want != want_end; ++want) missing += want->second.has_value();
      if (missing + extra + differ > 0) {
        report.problems.push_back(absl::StrCat("projection ", cf, " differs from a replay of the log: ",
                                               missing, " missing, ", extra, " extra, ", differ,
                                               " different keys"));
      }
    }
  }
  {
    StateDigest digest;
    for (absl::string_view cf : Db::ProjectionCfs()) {
      auto it = view->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        digest.Add(cf, View(it->key()), View(it->value()));
      }
      if (!it->status().ok()) return FromRocksDb(it->status(), "digesting a projection");
    }
    report.state_digest = StateDigest::Hex(digest.Finish());
  }
  absl::Status checksums = db->VerifyChecksums();
  if (!checksums.ok()) report.problems.push_back(std::string(checksums.message()));
  return report;
}

absl::Status TokenStore::Downgrade(uint32_t to_schema, bool erase_hashed_tokens,
                                   std::vector<authz::Id>* lost) {
  if (to_schema == kSchemaVersion) return absl::OkStatus();
  if (to_schema != 1 && to_schema != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("--to-schema: ", to_schema, " is not a schema below ", kSchemaVersion,
                     " (1 or 2)"));
  }
  if (options_.etcd) {
    return NotInEtcdMode("downgrading the schema",
                         "the downgrade rewrites the embedded log (schema 1 exists for it only: "
                         "raw tokens never go to etcd)");
  }
  authd::MutexLock lock(&write_mu_);
  const std::shared_ptr<StoreState> state = CurrentState();
  AUTHD_RETURN_IF_ERROR(state->writes_refused);
  Db& db = *state->db;
  // Every refusal comes before the first change: a refused downgrade (the CLI's dry run) leaves
  // the store as it was.
  AUTHD_ASSIGN_OR_RETURN(LifecycleCensus census, CensusLifecycleEvents(db));
  AUTHD_RETURN_IF_ERROR(CheckDowngradableTo2(census));
  if (to_schema == 1) {
    AUTHD_ASSIGN_OR_RETURN(*lost, HashedOnlyAuthorizations(db));
    if (!lost->empty() && !erase_hashed_tokens) {
      return absl::FailedPreconditionError(absl::StrCat(
          "downgrading to schema 1 erases every token stored only as a hash: ", lost->size(),
          " would be lost. Pass --yes-erase-hashed-tokens to erase them"));
    }
  }
  // 3 -> 2. The rebuilding flag goes first: a crash while the log is half rewritten is repaired by
  // the rebuild at the next open (both forms of a rewritten event are valid schema 3).
  if (census.uses != 0) {
    rocksdb::WriteBatch mark;
    mark.Put(db.cf(kMetaCf), std::string(kRebuildingKey), "");
    AUTHD_RETURN_IF_ERROR(db.Write(&mark, /*sync=*/true));
  }
  AUTHD_ASSIGN_OR_RETURN(uint64_t rewritten, RewriteLifecycleEventsForSchema2(db, census));
  if (rewritten != 0) AUTHD_RETURN_IF_ERROR(Rebuild(*state, index_));
  AUTHD_RETURN_IF_ERROR(MigrateDown3To2(db));
  if (to_schema == 2) return absl::OkStatus();
  for (size_t i = 0; i < lost->size(); i += kMaintenanceBatch) {
    std::vector<Id> ids(lost->begin() + i,
                        lost->begin() + std::min(lost->size(), i + kMaintenanceBatch));
    AUTHD_RETURN_IF_ERROR(CommitLocked(*state, Actor{}, DecideDeleteAuthorizations(ids)));
  }
  return MigrateDown2To1(*state->db);
}

absl::StatusOr<std::optional<bool>> TokenStore::RecordedHashingMode() {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> mode, CurrentDb()->Get(kMetaCf, kHashingModeKey));
  if (!mode) return std::optional<bool>();
  return std::optional<bool>(*mode == "on");
}

}  // namespace authd::storage
