// TokenStore: authd's event-sourced store of tokens and tenants (docs/adr/0005): it runs the
// pure command deciders (storage/commands.h) against the applied projections and appends what
// they decide to the event log (storage/event_log.h: the RocksDB one, storage/rocksdb_event_log.h,
// by default; the etcd one, storage/etcd/etcd_event_log.h, with TokenStoreOptions::etcd), and owns
// recovery, restore, verify, rebuild and downgrade (the last three in RocksDB mode only, for now).
//
// Write path (Execute, one loop for every command): under `write_mu_` (one writer at a time):
// decide against the projections -> stamp (sequence, time, actor) -> append with the head the
// decision saw (events, projection rows and checkpoint in one unsynced WriteBatch); then, with the
// lock released, wait until the append is durable and applied (a group-commit fsync shared with
// every writer queued meanwhile; index publication in log order). A command is acknowledged only
// once durable; Authorize sees only durable changes. A failed append changes nothing, in memory or
// on disk; a failed fsync stops all writes until restart. Admin reads may see an appended change up
// to one fsync before it is acknowledged.
// Reads go to RocksDB (admin paths); the Authorize path reads only the TokenIndex.
//
// The live store (its Db and log) is one StoreState, swapped whole by a restore under both locks;
// readers keep the shared_ptr of the state they started with. Owns the data dir and the states;
// borrows the clock and the index, which must outlive it. Thread-safe.
#ifndef AUTHD_STORAGE_TOKEN_STORE_H_
#define AUTHD_STORAGE_TOKEN_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/mutex.h"
#include "base/secret.h"
#include "authz/permission.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "absl/functional/function_ref.h"
#include "storage/commands.h"
#include "storage/data_dir.h"
#include "storage/db.h"
#include "storage/etcd/etcd_event_log.h"
#include "storage/event_log.h"
#include "storage/rocksdb_event_log.h"
#include "storage/record_codec.h"

namespace authd::storage {

// The schema this build writes: 1 = raw tokens only, 2 = hashed token index, 3 = lifecycle
// (storage/schema_migrations.h, docs/architecture.md).
inline constexpr uint32_t kSchemaVersion = 3;

struct TokenStoreOptions {
  // Where the RocksDB files live. Required.
  std::string data_dir;
  // Store new tokens as SHA-256 hashes. Default: true.
  bool use_hashed_tokens = true;
  // fsync the WAL before acknowledging a write. Default: true. (Tests of throughput only may turn
  // it off; the server never does.)
  bool sync_writes = true;
  // Apply `use_hashed_tokens` at open (migrate raw tokens when on) and record the mode in the
  // store. Default: true. Offline read-only tools (recovery list) turn it off.
  bool apply_hashing_policy = true;
  // Test-only fault injection: called with the name of each step of a restore ("open", "prepare",
  // "promote", "promoted", "reopen", "recover", "swap") just before it runs; an error fails that
  // step as a real one would. Unset in the server.
  std::function<absl::Status(absl::string_view step)> fault_hook;
  // Replicate through etcd (ADR 0005 step 2, storage/etcd/etcd_event_log.h): etcd's log is the
  // source of truth and `data_dir` this replica's applied copy. Needs `use_hashed_tokens`.
  // A restore replaces every replica's state (RestoreFrom); rebuild and downgrade are not
  // available in this mode (kUnimplemented).
  // Default: unset (the embedded RocksDB log).
  std::optional<etcd::EtcdEventLogOptions> etcd;
  // etcd mode only: discard this replica's applied copy at open and rebuild it from etcd (the
  // snapshot, then the log after it): what rebuilding the projections means for a replica
  // (`authd rebuild-projections --etcd-endpoints=...`). Default: false.
  bool rebuild_from_etcd = false;
  // The server-wide maximum token lifetime (`--max-token-lifetime`), 0 = none: tokens created or
  // extended after it is set may not outlive it (storage/commands.h CheckExpiry).
  int64_t max_token_lifetime_nanos = 0;
};

// A consistent snapshot of the live store, for a backup: `store_dir` is a flat directory of
// RocksDB files inside `work_dir`, which ReleaseSnapshot removes.
struct Snapshot {
  std::string work_dir;
  std::string store_dir;
  uint64_t last_sequence = 0;
  uint32_t schema_version = 0;
  // Whether an operator token is stored raw in it (hashing was off), so a restore can return it.
  bool has_raw_operator_token = false;
};

struct RestoreResult {
  // The raw operator token found in the backup before the start-up migrations ran on it; empty
  // when the backup held only hashes (InfluxDB's rule).
  std::string operator_token;
  uint64_t last_sequence = 0;
  size_t authorizations = 0;
};

struct SetupResult {
  pb::UserRecord user;
  pb::OrgRecord org;
  pb::BucketRecord bucket;
  pb::AuthorizationRecord authorization;
};

// What Open found and did about token hashing.
struct OpenReport {
  // Raw tokens (stored while hashing was off) erased by the start-up migration.
  size_t migrated_raw_tokens = 0;
  // Tokens stored only as hashes while hashing is off (they keep working).
  size_t hashed_tokens = 0;
  // Tokens stored raw (hashing off).
  size_t raw_tokens = 0;
  // Replay of log events the projections had not seen (normally 0).
  uint64_t replayed_events = 0;
  // The schema found on disk when it was older (upgraded at open), else 0.
  uint32_t upgraded_from_schema = 0;
};

// What `Verify` found. Empty `problems` means the store is sound.
struct VerifyReport {
  // The last event in the log, and the first one this data dir holds (1, or the sequence after the
  // etcd snapshot an etcd replica was loaded from).
  uint64_t events = 0;
  uint64_t log_start = 1;
  uint64_t checkpoint = 0;
  size_t projection_keys = 0;
  // storage/state_digest.h of the projections, lowercase hex: equal on every replica at the same
  // checkpoint.
  std::string state_digest;
  std::vector<std::string> problems;
  // What was not checked, and why (not a problem).
  std::vector<std::string> notes;
};

class TokenStore {
 public:
  // Opens (creating if needed) the store, finishes any interrupted projection rebuild, catches the
  // projections up with the log, and loads `index`. Errors: kFailedPrecondition (dir locked, schema
  // newer than this build), kDataLoss (corrupt log or projection), kUnavailable.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(const TokenStoreOptions& options,
                                                          const Clock* clock,
                                                          authz::TokenIndex* index);
  ~TokenStore();

