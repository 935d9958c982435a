#include "storage/etcd/etcd_event_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "authd/storage/v1/etcd_log.pb.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "storage/applier.h"
#include "storage/etcd/etcd_snapshot.h"
#include "storage/keys.h"
#include "storage/meta_value.h"
#include "storage/projection_batch.h"
#include "storage/projector.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_status.h"

namespace authd::storage::etcd {
namespace {

// How long an append that lost its compare waits for the tailer before answering kAborted.
constexpr absl::Duration kConflictCatchUp = absl::Seconds(5);
// Fences tried to settle an append whose outcome etcd left unknown.
constexpr int kSettleAttempts = 5;
// How long one watch Next waits before the tailer checks whether it should stop.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(500);
constexpr absl::Duration kInitialBackoff = absl::Milliseconds(25);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);
// Log commits read per Range while catching up (each at most etcd's request size, 1.5 MiB).
constexpr int64_t kResyncPage = 64;
// Catch-ups restarted because their revision was compacted meanwhile, before giving up.
constexpr int kResyncAttempts = 5;

bool OutcomeUnknown(const absl::Status& s) {
  return absl::IsUnknown(s) || absl::IsDeadlineExceeded(s);
}


}  // namespace

EtcdEventLog::EtcdEventLog(std::shared_ptr<Db> db, authz::TokenIndex* index,
                           EtcdEventLogOptions options, std::unique_ptr<EtcdClient> client,
                           uint64_t applied, int64_t revision)
    : db_(std::move(db)),
      index_(index),
      options_(std::move(options)),
      keys_(options_.prefix),
      client_(std::move(client)),
      applied_(applied),
      head_revision_(revision),
      applied_revision_(revision),
      tailed_revision_(revision),
      known_revision_(revision),
      resume_revision_(revision + 1) {}

EtcdEventLog::~EtcdEventLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    if (watch_ != nullptr) watch_->Cancel();
    changed_.SignalAll();
  }
  if (tailer_.joinable()) tailer_.join();
  if (snapshotter_.joinable()) snapshotter_.join();
  if (lag_checker_.joinable()) lag_checker_.join();
}

absl::StatusOr<std::unique_ptr<EtcdEventLog>> EtcdEventLog::Open(std::shared_ptr<Db> db,
                                                                  authz::TokenIndex* index,
                                                                  EtcdEventLogOptions options) {
  AUTHD_ASSIGN_OR_RETURN(const bool reset, ResetInterruptedLoad(*db));
  if (reset) LogWarning("an etcd snapshot load was interrupted: this replica starts over from etcd");
  AUTHD_ASSIGN_OR_RETURN(const std::optional<uint64_t> stored_checkpoint,
                         ReadMetaU64(*db, kCheckpointKey));
  AUTHD_ASSIGN_OR_RETURN(const std::optional<uint64_t> revision,
                         ReadMetaU64(*db, kEtcdRevisionKey));
  const uint64_t checkpoint = stored_checkpoint.value_or(0);
  {
    auto it = db->NewIterator(kEventsCf);
    it->SeekToFirst();
    if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
    if (it->Valid() && !revision) {
      return absl::FailedPreconditionError(
          "the data dir holds an embedded (RocksDB-mode) event log, not an etcd replica's: "
          "start etcd mode on an empty data dir");
    }
  }
  AUTHD_ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> client, EtcdClient::Create(options.client));
  std::unique_ptr<EtcdEventLog> log(new EtcdEventLog(std::move(db), index, std::move(options),
                                                     std::move(client), checkpoint,
                                                     static_cast<int64_t>(revision.value_or(0))));
  // Catch up before serving: by reading keys at one revision, within open_timeout.
  const absl::Time deadline = absl::Now() + log->options_.open_timeout;
  absl::Status caught_up;
  absl::Duration backoff = kInitialBackoff;
  for (;;) {
    absl::StatusOr<int64_t> resynced = log->Resync();
    if (resynced.ok()) break;
    caught_up = resynced.status();
    // etcd unreachable at start: retried until the deadline (a replica may start before etcd).
    if (!absl::IsUnavailable(caught_up) || absl::Now() + backoff > deadline) return caught_up;
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  log->tailer_ = std::thread([raw = log.get()] { raw->TailLoop(); });
  log->snapshotter_ = std::thread([raw = log.get()] { raw->SnapshotLoop(); });
  if (log->options_.lag_check_interval > absl::ZeroDuration()) {
    log->lag_checker_ = std::thread([raw = log.get()] { raw->LagLoop(); });
  }
  if (log->options_.snapshot_every > 0) {
    // A replica that finds etcd far past its last snapshot (say all were down when one was due)
    // writes one now.
    uint64_t snapshot_sequence = 0;
    absl::StatusOr<RangeResult> current = log->client_->Range(log->keys_.SnapshotCurrent());
    if (current.ok() && !current->kvs.empty()) {
      absl::StatusOr<pb::SnapshotHeader> header = DecodeSnapshotHeader(current->kvs[0].value);
      if (header.ok()) snapshot_sequence = header->last_sequence();
    }
    if (log->applied_.get() >= snapshot_sequence + 2 * log->options_.snapshot_every) {
      MutexLock lock(&log->mu_);
      log->snapshot_due_ = log->applied_.get();
      log->changed_.SignalAll();
    }
  }
  return log;
}

