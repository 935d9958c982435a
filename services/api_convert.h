// Conversions between the public API (authd.v1) and the domain/storage types: parsing requests
// with field-named kInvalidArgument errors, and rendering records (names filled in by lookup).
// Stateless apart from the borrowed TokenStore used for name lookups; thread-safe.
#ifndef AUTHD_SERVICES_API_CONVERT_H_
#define AUTHD_SERVICES_API_CONVERT_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "authd/v1/types.pb.h"
#include "authz/permission.h"
#include "storage/token_store.h"

namespace authd::services {

namespace api = ::authd::v1;
namespace spb = ::authd::storage::v1;

// Parses one API permission; `field` prefixes error messages (e.g. "permissions[2]").
// Errors: kInvalidArgument with InfluxDB's wording ("invalid resource type for permission", ...).
absl::StatusOr<authz::Permission> ParsePermission(const api::Permission& in, const std::string& field);
absl::StatusOr<std::vector<authz::Permission>> ParsePermissions(
    const google::protobuf::RepeatedPtrField<api::Permission>& in);

// Renders records. Name lookups that fail (deleted resources) leave names empty.
class ApiRenderer {
 public:
  explicit ApiRenderer(storage::TokenStore* store) : store_(store) {}

  api::User User(const spb::UserRecord& r) const;
  api::Org Org(const spb::OrgRecord& r) const;
  api::Bucket Bucket(const spb::BucketRecord& r) const;
  // `token` is set in create responses; otherwise the token is shown only if it is stored raw
  // (hashing off), never once hashed.
  api::Authorization Authorization(const spb::AuthorizationRecord& r,
                                   const std::string& token = "");
  api::Permission Permission(const authz::Permission& p);

 private:
  std::string OrgName(authz::Id id);
  std::string UserName(authz::Id id);
  std::string BucketName(authz::Id id);

  storage::TokenStore* store_;
  // Per-response caches: one renderer lives for one RPC.
  absl::flat_hash_map<authz::Id, std::string> org_names_, user_names_, bucket_names_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_API_CONVERT_H_
