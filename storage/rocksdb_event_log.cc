#include "storage/rocksdb_event_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/applier.h"
#include "storage/projector.h"
#include "storage/keys.h"
#include "storage/meta_value.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_status.h"

namespace authd::storage {

RocksDbEventLog::RocksDbEventLog(std::shared_ptr<Db> db, bool sync_writes,
                                 authz::TokenIndex* index, uint64_t head)
    : db_(std::move(db)),
      index_(index),
      head_(head),
      applied_(head),
      group_([db = db_.get(), sync_writes]() -> absl::Status {
        return sync_writes ? db->SyncWal() : absl::OkStatus();
      }) {}

absl::StatusOr<std::unique_ptr<RocksDbEventLog>> RocksDbEventLog::Open(std::shared_ptr<Db> db,
                                                                       bool sync_writes,
                                                                       authz::TokenIndex* index) {
  uint64_t head = 0;
  auto it = db->NewIterator(kEventsCf);
  it->SeekToLast();
  if (it->Valid()) {
    auto seq = DecodeU64(View(it->key()));
    if (!seq) return absl::DataLossError("event log holds a malformed key");
    head = *seq;
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  // A copy loaded from an etcd snapshot at S holds the log from S + 1 (meta log_start), and may
  // hold no event yet: its head is then S.
  AUTHD_ASSIGN_OR_RETURN(std::optional<uint64_t> log_start, ReadMetaU64(*db, kLogStartKey));
  if (log_start) {
    if (*log_start == 0) return absl::DataLossError("malformed log_start in the data dir");
    head = std::max(head, *log_start - 1);
  }
  return std::unique_ptr<RocksDbEventLog>(
      new RocksDbEventLog(std::move(db), sync_writes, index, head));
}

absl::StatusOr<Appended> RocksDbEventLog::Append(uint64_t expected_head,
                                                 std::vector<pb::Event> events,
                                                 const Decision& decision) {
  AUTHD_RETURN_IF_ERROR(group_.health());
  const uint64_t head = Head();
  if (head != expected_head) {
    return absl::AbortedError(
        absl::StrCat("the event log moved from ", expected_head, " to ", head, "; decide again"));
  }
  Appended appended;
  appended.first_position = head + 1;
  appended.last_position = head;
  if (events.empty()) return appended;

  ProjectionBatch projection(db_.get());
  rocksdb::WriteBatch batch;
  uint64_t seq = head;
  for (const pb::Event& event : events) {
    if (event.sequence() != ++seq) {
      return absl::InternalError(absl::StrCat("event stamped ", event.sequence(), " appended at ", seq));
    }
    AUTHD_RETURN_IF_ERROR(Project(event, &projection));
    batch.Put(db_->cf(kEventsCf), EncodeU64(seq), event.SerializeAsString());
  }
  AddProjectionWrites(*db_, projection, &batch);
  for (const auto& [id, token] : decision.raw_tokens) {
    batch.Put(db_->cf(kRawTokensCf), EncodeU64(id), token);
  }
  batch.Put(db_->cf(kMetaCf), std::string(kCheckpointKey), EncodeU64(seq));
  for (const ProjectionBatch::Key& key : decision.result_keys) {
    AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> value, projection.Get(key.first, key.second));
    appended.results.push_back(std::move(value));
  }
  // Unsynced: visible to the next writer at once; durable (and published to the index) when a
  // group-commit sync covers it.
  AUTHD_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/false));
  head_.store(seq, std::memory_order_release);
  appended.last_position = seq;
  appended.ticket = group_.Enqueue([this, seq, ops = projection.TakeIndexOps()] {
    PublishIndexOps(ops, index_.load(std::memory_order_acquire));
    applied_.Advance(seq);
  });
  return appended;
}

absl::Status RocksDbEventLog::AwaitApplied(const Appended& appended) {
  if (appended.ticket == 0) return absl::OkStatus();  // nothing was appended
  return group_.AwaitDurable(appended.ticket);
}

absl::StatusOr<std::vector<pb::Event>> RocksDbEventLog::Read(uint64_t from, size_t limit) {
  return ReadAppliedEvents(*db_, from, limit);
}

absl::Status RocksDbEventLog::Walk(rocksdb::Iterator* it, uint64_t from,
                                   const std::function<absl::Status(const pb::Event&)>& visit) {
  uint64_t expected = from;
  for (it->Seek(EncodeU64(from)); it->Valid(); it->Next(), ++expected) {
    auto seq = DecodeU64(View(it->key()));
    if (!seq || *seq != expected) {
      return absl::DataLossError(absl::StrCat("event log: expected sequence ", expected,
                                              seq ? absl::StrCat(", found ", *seq)
                                                  : std::string(", found a malformed key")));
    }
    absl::StatusOr<pb::Event> event = DecodeEvent(View(it->value()));
    if (!event.ok()) {
      return absl::DataLossError(absl::StrCat("event ", *seq, ": ", event.status().message()));
    }
    if (event->sequence() != *seq) {
      return absl::DataLossError(
          absl::StrCat("event ", *seq, " carries sequence ", event->sequence()));
    }
    AUTHD_RETURN_IF_ERROR(visit(*event));
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "reading the event log");
  return absl::OkStatus();
}

}  // namespace authd::storage
