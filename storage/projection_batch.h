// ProjectionBatch: the projection changes of one commit, layered over a read view of the
// projections as they were before it. Reads see the batch's own pending writes first, so several
// events can be projected into one atomic WriteBatch. It also collects the in-memory index updates
// to publish once the batch is durable. Not thread-safe: owned by one writer at a time.
#ifndef AUTHD_STORAGE_PROJECTION_BATCH_H_
#define AUTHD_STORAGE_PROJECTION_BATCH_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/decision.h"
#include "authz/token_hash.h"

namespace authd::storage {

// Point reads of the projection column families.
class ProjectionReader {
 public:
  virtual ~ProjectionReader() = default;
  // The value at (cf, key), nullopt when absent. Errors: kUnavailable/kDataLoss from storage.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view cf,
                                                         absl::string_view key) = 0;
};

// An update to publish to authz::TokenIndex after the commit is durable.
struct IndexOp {
  enum class Kind { kPutToken, kEraseToken, kSetUserActive, kSetBucketOrg };
  Kind kind;
  authz::TokenDigest digest{};
  authz::TokenGrant grant;
  authz::Id user_id = 0;
  bool active = false;
  // kSetBucketOrg: the bucket, and its org (0: deleted).
  authz::Id bucket_id = 0;
  authz::Id org_id = 0;
};

class ProjectionBatch final : public ProjectionReader {
 public:
  using Key = std::pair<std::string, std::string>;  // (column family, key)

  explicit ProjectionBatch(ProjectionReader* base) : base_(base) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view cf,
                                                 absl::string_view key) override;
  void Put(absl::string_view cf, absl::string_view key, std::string value);
  void Delete(absl::string_view cf, absl::string_view key);
  void Publish(IndexOp op) { index_ops_.push_back(std::move(op)); }

  // Final state per key: a value to put, or nullopt to delete.
  const std::map<Key, std::optional<std::string>>& writes() const { return writes_; }
  const std::vector<IndexOp>& index_ops() const { return index_ops_; }
  // Moves the index operations out (for publishing after the batch is durable).
  std::vector<IndexOp> TakeIndexOps() { return std::move(index_ops_); }
  // Forgets everything (the base stays).
  void Clear();

 private:
  ProjectionReader* base_;
  std::map<Key, std::optional<std::string>> writes_;
  std::vector<IndexOp> index_ops_;
};

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_PROJECTION_BATCH_H_
