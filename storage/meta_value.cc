#include "storage/meta_value.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/keys.h"

namespace authd::storage {

absl::StatusOr<std::optional<uint64_t>> ReadMetaU64(ProjectionReader& reader,
                                                    absl::string_view key) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, reader.Get(kMetaCf, key));
  if (!bytes) return std::optional<uint64_t>();
  std::optional<uint64_t> v = DecodeU64(*bytes);
  if (!v) return absl::DataLossError(absl::StrCat("malformed meta key ", key, " in the data dir"));
  return v;
}

}  // namespace authd::storage