// ---------------------------------------------------------------------------------------------
// Catching up by reading keys.

absl::StatusOr<int64_t> EtcdEventLog::Resync() {
  {
    MutexLock lock(&mu_);
    ++stats_.resyncs;
  }
  absl::Status last;
  for (int attempt = 0; attempt < kResyncAttempts; ++attempt) {
    bool retry = false;
    absl::StatusOr<int64_t> done = ResyncOnce(&retry);
    // kOutOfRange from any read at X: a newer snapshot compacted X meanwhile. Read again.
    if (done.ok() || !(retry || absl::IsOutOfRange(done.status()))) return done;
    last = done.status();
  }
  return absl::UnavailableError(absl::StrCat("catching up with etcd: history was compacted ",
                                             kResyncAttempts, " times while reading it (",
                                             last.message(), ")"));
}

absl::StatusOr<int64_t> EtcdEventLog::ResyncOnce(bool* retry) {
  // The head and the current snapshot, at one revision X: everything below is read at X too.
  AUTHD_ASSIGN_OR_RETURN(
      TxnResult now,
      client_->Txn({}, {TxnOp::Range(keys_.Head()), TxnOp::Range(keys_.SnapshotCurrent())}));
  if (now.responses.size() != 2) return absl::InternalError("etcd txn: expected two ranges");
  const int64_t at = now.revision;
  uint64_t target = 0;
  int64_t head_revision = 0;
  if (!now.responses[0].range.kvs.empty()) {
    AUTHD_ASSIGN_OR_RETURN(pb::LogHead head, DecodeLogHead(now.responses[0].range.kvs[0].value));
    target = head.last_sequence();
    head_revision = now.responses[0].range.kvs[0].mod_revision;
  }
  Learned(at);
  {
    MutexLock lock(&mu_);
    lag_.ObserveHead(target, applied_.get(), absl::Now());
  }
  if (target < applied_.get()) {
    return absl::DataLossError(absl::StrCat(
        "etcd's log ends at ", target, ", before this replica's applied position ", applied_.get(),
        ": another cluster or prefix than this data dir was replicated from?"));
  }
  // An install that failed earlier in this process left the copy cleared (and marked): only a
  // snapshot at or past this replica's position can fill it again.
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> cleared,
                         db_->Get(kMetaCf, kLoadingSnapshotKey));
  RangeOptions page;
  page.range_end = keys_.LogEnd();
  page.revision = at;
  page.limit = kResyncPage;
  if (target > applied_.get() || cleared) {
    page.limit = 1;
    AUTHD_ASSIGN_OR_RETURN(RangeResult first, client_->Range(keys_.Log(applied_.get() + 1), page));
    page.limit = kResyncPage;
    const std::optional<uint64_t> first_sequence =
        first.kvs.empty() ? std::nullopt : keys_.ParseLog(first.kvs[0].key);
    if (first_sequence != applied_.get() + 1 || cleared) {
      // The commit this replica needs next is gone: it must be below the current snapshot.
      std::optional<pb::SnapshotHeader> header;
      if (!now.responses[1].range.kvs.empty()) {
        AUTHD_ASSIGN_OR_RETURN(header, DecodeSnapshotHeader(now.responses[1].range.kvs[0].value));
      }
      // (Log keys at or below the snapshot may still be there: the trim runs after the header
      // lands. The log must go on at S + 1; the pages below check that commit by commit.)
      if (cleared && (!header || header->last_sequence() < applied_.get())) {
        return absl::DataLossError(absl::StrCat(
            "this replica's copy was cleared by a snapshot install that did not finish, and etcd "
            "has no snapshot at or past its position ", applied_.get(),
            ": restart it (it starts over from etcd)"));
      }
      if (!cleared && (!header || header->last_sequence() <= applied_.get())) {
        return absl::DataLossError(absl::StrCat(
            "etcd holds no commit at sequence ", applied_.get() + 1,
            first_sequence ? absl::StrCat(" (its log resumes at ", *first_sequence, ")") : "",
            " and no snapshot covers it",
            header ? absl::StrCat(" (the current one ends at ", header->last_sequence(), ")") : "",
            ": the log under this prefix has a hole"));
      }
      MutexLock lock(&apply_mu_);
      absl::Status installed = InstallSnapshot(*client_, keys_, *header, at, *db_);
      if (absl::IsOutOfRange(installed)) {
        *retry = true;  // compacted under us: a newer snapshot exists
        return installed;
      }
      AUTHD_RETURN_IF_ERROR(installed);
      AUTHD_RETURN_IF_ERROR(LoadTokenIndex(*db_, index_.load(std::memory_order_acquire)));
      {
        MutexLock state_lock(&mu_);
        applied_revision_ = header->commit_revision();
        ++stats_.loaded;
      }
      applied_.Advance(header->last_sequence());
      LogInfo(absl::StrCat("installed the etcd snapshot at sequence ", header->last_sequence(),
                           " (", header->row_count(), " rows in ", header->chunk_count(),
                           " chunks)"));
    }
  }
  // The log keys after what this replica holds, page by page, all at X.
  while (applied_.get() < target) {
    absl::StatusOr<RangeResult> got = client_->Range(keys_.Log(applied_.get() + 1), page);
    if (absl::IsOutOfRange(got.status())) {
      *retry = true;
      return got.status();
    }
    AUTHD_RETURN_IF_ERROR(got.status());
    if (got->kvs.empty()) break;
    for (const KeyValue& kv : got->kvs) {
      AUTHD_RETURN_IF_ERROR(ApplyCommit(kv.value, kv.mod_revision));
    }
    if (!got->more) break;
  }
  if (applied_.get() != target) {
    return absl::DataLossError(absl::StrCat("etcd's head says the log ends at ", target,
                                            ", but its commits end at ", applied_.get()));
  }
  {
    MutexLock lock(&apply_mu_);
    if (head_revision != 0) head_revision_ = head_revision;
  }
  MutexLock lock(&mu_);
  tailed_revision_ = std::max(tailed_revision_, at);
  resume_revision_ = std::max(resume_revision_, at + 1);
  changed_.SignalAll();
  return at;
}

