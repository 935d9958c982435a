#include "storage/etcd/etcd_keys.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/etcd/range_end.h"

namespace authd::storage::etcd {
namespace {

constexpr size_t kSequenceDigits = 20;

std::string Padded(uint64_t n) { return absl::StrFormat("%020u", n); }

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

bool LowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return !s.empty();
}

}  // namespace

EtcdKeys::EtcdKeys(std::string prefix) : prefix_(std::move(prefix)) {}

std::string EtcdKeys::Root() const { return absl::StrCat(prefix_, "v1/"); }
std::string EtcdKeys::Head() const { return absl::StrCat(prefix_, "v1/head"); }
std::string EtcdKeys::Log(uint64_t first_sequence) const {
  return absl::StrCat(prefix_, "v1/log/", Padded(first_sequence));
}
std::string EtcdKeys::LogEnd() const { return RangeEndForPrefix(absl::StrCat(prefix_, "v1/log/")); }
std::string EtcdKeys::SnapshotCurrent() const { return absl::StrCat(prefix_, "v1/snapshot/current"); }
std::string EtcdKeys::SnapshotChunk(uint64_t last_sequence, uint64_t writer,
                                    uint32_t index) const {
  return absl::StrCat(SnapshotWriterChunks(last_sequence, writer), absl::StrFormat("%06u", index));
}
std::string EtcdKeys::SnapshotWriterChunks(uint64_t last_sequence, uint64_t writer) const {
  return absl::StrCat(SnapshotChunks(last_sequence), absl::StrFormat("%016x", writer), "/");
}
std::string EtcdKeys::SnapshotChunks(uint64_t last_sequence) const {
  return absl::StrCat(prefix_, "v1/snapshot/", Padded(last_sequence), "/");
}
std::string EtcdKeys::SnapshotChunksStart() const { return absl::StrCat(prefix_, "v1/snapshot/0"); }

std::optional<uint64_t> EtcdKeys::ParseLog(absl::string_view key) const {
  const std::string log_prefix = absl::StrCat(prefix_, "v1/log/");
  if (!absl::ConsumePrefix(&key, log_prefix)) return std::nullopt;
  if (key.size() != kSequenceDigits || !AllDigits(key)) return std::nullopt;
  uint64_t n = 0;
  if (!absl::SimpleAtoi(key, &n)) return std::nullopt;
  return n;
}

EtcdKeys::Kind EtcdKeys::Classify(absl::string_view key) const {
  if (key == Head()) return Kind::kHead;
  if (key == SnapshotCurrent()) return Kind::kSnapshotCurrent;
  if (ParseLog(key)) return Kind::kLog;
  const std::string snapshot_prefix = absl::StrCat(prefix_, "v1/snapshot/");
  if (absl::ConsumePrefix(&key, snapshot_prefix)) {
    // <20 digits>/<16 lowercase hex>/<6 digits>
    constexpr size_t kWriter = kSequenceDigits + 1;
    constexpr size_t kIndex = kWriter + 16 + 1;
    if (key.size() == kIndex + 6 && key[kSequenceDigits] == '/' && key[kIndex - 1] == '/' &&
        AllDigits(key.substr(0, kSequenceDigits)) && LowerHex(key.substr(kWriter, 16)) &&
        AllDigits(key.substr(kIndex))) {
      return Kind::kSnapshotChunk;
    }
  }
  return Kind::kForeign;
}

}  // namespace authd::storage::etcd