  // ---- Queries (RocksDB reads; never on the Authorize path). Errors: kNotFound, kDataLoss,
  // kUnavailable.
  absl::StatusOr<bool> SetupAllowed();
  absl::StatusOr<std::optional<pb::InstanceRecord>> Instance();
  absl::StatusOr<pb::UserRecord> GetUser(authz::Id id);
  absl::StatusOr<pb::UserRecord> FindUserByName(const std::string& name);
  absl::StatusOr<std::vector<pb::UserRecord>> ListUsers();
  absl::StatusOr<pb::OrgRecord> GetOrg(authz::Id id);
  absl::StatusOr<pb::OrgRecord> FindOrgByName(const std::string& name);
  absl::StatusOr<std::vector<pb::OrgRecord>> ListOrgs();
  absl::StatusOr<pb::BucketRecord> GetBucket(authz::Id id);
  // `org_id` 0 lists every org's buckets.
  absl::StatusOr<std::vector<pb::BucketRecord>> ListBuckets(authz::Id org_id);
  absl::StatusOr<pb::AuthorizationRecord> GetAuthorization(authz::Id id);
  // Filters by user and/or org (0 = any).
  absl::StatusOr<std::vector<pb::AuthorizationRecord>> ListAuthorizations(authz::Id user_id,
                                                                          authz::Id org_id);
  // Paged scans, in ID order, of the records after `after` (0 = from the first) until `visit`
  // returns false. Return true when the range was exhausted (no record left after the last one
  // visited). Errors: kDataLoss, kUnavailable.
  template <typename T>
  using Visitor = std::function<bool(const T&)>;
  absl::StatusOr<bool> ScanUsers(authz::Id after, const Visitor<pb::UserRecord>& visit);
  absl::StatusOr<bool> ScanOrgs(authz::Id after, const Visitor<pb::OrgRecord>& visit);
  // `org_id` 0 scans every org's buckets.
  absl::StatusOr<bool> ScanBuckets(authz::Id org_id, authz::Id after,
                                   const Visitor<pb::BucketRecord>& visit);
  // Filters by user and/or org (0 = any), through the narrower secondary index.
  absl::StatusOr<bool> ScanAuthorizations(authz::Id user_id, authz::Id org_id, authz::Id after,
                                          const Visitor<pb::AuthorizationRecord>& visit);