// ---------------------------------------------------------------------------------------------
// Appends.

absl::StatusOr<Appended> EtcdEventLog::Append(uint64_t expected_head, std::vector<pb::Event> events,
                                              const Decision& decision) {
  AUTHD_RETURN_IF_ERROR(health());
  if (!decision.raw_tokens.empty()) {
    return absl::FailedPreconditionError(
        "etcd mode needs hashing on: hashing off keeps raw tokens, which only a single replica "
        "may do");
  }
  Appended appended;
  appended.first_position = expected_head + 1;
  appended.last_position = expected_head;
  if (events.empty()) return appended;

  int64_t compare_revision = 0;
  {
    // Projected here, against the state the decision saw, so that no event that contradicts the
    // projections ever reaches etcd (every replica would stop on it) and the results are known.
    MutexLock lock(&apply_mu_);
    const uint64_t applied = applied_.get();
    if (applied != expected_head) {
      return absl::AbortedError(absl::StrCat("the event log moved from ", expected_head, " to ",
                                             applied, "; decide again"));
    }
    ProjectionBatch projection(db_.get());
    uint64_t seq = expected_head;
    for (const pb::Event& event : events) {
      if (event.sequence() != ++seq) {
        return absl::InternalError(
            absl::StrCat("event stamped ", event.sequence(), " appended at ", seq));
      }
      AUTHD_RETURN_IF_ERROR(Project(event, &projection));
    }
    for (const ProjectionBatch::Key& key : decision.result_keys) {
      AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> value,
                             projection.Get(key.first, key.second));
      appended.results.push_back(std::move(value));
    }
    compare_revision = head_revision_;
  }
  const uint64_t last = expected_head + events.size();
  pb::LogCommit commit;
  commit.set_format_version(kLogFormatVersion);
  for (pb::Event& event : events) *commit.add_events() = std::move(event);
  const std::string commit_bytes = commit.SerializeAsString();
  pb::LogHead head;
  head.set_format_version(kLogFormatVersion);
  head.set_last_sequence(last);

  absl::StatusOr<TxnResult> txn = client_->Txn(
      {Compare::ModRevision(HeadKey(), Compare::Op::kEqual, compare_revision)},
      {TxnOp::Put(HeadKey(), head.SerializeAsString()),
       TxnOp::Put(LogKey(expected_head + 1), commit_bytes)},
      {TxnOp::Range(HeadKey())});
  if (txn.ok()) {
    if (!txn->succeeded) {
      if (txn->responses.empty()) return absl::InternalError("etcd txn: no range in the else branch");
      return Conflict(txn->responses[0].range, expected_head);
    }
    Learned(txn->revision);
  } else if (OutcomeUnknown(txn.status())) {
    AUTHD_RETURN_IF_ERROR(Settle(expected_head, compare_revision, commit_bytes, txn.status())
                              .status());
  } else {
    return txn.status();
  }
  appended.last_position = last;
  appended.ticket = last;
  const uint64_t every = options_.snapshot_every;
  if (every > 0 && last / every > expected_head / every) {
    MutexLock lock(&mu_);
    snapshot_due_ = std::max(snapshot_due_, last);
    changed_.SignalAll();
  }
  return appended;
}

