#include "storage/projection_batch.h"

namespace authd::storage {

absl::StatusOr<std::optional<std::string>> ProjectionBatch::Get(absl::string_view cf,
                                                                absl::string_view key) {
  auto it = writes_.find(Key(std::string(cf), std::string(key)));
  if (it != writes_.end()) return it->second;
  return base_->Get(cf, key);
}

void ProjectionBatch::Put(absl::string_view cf, absl::string_view key, std::string value) {
  writes_[Key(std::string(cf), std::string(key))] = std::move(value);
}

void ProjectionBatch::Delete(absl::string_view cf, absl::string_view key) {
  writes_[Key(std::string(cf), std::string(key))] = std::nullopt;
}

void ProjectionBatch::Clear() {
  writes_.clear();
  index_ops_.clear();
}

}  // namespace authd::storage
