#include "http/influx_json.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"

namespace authd::http {
namespace {

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid json structure: ", why));
}

absl::StatusOr<Json> ParseObject(absl::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Invalid("the body is not JSON (or not UTF-8)");
  if (!j.is_object()) return Invalid("the body must be a JSON object");
  return j;
}

// Whether `obj` has `key` with a value (null counts as absent, as in InfluxDB's Go decoding).
bool Has(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && !it->is_null();
}

// Reads the string field `key` of `obj` into `out` when present; `out` is untouched otherwise.
absl::Status ReadString(const Json& obj, const char* key, std::string* out) {
  if (!Has(obj, key)) return absl::OkStatus();
  const Json& v = obj.at(key);
  if (!v.is_string()) return Invalid(absl::StrCat("\"", key, "\" must be a string"));
  *out = v.get<std::string>();
  return absl::OkStatus();
}

// A JSON integer that fits int64 (a large unsigned one does not).
absl::Status ReadInt64(const Json& v, const char* key, int64_t* out) {
  if (!v.is_number_integer()) return Invalid(absl::StrCat("\"", key, "\" must be an integer"));
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return Invalid(absl::StrCat("\"", key, "\" is out of range"));
  }
  *out = v.get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadPermission(const Json& p, authd::v1::Permission* out) {
  if (!p.is_object()) return Invalid("each permission must be an object");
  AUTHD_RETURN_IF_ERROR(ReadString(p, "action", out->mutable_action()));
  auto r = p.find("resource");
  if (r == p.end() || r->is_null()) return absl::OkStatus();  // the service names what is missing
  if (!r->is_object()) return Invalid("\"resource\" must be an object");
  authd::v1::Resource* res = out->mutable_resource();
  AUTHD_RETURN_IF_ERROR(ReadString(*r, "type", res->mutable_type()));
  AUTHD_RETURN_IF_ERROR(ReadString(*r, "id", res->mutable_id()));
  return ReadString(*r, "orgID", res->mutable_org_id());
}

// Reads the RFC 3339 time `key` of `obj` into `out` when present (authd's lifecycle extension:
// InfluxDB clients never send it).
absl::Status ReadTime(const Json& obj, const char* key, google::protobuf::Timestamp* out) {
  std::string text;
  AUTHD_RETURN_IF_ERROR(ReadString(obj, key, &text));
  absl::Time at;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &at, &err)) {
    return Invalid(absl::StrCat("\"", key, "\" must be an RFC 3339 time"));
  }
  const int64_t nanos = absl::ToUnixNanos(at);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  if (out->nanos() < 0) {
    out->set_seconds(out->seconds() - 1);
    out->set_nanos(out->nanos() + 1000000000);
  }
  return absl::OkStatus();
}

Json Links(std::initializer_list<std::pair<const char*, std::string>> links) {
  Json j = Json::object();
  for (const auto& [k, v] : links) j[k] = v;
  return j;
}

}  // namespace

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  absl::Time at = absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", at, absl::UTCTimeZone());
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<authd::v1::CreateAuthorizationRequest> CreateAuthorizationFromJson(
    absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::CreateAuthorizationRequest req;
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "orgID", req.mutable_org_id()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "userID", req.mutable_user_id()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "description", req.mutable_description()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "status", req.mutable_status()));
  // authd's extension (InfluxDB clients never send it): one of authd's canned sets, composed by
  // the service, so the web UI need not know them.
  std::string preset;
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "authdPreset", &preset));
  if (preset == "all-access") {
    req.set_preset(authd::v1::PRESET_ALL_ACCESS);
  } else if (preset == "operator") {
    req.set_preset(authd::v1::PRESET_OPERATOR);
  } else if (!preset.empty()) {
    return absl::InvalidArgumentError("authdPreset: must be all-access or operator");
  }
  if (Has(*j, "expiresAt")) AUTHD_RETURN_IF_ERROR(ReadTime(*j, "expiresAt", req.mutable_expires_at()));
  auto perms = j->find("permissions");
  if (perms != j->end() && !perms->is_null()) {
    if (!perms->is_array()) return Invalid("\"permissions\" must be an array");
    for (const Json& p : *perms) {
      AUTHD_RETURN_IF_ERROR(ReadPermission(p, req.add_permissions()));
    }
  }
  return req;
}