absl::Status EtcdEventLog::Conflict(const RangeResult& head, uint64_t expected_head) {
  if (!head.kvs.empty()) {
    const int64_t revision = head.kvs[0].mod_revision;
    Learned(revision);
    // Bounded: a lagging tailer only costs the caller another conflict.
    AwaitTailed(revision, absl::Now() + kConflictCatchUp).IgnoreError();
  }
  return absl::AbortedError(absl::StrCat("another replica appended after position ", expected_head,
                                         "; decide again"));
}

absl::StatusOr<bool> EtcdEventLog::Settle(uint64_t expected_head, int64_t compare_revision,
                                          const std::string& commit_bytes,
                                          const absl::Status& first_error) {
  pb::LogHead unchanged;
  unchanged.set_format_version(kLogFormatVersion);
  unchanged.set_last_sequence(expected_head);
  absl::Status last_error = first_error;
  for (int attempt = 0; attempt < kSettleAttempts; ++attempt) {
    absl::StatusOr<TxnResult> fence = client_->Txn(
        {Compare::ModRevision(HeadKey(), Compare::Op::kEqual, compare_revision)},
        {TxnOp::Put(HeadKey(), unchanged.SerializeAsString())},
        {TxnOp::Range(LogKey(expected_head + 1)), TxnOp::Range(HeadKey())});
    if (fence.ok()) {
      if (fence->succeeded) {
        // The head's mod_revision moved without our commit: the lost write can never land.
        Learned(fence->revision);
        return absl::UnavailableError(absl::StrCat(
            "the append was not applied (etcd said: ", first_error.message(), "): retry"));
      }
      if (fence->responses.size() != 2) return absl::InternalError("etcd txn: expected two ranges");
      if (fence->responses[0].range.kvs.empty()) {
        // No commit at our position. If the log never went past it, the head moved by a fence
        // alone and ours can no longer land (its compare is stale): decide again. If it did, a
        // snapshot may have trimmed the commit, ours or another's: unknown.
        uint64_t head = expected_head;
        if (!fence->responses[1].range.kvs.empty()) {
          AUTHD_ASSIGN_OR_RETURN(pb::LogHead decoded,
                                 DecodeLogHead(fence->responses[1].range.kvs[0].value));
          head = decoded.last_sequence();
        }
        if (head <= expected_head) return absl::AbortedError("the etcd log head moved; decide again");
        return absl::UnknownError(absl::StrCat(
            "outcome unknown: the log went past position ", expected_head,
            " and the commit there was trimmed below a snapshot before authd could read it; if "
            "it was this append, every replica has applied it"));
      }
      const KeyValue& kv = fence->responses[0].range.kvs[0];
      Learned(kv.mod_revision);
      if (kv.value == commit_bytes) return true;  // it landed
      AwaitTailed(kv.mod_revision, absl::Now() + kConflictCatchUp).IgnoreError();
      return absl::AbortedError(absl::StrCat("another replica appended after position ",
                                             expected_head, "; decide again"));
    }
    last_error = fence.status();
    if (absl::IsUnavailable(last_error)) break;  // no quorum now: fencing again cannot settle it
    if (!OutcomeUnknown(last_error)) return last_error;
  }
  return absl::UnknownError(absl::StrCat(
      "outcome unknown: etcd did not settle whether the append after position ", expected_head,
      " landed (", last_error.message(), "); if it did, this replica applies it"));
}

