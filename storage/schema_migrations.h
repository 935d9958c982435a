// Schema migrations of the projections, up and down. Every format change ships both.
//
//   schema 1 "raw tokens only": token_index is keyed by the raw token; AuthorizationRecord has no
//            token_hash; every token's raw value is in raw_tokens.
//   schema 2 "hashed index": token_index is keyed by "$authd-sha256$..."; every record
//            carries token_hash; raw_tokens holds raw values only while hashing is off.
//   schema 3 "lifecycle" (current, docs/adr/0007): records may carry expiry, last use and a
//            rotation's previous secret (also keyed in token_index), org records a maximum token
//            lifetime, and the log format_version 2 events. No row changes on the way up; the
//            number exists so that an authd before it refuses a store whose expired or
//            rotated-away tokens it would otherwise serve as valid.
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

// 2 -> 3: records the new schema (nothing to rewrite).
absl::Status MigrateUp2To3(Db& db);

// The events in the log written with lifecycle data (format_version 2), which schema 2 cannot
// read: recorded uses (AuthorizationsUsed), which a downgrade may rewrite, and the rest
// (expiries set or reached, rotations, org limits), which it may not.
struct LifecycleCensus {
  uint64_t uses = 0;
  uint64_t blocking = 0;
  // "AuthorizationRotated x2, ..." for the blocking ones.
  std::string blocking_kinds;
};
absl::StatusOr<LifecycleCensus> CensusLifecycleEvents(Db& db);
// OK when `census` allows going to schema 2; else kFailedPrecondition naming the kinds.
absl::Status CheckDowngradableTo2(const LifecycleCensus& census);

// 3 -> 2, the log half, for a log whose `census` (CensusLifecycleEvents, taken by the caller, who
// holds the writer lock) passes CheckDowngradableTo2 (else it refuses the same way, changing
// nothing): rewrites every AuthorizationsUsed in place as a version-1 AuthorizationUpdated of its
// first token with no field set (the sequence stays gap-free; an older authd's replay then only
// moves that token's updated_at to the use). Returns how many it rewrote. The caller rebuilds the
// projections from the rewritten log (they lose last_used_at) and then calls MigrateDown3To2.
absl::StatusOr<uint64_t> RewriteLifecycleEventsForSchema2(Db& db, const LifecycleCensus& census);
// Records schema 2.
absl::Status MigrateDown3To2(Db& db);

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_SCHEMA_MIGRATIONS_H_
