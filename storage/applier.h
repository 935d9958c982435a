// Applier: how events reach this process's projections and index, the same for every log (ADR
// 0005): after each event is projected (storage/projector.h) into a ProjectionBatch layered over
// the projections, write the batch's final rows (and the checkpoint) into one RocksDB WriteBatch, and
// publish the batch's index operations to authz::TokenIndex once the write is durable, in log
// order. Used by the live write path, replay/catch-up and verify. Stateless functions; callers
// serialise writes to one Db.
#ifndef AUTHD_STORAGE_APPLIER_H_
#define AUTHD_STORAGE_APPLIER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "authz/token_index.h"
#include "storage/record_codec.h"
#include "rocksdb/write_batch.h"
#include "storage/db.h"
#include "storage/projection_batch.h"

namespace authd::storage {

// Adds `projection`'s final rows (puts and deletes) to `batch`.
void AddProjectionWrites(const Db& db, const ProjectionBatch& projection, rocksdb::WriteBatch* batch);

// Applies index operations to `index`, in order.
void PublishIndexOps(const std::vector<IndexOp>& ops, authz::TokenIndex* index);

// The applied events in `db`'s events column family with position >= `from`, at most `limit`, in
// order (EventLog::Read of both logs: the local copy is what this process applied). Errors:
// kDataLoss (an undecodable event), kUnavailable.
absl::StatusOr<std::vector<pb::Event>> ReadAppliedEvents(Db& db, uint64_t from, size_t limit);

// Builds the index of `db`'s projections (users' states, every authorization) aside, then swaps
// it into `index` shard by shard: Authorize never sees an empty index on a reload (start-up, a
// rebuild, a restore, an etcd snapshot loaded). Errors: kDataLoss (a row does not decode),
// kUnavailable.
absl::Status LoadTokenIndex(Db& db, authz::TokenIndex* index);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_APPLIER_H_