absl::Status EtcdEventLog::AwaitApplied(const Appended& appended) {
  if (appended.ticket == 0) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + options_.apply_timeout;
  MutexLock lock(&mu_);
  while (applied_.get() < appended.last_position && health_.ok()) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  if (applied_.get() >= appended.last_position) return absl::OkStatus();
  if (!health_.ok()) return health_;
  return absl::UnavailableError(absl::StrCat("position ", appended.last_position,
                                             " is in etcd but not applied here within ",
                                             absl::FormatDuration(options_.apply_timeout)));
}

absl::Status EtcdEventLog::Drain() {
  int64_t known;
  {
    MutexLock lock(&mu_);
    known = known_revision_;
  }
  return AwaitTailed(known, absl::Now() + options_.apply_timeout);
}

absl::Status EtcdEventLog::AwaitTailed(int64_t revision, absl::Time deadline) {
  MutexLock lock(&mu_);
  while (tailed_revision_ < revision && health_.ok()) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  if (!health_.ok()) return health_;
  if (tailed_revision_ < revision) {
    return absl::UnavailableError(absl::StrCat("this replica has not applied etcd revision ",
                                               revision, " yet (through ", tailed_revision_, ")"));
  }
  return absl::OkStatus();
}

absl::Status EtcdEventLog::health() const {
  MutexLock lock(&mu_);
  return health_;
}

int64_t EtcdEventLog::applied_revision() const {
  MutexLock lock(&mu_);
  return applied_revision_;
}

void EtcdEventLog::Learned(int64_t revision) {
  MutexLock lock(&mu_);
  known_revision_ = std::max(known_revision_, revision);
}

void EtcdEventLog::Fail(absl::Status status) {
  MutexLock lock(&mu_);
  if (health_.ok()) {
    // Once, when replication stops: every write fails with it from now on. (etcd's and RocksDB's
    // messages name keys, revisions and files, never a token or a password.)
    LogError(absl::StrCat("etcd event log stopped applying: ", status.ToString(),
                          "; writes fail until authd is restarted"));
    health_ = std::move(status);
  }
  changed_.SignalAll();
}

absl::StatusOr<std::vector<pb::Event>> EtcdEventLog::Read(uint64_t from, size_t limit) {
  return ReadAppliedEvents(*db_, from, limit);
}

// ---------------------------------------------------------------------------------------------
// Snapshots.

void EtcdEventLog::SnapshotLoop() {
  for (;;) {
    uint64_t due;
    {
      MutexLock lock(&mu_);
      while (snapshot_due_ == 0 && !stopping_) changed_.Wait(&mu_);
      if (stopping_) return;
      due = snapshot_due_;
      snapshot_due_ = 0;
    }
    {
      // At the append that crossed the boundary, once it is applied here (else whatever is
      // applied by then: a snapshot is correct at any commit boundary). The tailer signals
      // changed_ after each batch; the destructor does too.
      const absl::Time deadline = absl::Now() + options_.apply_timeout;
      MutexLock lock(&mu_);
      while (applied_.get() < due && !stopping_ && health_.ok()) {
        if (changed_.WaitWithDeadline(&mu_, deadline)) break;
      }
      if (stopping_) return;
    }
    absl::StatusOr<uint64_t> written = WriteSnapshotNow();
    if (!written.ok()) {
      // Not sticky: the log keeps working, and the next crossing tries again.
      LogWarning(absl::StrCat("writing an etcd snapshot failed: ", written.status().ToString()));
    }
  }
}