absl::StatusOr<authd::v1::UpdateAuthorizationRequest> UpdateAuthorizationFromJson(
    absl::string_view id, absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::UpdateAuthorizationRequest req;
  req.set_id(std::string(id));
  // Optional fields: set (even to "") only when the body names them.
  if (Has(*j, "status")) AUTHD_RETURN_IF_ERROR(ReadString(*j, "status", req.mutable_status()));
  if (Has(*j, "description")) {
    AUTHD_RETURN_IF_ERROR(ReadString(*j, "description", req.mutable_description()));
  }
  // authd's extension: a new expiry, or "" for none.
  if (Has(*j, "expiresAt")) {
    if (j->at("expiresAt") == "") {
      req.set_never_expires(true);
    } else {
      AUTHD_RETURN_IF_ERROR(ReadTime(*j, "expiresAt", req.mutable_expires_at()));
    }
  }
  return req;
}

absl::StatusOr<authd::v1::RotateAuthorizationRequest> RotateAuthorizationFromJson(
    absl::string_view id, absl::string_view body) {
  authd::v1::RotateAuthorizationRequest req;
  req.set_id(std::string(id));
  if (body.empty()) return req;
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  if (Has(*j, "gracePeriodSeconds")) {
    int64_t seconds = 0;
    AUTHD_RETURN_IF_ERROR(ReadInt64(j->at("gracePeriodSeconds"), "gracePeriodSeconds", &seconds));
    req.mutable_grace_period()->set_seconds(seconds);
  }
  return req;
}

absl::StatusOr<authd::v1::SetupRequest> SetupFromJson(absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::SetupRequest req;
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "username", req.mutable_username()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "password", req.mutable_password()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "org", req.mutable_org()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "bucket", req.mutable_bucket()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "token", req.mutable_token()));
  auto seconds = j->find("retentionPeriodSeconds");
  if (seconds != j->end() && !seconds->is_null()) {
    int64_t value = 0;
    if (absl::Status s = ReadInt64(*seconds, "retentionPeriodSeconds", &value); !s.ok()) return s;
    req.set_retention_period_seconds(value);
  } else if (auto hrs = j->find("retentionPeriodHrs"); hrs != j->end() && !hrs->is_null()) {
    int64_t hours = 0;
    if (absl::Status s = ReadInt64(*hrs, "retentionPeriodHrs", &hours); !s.ok()) return s;
    if (hours > int64_t{1} << 40 || hours < -(int64_t{1} << 40)) {
      return Invalid("\"retentionPeriodHrs\" is out of range");
    }
    req.set_retention_period_seconds(hours * 3600);
  }
  return req;
}

absl::StatusOr<authd::v1::CreateOrgRequest> CreateOrgFromJson(absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::CreateOrgRequest req;
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "name", req.mutable_name()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "description", req.mutable_description()));
  return req;
}

absl::StatusOr<authd::v1::CreateBucketRequest> CreateBucketFromJson(absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::CreateBucketRequest req;
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "orgID", req.mutable_org_id()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "name", req.mutable_name()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "description", req.mutable_description()));
  auto rules = j->find("retentionRules");
  if (rules != j->end() && !rules->is_null()) {
    if (!rules->is_array()) return Invalid("\"retentionRules\" must be an array");
    for (const Json& rule : *rules) {
      if (!rule.is_object()) return Invalid("each retention rule must be an object");
      auto every = rule.find("everySeconds");
      if (every == rule.end() || every->is_null()) continue;
      int64_t seconds = 0;
      if (absl::Status s = ReadInt64(*every, "everySeconds", &seconds); !s.ok()) return s;
      req.set_retention_period_seconds(seconds);
    }
  }
  return req;
}

absl::StatusOr<authd::v1::CreateUserRequest> CreateUserFromJson(absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::CreateUserRequest req;
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "name", req.mutable_name()));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "status", req.mutable_status()));
  return req;
}

absl::StatusOr<authd::v1::UpdateUserRequest> UpdateUserFromJson(absl::string_view id,
                                                                absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::UpdateUserRequest req;
  req.set_id(std::string(id));
  if (Has(*j, "name")) AUTHD_RETURN_IF_ERROR(ReadString(*j, "name", req.mutable_name()));
  if (Has(*j, "status")) AUTHD_RETURN_IF_ERROR(ReadString(*j, "status", req.mutable_status()));
  return req;
}

