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

}  // namespace authd::storage