absl::StatusOr<uint64_t> EtcdEventLog::WriteSnapshotNow() {
  MutexLock serial(&snapshot_mu_);
  // One RocksDB snapshot: the checkpoint, its etcd revision and the rows name one state. The
  // tailer goes on applying meanwhile.
  std::unique_ptr<Db::PointInTime> view = db_->NewPointInTime();
  AUTHD_ASSIGN_OR_RETURN(SnapshotWritten done,
                         WriteSnapshot(*client_, keys_, *view, options_.snapshot_chunk_bytes));
  if (done.written) {
    MutexLock lock(&mu_);
    ++stats_.written;
    stats_.last_written_sequence = done.header.last_sequence();
    if (done.compacted_revision != 0) stats_.last_compacted_revision = done.compacted_revision;
    LogInfo(absl::StrCat("wrote the etcd snapshot at sequence ", done.header.last_sequence(), " (",
                         done.header.row_count(), " rows in ", done.header.chunk_count(),
                         " chunks), deleted ", done.log_keys_deleted,
                         " log commits below it, compacted etcd at revision ",
                         done.compacted_revision));
  }
  return done.header.last_sequence();
}

absl::StatusOr<uint64_t> EtcdEventLog::PublishRestore(Db::PointInTime& view) {
  MutexLock serial(&snapshot_mu_);
  AUTHD_ASSIGN_OR_RETURN(SnapshotWritten done,
                         WriteRestoreSnapshot(*client_, keys_, view, options_.snapshot_chunk_bytes));
  const uint64_t restored = done.header.last_sequence();
  LogInfo(absl::StrCat("restored a backup into etcd as the snapshot at sequence ", restored, " (",
                       done.header.row_count(), " rows in ", done.header.chunk_count(),
                       " chunks); every replica installs it"));
  if (!done.trim.ok()) {
    LogWarning(absl::StrCat("after the restore, trimming the log below it failed (",
                            done.trim.message(), "); the next snapshot trims it"));
  }
  // Published: success from here on, whatever this replica's install does (the others install
  // it too; a caller that needs it here passes `restored` as min_position).
  if (absl::Status here = applied_.Await(restored, absl::Now() + options_.apply_timeout);
      !here.ok()) {
    LogWarning(absl::StrCat("the restore at position ", restored,
                            " is in etcd but not installed here yet: ", here.message()));
  }
  return restored;
}

EtcdLogStats EtcdEventLog::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

// ---------------------------------------------------------------------------------------------
// Lag.

void EtcdEventLog::LagLoop() {
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (!stopping_) changed_.WaitWithTimeout(&mu_, options_.lag_check_interval);
      if (stopping_) return;
    }
    // A linearizable read: the head as of now, from whichever member the client reaches.
    absl::StatusOr<RangeResult> head = client_->Range(keys_.Head());
    if (!head.ok()) continue;  // since_contact grows; Authorize keeps answering from memory
    uint64_t last_sequence = 0;
    if (!head->kvs.empty()) {
      absl::StatusOr<pb::LogHead> decoded = DecodeLogHead(head->kvs[0].value);
      if (!decoded.ok()) continue;  // the tailer stops on it with the error
      last_sequence = decoded->last_sequence();
      Learned(head->kvs[0].mod_revision);
    }
    MutexLock lock(&mu_);
    lag_.ObserveHead(last_sequence, applied_.get(), absl::Now());
  }
}

ReplicationStatus EtcdEventLog::Replication() const {
  MutexLock lock(&mu_);
  ReplicationStatus status = lag_.Status(applied_.get(), absl::Now());
  status.stopped = health_;
  return status;
}

// ---------------------------------------------------------------------------------------------
// The tailer.