  // Events with sequence >= `from`, at most `limit`.
  absl::StatusOr<std::vector<pb::Event>> ReadEvents(uint64_t from, size_t limit);
  uint64_t LastSequence() const;
  // The log position this process has applied through (every acknowledged write of this process
  // is at or below it), and a wait for a position: a caller that wrote through another replica,
  // or before a restart, passes the position its write returned (`min_position`). A restore
  // starts the positions of the restored log. Errors: kUnavailable at `deadline` (this process
  // has not applied that far: retry, or ask another replica).
  uint64_t AppliedPosition() const;
  // How many restores replaced the store since it was opened (RestoreFrom in RocksDB mode; in
  // etcd mode a restore rewrites the shared log and replicas follow it). Log positions from
  // before a restore mean nothing after it (WatchAuthorizations relists).
  uint64_t restores() const { return restores_.load(std::memory_order_acquire); }
  absl::Status AwaitPosition(uint64_t position, absl::Time deadline) const;
  // How far behind the replicated log this process is (storage/replication_lag.h; never behind
  // with the embedded log).
  ReplicationStatus Replication() const;

  // ---- Commands: each is one atomic, synced commit. Errors: kInvalidArgument, kNotFound,
  // kAlreadyExists, kFailedPrecondition, kUnavailable/kResourceExhausted (storage), kDataLoss.
  absl::StatusOr<SetupResult> Setup(const SetupCommand& command);
  absl::StatusOr<pb::OrgRecord> CreateOrg(const Actor& actor, const std::string& name,
                                          const std::string& description);
  // Also deletes the org's buckets and tokens.
  absl::Status DeleteOrg(const Actor& actor, authz::Id id);
  absl::StatusOr<pb::UserRecord> CreateUser(const Actor& actor, const std::string& name,
                                            const std::string& password_hash, bool active);
  absl::StatusOr<pb::UserRecord> UpdateUser(const Actor& actor, authz::Id id,
                                            std::optional<std::string> name,
                                            std::optional<bool> active);
  absl::Status DeleteUser(const Actor& actor, authz::Id id);
  absl::Status SetPassword(const Actor& actor, authz::Id user_id, const std::string& password_hash);
  absl::StatusOr<pb::BucketRecord> CreateBucket(const Actor& actor, authz::Id org_id,
                                                const std::string& name,
                                                const std::string& description,
                                                int64_t retention_period_seconds);
  absl::Status DeleteBucket(const Actor& actor, authz::Id id);
  absl::StatusOr<pb::AuthorizationRecord> CreateAuthorization(const Actor& actor,
                                                              const NewAuthorization& request);
  // `expires_at` (0: never) changes the expiry (storage/commands.h DecideUpdateAuthorization).
  absl::StatusOr<pb::AuthorizationRecord> UpdateAuthorization(
      const Actor& actor, authz::Id id, std::optional<bool> active,
      std::optional<std::string> description, std::optional<int64_t> expires_at = std::nullopt);
  absl::Status DeleteAuthorization(const Actor& actor, authz::Id id);
  // A new secret `token` for `id`; the old one works `grace_nanos` longer (DecideRotateAuthorization).
  absl::StatusOr<pb::AuthorizationRecord> RotateAuthorization(const Actor& actor, authz::Id id,
                                                              const std::string& token,
                                                              int64_t grace_nanos);
  // `max_token_lifetime` 0 removes the org's limit.
  absl::StatusOr<pb::OrgRecord> UpdateOrg(const Actor& actor, authz::Id id,
                                          std::optional<std::string> description,
                                          std::optional<int64_t> max_token_lifetime);

  // ---- Lifecycle maintenance (services/lifecycle_worker.h), actor 0: record the expiries that
  // have passed and the uses seen; each returns how many it recorded (stale entries are skipped,
  // so every replica may run them).
  absl::StatusOr<size_t> RecordExpiries(const std::vector<authz::DueExpiry>& due);
  absl::StatusOr<size_t> RecordUsage(const std::vector<authz::Usage>& uses);
  // Deletes the tokens of `ids` that expired (recorded) at or before `cutoff_unix_nanos`.
  absl::StatusOr<size_t> PurgeExpired(const std::vector<authz::Id>& ids, int64_t cutoff_unix_nanos);

