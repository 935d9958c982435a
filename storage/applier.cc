#include "storage/applier.h"


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

}  // namespace authd::storage