void EtcdEventLog::TailLoop() {
  absl::Duration backoff = kInitialBackoff;
  auto wait_backoff = [&]() -> bool {  // false: stop
    MutexLock lock(&mu_);
    if (!stopping_) changed_.WaitWithTimeout(&mu_, backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
    return !stopping_;
  };
  for (;;) {
    WatchOptions watch_options;
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      watch_options.start_revision = resume_revision_;
    }
    // The head and the commits; snapshot chunks (after them in key order) are never delivered.
    watch_options.key = keys_.Head();
    watch_options.range_end = keys_.LogEnd();
    watch_options.progress_notify = true;
    if (options_.before_watch) options_.before_watch();
    absl::StatusOr<std::unique_ptr<EtcdWatch>> opened = client_->Watch(watch_options);
    if (!opened.ok()) {
      if (!wait_backoff()) return;
      continue;
    }
    std::unique_ptr<EtcdWatch> watch = std::move(*opened);
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      watch_ = watch.get();
    }
    const absl::Time opened_at = absl::Now();
    absl::Status ended;
    for (;;) {
      absl::StatusOr<WatchBatch> batch = watch->Next(kWatchPoll);
      if (!batch.ok()) {
        if (absl::IsDeadlineExceeded(batch.status())) {
          MutexLock lock(&mu_);
          if (stopping_) break;
          const absl::Duration behind = lag_.Status(applied_.get(), absl::Now()).behind_for;
          if (behind > options_.watch_stall_timeout &&
              absl::Now() - opened_at > options_.watch_stall_timeout) {
            LogWarning(absl::StrCat("the etcd watch delivered nothing while position ",
                                    applied_.get() + 1, " stayed unapplied for ",
                                    absl::FormatDuration(behind), ": reopening it"));
            ++stats_.stalled_watches;
            ended = absl::UnavailableError("watch stalled");
            break;
          }
          continue;
        }
        ended = batch.status();
        break;
      }
      backoff = kInitialBackoff;
      for (const WatchEvent& event : batch->events) {
        if (event.type != WatchEvent::Type::kPut) continue;
        absl::Status s = ApplyPut(event.kv);
        if (absl::IsOutOfRange(s)) {  // a commit after a head jump in this batch: catch up
          ended = std::move(s);
          break;
        }
        if (!s.ok()) {
          Fail(std::move(s));
          MutexLock lock(&mu_);
          watch_ = nullptr;
          return;
        }
      }
      if (absl::IsOutOfRange(ended)) {
        MutexLock hold(&apply_mu_);
        batch_head_ = 0;
        break;
      }
      bool jumped;
      {
        // A head past every commit of its revision: a restore moved it (WriteRestoreSnapshot).
        MutexLock hold(&apply_mu_);
        jumped = batch_head_ > applied_.get();
        batch_head_ = 0;
      }
      if (jumped) {
        ended = absl::OutOfRangeError("the log head moved past its commits (a restore)");
        break;
      }
      MutexLock lock(&mu_);
      tailed_revision_ = std::max(tailed_revision_, watch->resume_revision() - 1);
      resume_revision_ = std::max(resume_revision_, watch->resume_revision());
      changed_.SignalAll();
    }
    {
      MutexLock lock(&mu_);
      watch_ = nullptr;
      if (stopping_) return;
      resume_revision_ = std::max(resume_revision_, watch->resume_revision());
    }
    if (absl::IsOutOfRange(ended)) {
      // History below a snapshot was compacted while this replica was not watching, or a restore
      // moved the head past every commit: catch up by reading keys (the snapshot when the
      // commits it needs are gone), never by skipping. Until that succeeds no watch is opened:
      // resume_revision_ may already be past what needs catching up.
      watch.reset();
      for (;;) {
        absl::StatusOr<int64_t> resynced = Resync();
        if (resynced.ok()) break;
        if (!absl::IsUnavailable(resynced.status())) {
          Fail(resynced.status());
          return;
        }
        if (!wait_backoff()) return;
      }
      continue;
    }
    // Anything else, kCancelled included (what gRPC reports for a stream whose member was
    // killed): not our Cancel, since stopping_ was not set. Reopen.
    watch.reset();
    if (!wait_backoff()) return;  // failover: reopen from where this watch stopped
  }
}

