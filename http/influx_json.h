// InfluxDB OSS v2's JSON shapes for the token API, in both directions: request bodies into the
// `authd.v1` requests the gRPC services take, and their replies into InfluxDB's response bodies
// (field names, `links`, name lookups, RFC 3339 times; ../shared/reference/influxdb-v2-tokens.md
// §5). Pure: no validation beyond JSON shape (the services validate values, once, for both
// transports); unknown fields are ignored as InfluxDB's Go decoder does. Thread-compatible.
#ifndef AUTHD_HTTP_INFLUX_JSON_H_
#define AUTHD_HTTP_INFLUX_JSON_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authd/v1/authorization_service.pb.h"
#include "authd/v1/session_service.pb.h"
#include "authd/v1/setup_service.pb.h"
#include "authd/v1/tenant_service.pb.h"
#include "authd/v1/types.pb.h"

namespace authd::http {

// Object key order follows InfluxDB's structs.
using Json = nlohmann::ordered_json;

// Bodies. A body that is not JSON, not an object, or has a field of the wrong JSON type is
// INVALID_ARGUMENT "invalid json structure: ...". CreateAuthorizationFromJson also reads authd's
// optional `authdPreset` ("all-access" or "operator": the gRPC request's `preset`) and
// `expiresAt` (an RFC 3339 time).
absl::StatusOr<authd::v1::CreateAuthorizationRequest> CreateAuthorizationFromJson(
    absl::string_view body);
// PATCH /api/v2/authorizations/{id}: `status`, `description`, and authd's `expiresAt` (an RFC 3339
// time; "" for never) are read.
absl::StatusOr<authd::v1::UpdateAuthorizationRequest> UpdateAuthorizationFromJson(
    absl::string_view id, absl::string_view body);
// authd's extension POST /api/v2/authorizations/{id}/rotate: an optional body
// {"gracePeriodSeconds": n}; an empty body means no grace period.
absl::StatusOr<authd::v1::RotateAuthorizationRequest> RotateAuthorizationFromJson(
    absl::string_view id, absl::string_view body);
// POST /api/v2/setup: `retentionPeriodSeconds`, or InfluxDB's deprecated `retentionPeriodHrs`.
absl::StatusOr<authd::v1::SetupRequest> SetupFromJson(absl::string_view body);

// POST /api/v2/orgs: `name`, `description`.
absl::StatusOr<authd::v1::CreateOrgRequest> CreateOrgFromJson(absl::string_view body);
// POST /api/v2/buckets: `orgID`, `name`, `description`, `retentionRules[0].everySeconds`.
absl::StatusOr<authd::v1::CreateBucketRequest> CreateBucketFromJson(absl::string_view body);
// POST /api/v2/users: `name`, `status`.
absl::StatusOr<authd::v1::CreateUserRequest> CreateUserFromJson(absl::string_view body);
// PATCH /api/v2/users/{id}: `name`, `status` (each when present).
absl::StatusOr<authd::v1::UpdateUserRequest> UpdateUserFromJson(absl::string_view id,
                                                                absl::string_view body);
// POST /api/v2/users/{id}/password and PUT /api/v2/me/password: `password`.
absl::StatusOr<authd::v1::SetPasswordRequest> SetPasswordFromJson(absl::string_view user_id,
                                                                  absl::string_view body);

// Replies.
Json AuthorizationJson(const authd::v1::Authorization& a);
Json UserJson(const authd::v1::User& u);
Json OrgJson(const authd::v1::Org& o);
Json BucketJson(const authd::v1::Bucket& b);
Json SetupJson(const authd::v1::SetupResponse& r);

// RFC 3339 with nanoseconds when there are any, in UTC ("2026-12-07T18:00:51.8330Z").
std::string Rfc3339(const google::protobuf::Timestamp& t);

// `j` as compact UTF-8 text (invalid UTF-8, which the services never produce, is replaced).
std::string Dump(const Json& j);

}  // namespace authd::http

#endif  // AUTHD_HTTP_INFLUX_JSON_H_
