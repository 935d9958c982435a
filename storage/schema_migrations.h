// Schema migrations of the projections, up and down. Every format change ships both.
//
//   schema 1 "raw tokens only": token_index is keyed by the raw token; AuthorizationRecord has no
//            token_hash; every token's raw value is in raw_tokens.
//   schema 2 "hashed index" (current): token_index is keyed by "$authd-sha256$..."; every record
//            carries token_hash; raw_tokens holds raw values only while hashing is off.
//
// Events are never rewritten: both schemas share the log (events written by this code always
// carry token_hash). Each migration is idempotent and runs in bounded batches; meta
// "schema_migration" ("1->2" or "2->1") is set before the first batch and cleared with the new
// schema_version, so an interrupted migration is resumed at the next open.
// Stateless functions over a Db the caller owns exclusively.
#ifndef AUTHD_STORAGE_SCHEMA_MIGRATIONS_H_
#define AUTHD_STORAGE_SCHEMA_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "authz/id.h"
#include "storage/db.h"

namespace authd::storage {

inline constexpr absl::string_view kSchemaMigrationKey = "schema_migration";

// Tokens stored only as hashes (no raw copy): what a downgrade to schema 1 cannot keep.
// Errors: kDataLoss, kUnavailable.
absl::StatusOr<std::vector<authz::Id>> HashedOnlyAuthorizations(Db& db);

// 1 -> 2: hashes every raw token into the index and the records. Errors: kDataLoss when a token
// has no raw value (schema 1 requires one).
absl::Status MigrateUp1To2(Db& db);

// 2 -> 1: moves every token's index key to its raw value and drops the hashes. Requires every
// remaining token to have a raw copy (erase hashed-only ones first). Errors: kFailedPrecondition.
absl::Status MigrateDown2To1(Db& db);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_SCHEMA_MIGRATIONS_H_
