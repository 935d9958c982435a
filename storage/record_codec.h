// Conversions between persisted records (authd.storage.v1) and the authz domain types, and the
// decoding of stored bytes with kDataLoss on corruption. Pure functions; thread-safe.
#ifndef AUTHD_STORAGE_RECORD_CODEC_H_
#define AUTHD_STORAGE_RECORD_CODEC_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authd/storage/v1/event.pb.h"
#include "authd/storage/v1/records.pb.h"
#include "authz/decision.h"
#include "authz/permission.h"
#include "authz/token_hash.h"

namespace authd::storage {

namespace pb = ::authd::storage::v1;

// The newest Event.format_version this build writes and reads. 2 = lifecycle (docs/adr/0007):
// expiry, last use, rotation, org limits. Events without lifecycle data are still written as 1,
// so a log that never used them stays readable by the builds before.
inline constexpr uint32_t kEventFormatVersion = 2;
inline constexpr uint32_t kLifecycleEventFormatVersion = 2;

// The format_version `event` must be written with: 2 when it carries lifecycle data (an older
// authd would otherwise ignore it and, say, serve an expired token), else 1.
uint32_t EventFormatVersionFor(const pb::Event& event);

pb::PermissionRecord ToRecord(const authz::Permission& permission);
// Errors: kDataLoss for an unknown action or resource type number.
absl::StatusOr<authz::Permission> FromRecord(const pb::PermissionRecord& record);
absl::StatusOr<std::vector<authz::Permission>> PermissionsOf(const pb::AuthorizationRecord& auth);

bool IsActive(pb::Status status);
pb::Status ToStatus(bool active);

// The Authorize view of a stored token. Errors: kDataLoss.
absl::StatusOr<authz::TokenGrant> GrantOf(const pb::AuthorizationRecord& auth);
// When a rotation's previous secret stops working: the end of its grace period, or the token's
// own expiry if that comes first. The one rule for the grant, the sweeper and the API.
int64_t PreviousSecretEnd(const pb::AuthorizationRecord& auth);
// The view of its previous secret during a rotation's grace period (expiring at
// PreviousSecretEnd). Requires `previous_token_hash`.
absl::StatusOr<authz::TokenGrant> PreviousGrantOf(const pb::AuthorizationRecord& auth);
// The digest of `previous_token_hash`. Errors: kDataLoss.
absl::StatusOr<authz::TokenDigest> PreviousDigestOf(const pb::AuthorizationRecord& auth);

// The SHA-256 digest of the record's token, decoded from `token_hash`. Errors: kDataLoss.
absl::StatusOr<authz::TokenDigest> DigestOf(const pb::AuthorizationRecord& auth);

// The `token_index` key of the record: its (validated) hash string. Errors: kDataLoss.
absl::StatusOr<std::string> IndexKeyOf(const pb::AuthorizationRecord& auth);

// Parses `bytes` as `T`; kDataLoss naming `what` on failure.
template <typename T>
absl::StatusOr<T> Decode(absl::string_view bytes, absl::string_view what) {
  T out;
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(std::string("corrupt stored ") + std::string(what));
  }
  return out;
}

// Decodes an event and checks its format version and body. Errors: kDataLoss.
absl::StatusOr<pb::Event> DecodeEvent(absl::string_view bytes);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_RECORD_CODEC_H_