  // ---- Backup and restore.
  // Errors: kUnavailable / kResourceExhausted from storage.
  absl::StatusOr<Snapshot> CreateSnapshot();
  void ReleaseSnapshot(const Snapshot& snapshot);
  // A fresh empty directory inside the data dir to receive a backup's files into.
  absl::StatusOr<std::string> NewRestoreDir();
  void DiscardRestoreDir(const std::string& dir);
  // Replaces the whole store with the RocksDB files in `incoming` (verified by the caller against
  // their manifest): opens them aside, runs the start-up steps (replay, hashing migration), then
  // swaps the data dir's `current` atomically and reloads the index. On error the live store is
  // untouched: all-or-nothing, whatever step fails (the received store is brought up and its
  // index loaded aside, and only then swapped in with the index, neither of which can fail).
  // Errors: kInvalidArgument (not a store, no operator token), kFailedPrecondition (newer
  // schema), kDataLoss (corrupt), kUnavailable; each names the step and says the previous store
  // is still serving.
  absl::StatusOr<RestoreResult> RestoreFrom(const std::string& incoming);

  // ---- Maintenance.
  // Drops every projection and rebuilds it by replaying the log; reloads the index. Crash-safe: an
  // interrupted rebuild is finished at the next Open.
  absl::Status RebuildProjections();
  // Checks the log (gap-free from its start, each event decodes and sits under its own sequence),
  // that the projections equal a fresh in-memory replay of the log (when it starts at 1), the
  // checkpoint, and RocksDB's block checksums; and digests the projections. Read-only, from one RocksDB snapshot: writers go on meanwhile. Errors only for I/O;
  // findings go in the report.
  absl::StatusOr<VerifyReport> Verify();

  // Downgrades the store to `to_schema` (only 1 exists below 2). Tokens stored only as hashes
  // cannot exist in schema 1: they are returned in `*lost`, and the call fails with
  // kFailedPrecondition unless `erase_hashed_tokens`, in which case they are deleted (one event
  // each, actor 0) first. Afterwards the store must be closed: this build reopens it only by
  // upgrading it again. Errors: kInvalidArgument (bad target), kFailedPrecondition.
  absl::Status Downgrade(uint32_t to_schema, bool erase_hashed_tokens, std::vector<authz::Id>* lost);

  // The hashing mode recorded by the last start that applied one: true (on), false (off), or
  // nullopt when none has.
  absl::StatusOr<std::optional<bool>> RecordedHashingMode();

  // Every (key, value) of a column family, in key order (verification and tests).
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(absl::string_view cf);
  // Flushes memtables and syncs the WAL (clean shutdown).
  absl::Status Flush();

  // The raw token of `id` when it is stored raw (hashing off), else nullopt.
  absl::StatusOr<std::optional<std::string>> RawToken(authz::Id id);

  const TokenStoreOptions& options() const { return options_; }
  // What the last open (or restore) found.
  OpenReport open_report() const;
  uint32_t schema_version() const { return kSchemaVersion; }

 private:
  // The live store: a RocksDB and the event log (in it, or in etcd with the RocksDB as the applied
  // copy). `rocksdb_log` is `log` in RocksDB mode, null in etcd mode.
  struct StoreState {
    std::shared_ptr<Db> db;
    std::unique_ptr<EventLog> log;
    RocksDbEventLog* rocksdb_log = nullptr;
    // The etcd log (`log`) in etcd mode, else null.
    etcd::EtcdEventLog* etcd_log = nullptr;
    // Opened without etcd on an etcd replica's applied copy (meta `etcd_revision`): readable
    // (verify, listings), but every write is refused with this error, since writes must go
    // through etcd. OK otherwise.
    absl::Status writes_refused;
  };
  struct Executed {
    Appended appended;
    bool more = false;  // Decision::more
  };
  using Decider = absl::FunctionRef<absl::StatusOr<Decision>(StateReader&, const CommandContext&)>;

  TokenStore(TokenStoreOptions options, const Clock* clock, authz::TokenIndex* index,
             std::unique_ptr<DataDir> data_dir);