absl::StatusOr<authd::v1::SetPasswordRequest> SetPasswordFromJson(absl::string_view user_id,
                                                                  absl::string_view body) {
  absl::StatusOr<Json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  authd::v1::SetPasswordRequest req;
  req.set_user_id(std::string(user_id));
  AUTHD_RETURN_IF_ERROR(ReadString(*j, "password", req.mutable_password()));
  return req;
}

Json AuthorizationJson(const authd::v1::Authorization& a) {
  Json j = Json::object();
  j["id"] = a.id();
  j["token"] = a.token();  // "" for a hashed token after creation, as InfluxDB's
  j["status"] = a.status();
  j["description"] = a.description();
  j["orgID"] = a.org_id();
  j["org"] = a.org();
  j["userID"] = a.user_id();
  j["user"] = a.user();
  Json perms = Json::array();
  for (const authd::v1::Permission& p : a.permissions()) {
    Json res = Json::object();
    res["type"] = p.resource().type();
    if (!p.resource().id().empty()) res["id"] = p.resource().id();
    if (!p.resource().org_id().empty()) res["orgID"] = p.resource().org_id();
    if (!p.resource().name().empty()) res["name"] = p.resource().name();
    if (!p.resource().org().empty()) res["org"] = p.resource().org();
    perms.push_back(Json{{"action", p.action()}, {"resource", std::move(res)}});
  }
  j["permissions"] = std::move(perms);
  j["links"] = Links({{"self", absl::StrCat("/api/v2/authorizations/", a.id())},
                      {"user", absl::StrCat("/api/v2/users/", a.user_id())}});
  j["createdAt"] = Rfc3339(a.created_at());
  j["updatedAt"] = Rfc3339(a.updated_at());
  // authd's lifecycle fields, only when set (InfluxDB's clients ignore unknown fields).
  if (a.has_expires_at()) j["expiresAt"] = Rfc3339(a.expires_at());
  if (a.has_last_used_at()) j["lastUsedAt"] = Rfc3339(a.last_used_at());
  if (a.has_rotated_at()) j["rotatedAt"] = Rfc3339(a.rotated_at());
  if (a.has_previous_token_valid_until()) {
    j["previousTokenValidUntil"] = Rfc3339(a.previous_token_valid_until());
  }
  return j;
}

Json UserJson(const authd::v1::User& u) {
  Json j = Json::object();
  j["id"] = u.id();
  j["name"] = u.name();
  j["status"] = u.status();
  j["links"] = Links({{"self", absl::StrCat("/api/v2/users/", u.id())}});
  return j;
}

Json OrgJson(const authd::v1::Org& o) {
  Json j = Json::object();
  const std::string self = absl::StrCat("/api/v2/orgs/", o.id());
  j["links"] = Links({{"self", self},
                      {"buckets", absl::StrCat("/api/v2/buckets?org=", o.name())},
                      {"members", self + "/members"},
                      {"owners", self + "/owners"}});
  j["id"] = o.id();
  j["name"] = o.name();
  j["description"] = o.description();
  j["createdAt"] = Rfc3339(o.created_at());
  j["updatedAt"] = Rfc3339(o.updated_at());
  return j;
}

Json BucketJson(const authd::v1::Bucket& b) {
  Json j = Json::object();
  j["links"] = Links({{"self", absl::StrCat("/api/v2/buckets/", b.id())},
                      {"org", absl::StrCat("/api/v2/orgs/", b.org_id())}});
  j["id"] = b.id();
  j["orgID"] = b.org_id();
  j["type"] = "user";
  j["name"] = b.name();
  j["description"] = b.description();
  Json rules = Json::array();
  // InfluxDB: retention 0 means "forever" and is sent as one rule with everySeconds 0.
  rules.push_back(Json{{"type", "expire"}, {"everySeconds", b.retention_period_seconds()}});
  j["retentionRules"] = std::move(rules);
  j["createdAt"] = Rfc3339(b.created_at());
  j["updatedAt"] = Rfc3339(b.updated_at());
  return j;
}

Json SetupJson(const authd::v1::SetupResponse& r) {
  Json j = Json::object();
  j["user"] = UserJson(r.user());
  j["bucket"] = BucketJson(r.bucket());
  j["org"] = OrgJson(r.org());
  j["auth"] = AuthorizationJson(r.authorization());
  return j;
}

}  // namespace authd::http
