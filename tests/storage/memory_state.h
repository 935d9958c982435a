// MemoryState: the projections in a std::map, as a StateReader, with events applied by the real
// Projector; FixedIds: a predictable IdSource. For the pure command deciders' tests. testonly;
// not thread-safe.
#ifndef AUTHD_TESTS_STORAGE_MEMORY_STATE_H_
#define AUTHD_TESTS_STORAGE_MEMORY_STATE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "storage/commands.h"
#include "storage/projector.h"

namespace authd::storage {

// Projection rows in a map; events applied with the real Projector.
class MemoryState final : public StateReader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view cf,
                                                 absl::string_view key) override {
    auto it = rows_.find({std::string(cf), std::string(key)});
    if (it == rows_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::StatusOr<std::vector<Entry>> EntriesWithPrefix(absl::string_view cf,
                                                       absl::string_view prefix,
                                                       absl::string_view from,
                                                       size_t limit) override {
    std::vector<Entry> out;
    const std::string start(from > prefix ? from : prefix);
    for (auto it = rows_.lower_bound({std::string(cf), start});
         it != rows_.end() && it->first.first == cf && out.size() < limit; ++it) {
      if (it->first.second.compare(0, prefix.size(), prefix.data(), prefix.size()) != 0) break;
      out.emplace_back(it->first.second, it->second);
    }
    return out;
  }
  // Projects `events` and keeps the result.
  void Apply(const std::vector<pb::Event>& events) {
    ProjectionBatch batch(this);
    for (const pb::Event& e : events) ASSERT_TRUE(Project(e, &batch).ok());
    for (const auto& [key, value] : batch.writes()) {
      if (value) {
        rows_[key] = *value;
      } else {
        rows_.erase(key);
      }
    }
  }

 private:
  std::map<std::pair<std::string, std::string>, std::string> rows_;
};

// 1001, 1002, ...; or a fixed list, repeated.
class FixedIds final : public IdSource {
 public:
  explicit FixedIds(std::vector<authz::Id> ids = {}) : ids_(std::move(ids)) {}
  authz::Id Next() override {
    if (ids_.empty()) return next_++;
    return ids_[i_++ % ids_.size()];
  }

 private:
  std::vector<authz::Id> ids_;
  size_t i_ = 0;
  authz::Id next_ = 1001;
};

// Applies setup as alice / acme / metrics with the operator token below: user 1001, org 1002,
// bucket 1003, operator authorization 1004 (with `ids` a fresh FixedIds).
inline constexpr char kSetupOperatorToken[] = "tok-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
inline void ApplyAcmeSetup(MemoryState* state, const CommandContext& ctx) {
  SetupCommand setup;
  setup.username = "alice";
  setup.org = "acme";
  setup.bucket = "metrics";
  setup.token = kSetupOperatorToken;
  auto d = DecideSetup(*state, ctx, setup);
  ASSERT_TRUE(d.ok()) << d.status();
  state->Apply(d->events);
}

}  // namespace authd::storage

#endif  // AUTHD_TESTS_STORAGE_MEMORY_STATE_H_
