#include "storage/keys.h"

#include "absl/strings/str_cat.h"

namespace authd::storage {

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::string EncodeU32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::optional<uint64_t> DecodeU64(absl::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::optional<uint32_t> DecodeU32(absl::string_view bytes) {
  if (bytes.size() != 4) return std::nullopt;
  uint32_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string PairKey(uint64_t first, uint64_t second) {
  return absl::StrCat(EncodeU64(first), EncodeU64(second));
}

std::string TaggedIdKey(char tag, uint64_t id) {
  return absl::StrCat(absl::string_view(&tag, 1), EncodeU64(id));
}

std::string TaggedNameKey(char tag, absl::string_view name) {
  return absl::StrCat(absl::string_view(&tag, 1), name);
}

std::string BucketNameKey(uint64_t org_id, absl::string_view name) {
  return absl::StrCat(absl::string_view(&kBucketNameTag, 1), EncodeU64(org_id), name);
}

std::string InstanceKey() { return std::string(1, kInstanceTag); }

}  // namespace authd::storage
