// Key codec for authd's RocksDB column families. The on-disk layout, drawn once (schema 2):
//
//   CF events          [seq: u64 BE]                      -> authd.storage.v1.Event
//   CF meta            "schema_version"                   -> u32 BE (2)
//                      "checkpoint"                       -> u64 BE: last event applied to projections
//                      "rebuilding"                       -> "" while projections are being rebuilt
//                      "hashing"                          -> "on" | "off": the mode of the last start
//                      "etcd_revision"                    -> u64 BE: etcd mode only, the etcd revision
//                                                         of the last LogCommit applied here
//                                                         (storage/etcd/etcd_event_log.h); its
//                                                         presence marks a data dir as an etcd replica
//                      "log_start"                        -> u64 BE: etcd mode only, the first event
//                                                         held in CF events when the replica was
//                                                         loaded from an etcd snapshot (absent: 1)
//                      "loading_snapshot"                 -> "" while an etcd snapshot is being
//                                                         loaded (the next open starts it over)
//   CF authorizations  [auth id: u64 BE]                  -> AuthorizationRecord
//   CF token_index     "$authd-sha256$<b64url>"           -> [auth id: u64 BE]
//   CF auth_by_user    [user id: u64 BE][auth id: u64 BE] -> ""
//   CF auth_by_org     [org id: u64 BE][auth id: u64 BE]  -> ""
//   CF raw_tokens      [auth id: u64 BE]                  -> the raw token (ONLY while hashing is off;
//                                                         erased and compacted away at the next
//                                                         start with hashing on; never in events)
//   CF tenants         'u' [user id: u64 BE]              -> UserRecord
//                      'U' name                           -> [user id: u64 BE]
//                      'o' [org id: u64 BE]               -> OrgRecord
//                      'O' name                           -> [org id: u64 BE]
//                      'b' [bucket id: u64 BE]            -> BucketRecord
//                      'B' [org id: u64 BE] name          -> [bucket id: u64 BE]
//                      'i'                                -> InstanceRecord (written by setup)
//
// Big-endian integers keep RocksDB's bytewise order equal to numeric order (the log iterates in
// sequence order). Pure functions; thread-safe.
#ifndef AUTHD_STORAGE_KEYS_H_
#define AUTHD_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace authd::storage {

// Column family names.
inline constexpr absl::string_view kEventsCf = "events";
inline constexpr absl::string_view kMetaCf = "meta";
inline constexpr absl::string_view kAuthorizationsCf = "authorizations";
inline constexpr absl::string_view kTokenIndexCf = "token_index";
inline constexpr absl::string_view kAuthByUserCf = "auth_by_user";
inline constexpr absl::string_view kAuthByOrgCf = "auth_by_org";
inline constexpr absl::string_view kTenantsCf = "tenants";
inline constexpr absl::string_view kRawTokensCf = "raw_tokens";

// Meta keys.
inline constexpr absl::string_view kSchemaVersionKey = "schema_version";
inline constexpr absl::string_view kCheckpointKey = "checkpoint";
inline constexpr absl::string_view kRebuildingKey = "rebuilding";
inline constexpr absl::string_view kHashingModeKey = "hashing";
inline constexpr absl::string_view kEtcdRevisionKey = "etcd_revision";
inline constexpr absl::string_view kLogStartKey = "log_start";
inline constexpr absl::string_view kLoadingSnapshotKey = "loading_snapshot";

// Tenant key tags.
inline constexpr char kUserTag = 'u';
inline constexpr char kUserNameTag = 'U';
inline constexpr char kOrgTag = 'o';
inline constexpr char kOrgNameTag = 'O';
inline constexpr char kBucketTag = 'b';
inline constexpr char kBucketNameTag = 'B';
inline constexpr char kInstanceTag = 'i';

std::string EncodeU64(uint64_t v);
std::string EncodeU32(uint32_t v);
// nullopt unless `bytes` is exactly 8 (or 4) bytes.
std::optional<uint64_t> DecodeU64(absl::string_view bytes);
std::optional<uint32_t> DecodeU32(absl::string_view bytes);

std::string PairKey(uint64_t first, uint64_t second);
std::string TaggedIdKey(char tag, uint64_t id);
std::string TaggedNameKey(char tag, absl::string_view name);
std::string BucketNameKey(uint64_t org_id, absl::string_view name);
std::string InstanceKey();

}  // namespace authd::storage

#endif  // AUTHD_STORAGE_KEYS_H_