  // The live state / Db. Callers keep the shared_ptr for as long as they use it (iterators too):
  // a restore swaps the state underneath.
  std::shared_ptr<StoreState> CurrentState() const ABSL_LOCKS_EXCLUDED(db_mu_);
  std::shared_ptr<Db> CurrentDb() const ABSL_LOCKS_EXCLUDED(db_mu_);

  // The functions below that take a StoreState append to it: the caller serialises them, with
  // write_mu_ for the live state (Execute, rebuild, downgrade), by owning a state nobody else
  // sees (Open, a restore's probe and promoted store).

  // Opens the RocksDB at `path` and its log (publishing into `index`).
  // With `local`, always on the embedded log, whatever the options say (a backup being restored
  // is brought up aside like that, in both modes).
  absl::StatusOr<std::shared_ptr<StoreState>> OpenState(const std::string& path,
                                                        authz::TokenIndex* index,
                                                        bool local = false) const;
  // RestoreFrom in etcd mode: the backup, brought up aside, becomes etcd's state for every
  // replica (etcd::EtcdEventLog::PublishRestore); `incoming` is removed.
  absl::StatusOr<RestoreResult> RestoreIntoEtcd(const std::string& incoming);
  // Brings `state` up as a start does: schema check and upgrade, an interrupted rebuild finished,
  // projections caught up with the log, `index` loaded, the hashing policy applied. Touches
  // nothing but `state`, `index` and `*report`.
  absl::Status Recover(StoreState& state, authz::TokenIndex* index, OpenReport* report);
  // Hashing on: erases every raw copy (one event each, in batches), then purges them from the
  // files. Hashing off: counts hashed-only tokens.
  absl::Status ApplyHashingPolicy(StoreState& state, const authz::TokenIndex& index,
                                  OpenReport* report);
  // Projects the log from `from` to its end. `without_wal` only where a crash restarts the work
  // from scratch (the rebuild).
  static absl::Status ReplayFrom(StoreState& state, uint64_t from, bool without_wal);
  absl::Status Rebuild(StoreState& state, authz::TokenIndex* index);

  // Runs `decide` against the live state and appends its events: the one write path of every
  // command. Retries a head conflict (kAborted) a few times.
  absl::StatusOr<Executed> Execute(const Actor& actor, Decider decide) ABSL_LOCKS_EXCLUDED(write_mu_);
  // Stamps `decision`'s events and appends them to `state`'s log (unsynced) at `expected_head`, the
  // head the decision saw; the caller awaits.
  absl::StatusOr<Appended> AppendLocked(StoreState& state, const Actor& actor, Decision& decision,
                                        uint64_t expected_head);
  // Execute for the lifecycle's maintenance decisions (actor 0): returns `count` of what it
  // decided (0 when nothing was left to record, and then nothing is appended).
  absl::StatusOr<size_t> ExecuteMaintenance(Decider decide,
                                            absl::FunctionRef<size_t(const Decision&)> count)
      ABSL_LOCKS_EXCLUDED(write_mu_);
  // AppendLocked + AwaitApplied, for maintenance commits made while holding the lock.
  absl::Status CommitLocked(StoreState& state, const Actor& actor, Decision decision);
  absl::Status Fault(absl::string_view step) const;

  template <typename T>
  absl::StatusOr<T> GetRecord(absl::string_view cf, const std::string& key, absl::string_view what);
  template <typename T>
  absl::StatusOr<bool> ScanTagged(char tag, authz::Id after, absl::string_view what,
                                  const Visitor<T>& visit);
  template <typename T>
  absl::StatusOr<std::vector<T>> ListTagged(char tag, absl::string_view what);
  absl::StatusOr<std::optional<authz::Id>> LookupName(const std::string& key);

  const TokenStoreOptions options_;
  const Clock* const clock_;
  authz::TokenIndex* const index_;
  const std::unique_ptr<DataDir> data_dir_;
  RandomIds ids_;

  // Order: write_mu_ before db_mu_.
  mutable authd::Mutex write_mu_;
  mutable authd::Mutex db_mu_;
  std::shared_ptr<StoreState> state_ ABSL_GUARDED_BY(db_mu_);
  std::atomic<uint64_t> restores_{0};
  OpenReport open_report_ ABSL_GUARDED_BY(db_mu_);
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_TOKEN_STORE_H_