absl::Status EtcdEventLog::ApplyPut(const KeyValue& kv) {
  switch (keys_.Classify(kv.key)) {
    case EtcdKeys::Kind::kHead: {
      AUTHD_ASSIGN_OR_RETURN(pb::LogHead head, DecodeLogHead(kv.value));
      MutexLock lock(&apply_mu_);
      // A fence (or the head of a commit already applied): the compare's revision moves.
      if (head.last_sequence() == applied_.get()) {
        head_revision_ = std::max(head_revision_, kv.mod_revision);
      }
      batch_head_ = std::max(batch_head_, head.last_sequence());
      return absl::OkStatus();
    }
    case EtcdKeys::Kind::kLog:
      return ApplyCommit(kv.value, kv.mod_revision);
    case EtcdKeys::Kind::kSnapshotCurrent:
    case EtcdKeys::Kind::kSnapshotChunk:
      return absl::OkStatus();
    case EtcdKeys::Kind::kForeign:
      break;
  }
  // Not of authd's layout (someone wrote under the prefix): never applied, said once.
  MutexLock lock(&mu_);
  if (!foreign_key_logged_) {
    foreign_key_logged_ = true;
    LogWarning(absl::StrCat("ignoring a key under the etcd prefix that is not authd's log layout "
                            "(revision ", kv.mod_revision, "); nothing was applied from it"));
  }
  return absl::OkStatus();
}

absl::Status EtcdEventLog::ApplyCommit(const std::string& value, int64_t revision) {
  pb::LogCommit commit;
  if (!commit.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("etcd log commit at revision ", revision,
                                            " does not decode"));
  }
  if (commit.format_version() == 0 || commit.format_version() > kLogFormatVersion) {
    return absl::DataLossError(absl::StrCat("etcd log commit at revision ", revision,
                                            " has format_version ", commit.format_version(),
                                            "; this build reads ", kLogFormatVersion));
  }
  if (commit.events().empty()) {
    return absl::DataLossError(absl::StrCat("etcd log commit at revision ", revision,
                                            " holds no event"));
  }
  MutexLock lock(&apply_mu_);
  const uint64_t applied = applied_.get();
  if (commit.events(0).sequence() > applied + 1 && batch_head_ > applied) {
    // The same watch batch moved the head past this replica's commits first (a restore): the
    // commits after it come after the restore's snapshot, which Resync installs.
    return absl::OutOfRangeError(absl::StrCat("etcd log commit at revision ", revision,
                                              " follows a head that moved past position ", applied));
  }
  if (commit.events(0).sequence() != applied + 1) {
    return absl::DataLossError(absl::StrCat(
        "etcd log commit at revision ", revision, " starts at sequence ",
        commit.events(0).sequence(), ", but this replica applied through ", applied));
  }
  ProjectionBatch projection(db_.get());
  rocksdb::WriteBatch batch;
  uint64_t seq = applied;
  for (const pb::Event& event : commit.events()) {
    if (event.sequence() != ++seq) {
      return absl::DataLossError(absl::StrCat("etcd log commit at revision ", revision,
                                              " holds sequence ", event.sequence(), " at ", seq));
    }
    if (event.format_version() == 0 || event.format_version() > kEventFormatVersion) {
      return absl::DataLossError(absl::StrCat("event ", seq, " has format_version ",
                                              event.format_version()));
    }
    if (absl::Status s = Project(event, &projection); !s.ok()) {
      return absl::DataLossError(absl::StrCat("event ", seq, " from etcd does not apply: ",
                                              s.message()));
    }
    batch.Put(db_->cf(kEventsCf), EncodeU64(seq), event.SerializeAsString());
  }
  AddProjectionWrites(*db_, projection, &batch);
  batch.Put(db_->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(seq));
  batch.Put(db_->cf(kMetaCf), std::string(kEtcdRevisionKey),
            EncodeU64(static_cast<uint64_t>(revision)));
  AUTHD_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  PublishIndexOps(projection.TakeIndexOps(), index_.load(std::memory_order_acquire));
  head_revision_ = revision;
  {
    MutexLock state_lock(&mu_);
    applied_revision_ = revision;
  }
  applied_.Advance(seq);
  return absl::OkStatus();
}

}  // namespace authd::storage::etcd
