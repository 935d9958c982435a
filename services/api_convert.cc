#include "services/api_convert.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "authz/authorization_rules.h"

namespace authd::services {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(int64_t nanos) { return TimeUtil::NanosecondsToTimestamp(nanos); }

}  // namespace

absl::StatusOr<authz::Permission> ParsePermission(const api::Permission& in,
                                                  const std::string& field) {
  authz::Permission p;
  auto action = authz::ParseAction(in.action());
  if (!action) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".action: invalid action type for permission (want read or write)"));
  }
  p.action = *action;
  auto type = authz::ParseResourceType(in.resource().type());
  if (!type) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".resource.type: invalid resource type for permission"));
  }
  p.resource.type = *type;
  auto id = authz::ParseOptionalId(in.resource().id(), absl::StrCat(field, ".resource.id"));
  if (!id.ok()) return id.status();
  auto org_id =
      authz::ParseOptionalId(in.resource().org_id(), absl::StrCat(field, ".resource.org_id"));
  if (!org_id.ok()) return org_id.status();
  p.resource.id = *id;
  p.resource.org_id = *org_id;
  return p;
}

absl::StatusOr<std::vector<authz::Permission>> ParsePermissions(
    const google::protobuf::RepeatedPtrField<api::Permission>& in) {
  std::vector<authz::Permission> out;
  out.reserve(in.size());
  for (int i = 0; i < in.size(); ++i) {
    auto p = ParsePermission(in[i], absl::StrCat("permissions[", i, "]"));
    if (!p.ok()) return p.status();
    out.push_back(*p);
  }
  return out;
}

api::User ApiRenderer::User(const spb::UserRecord& r) const {
  api::User out;
  out.set_id(authz::FormatId(r.id()));
  out.set_name(r.name());
  out.set_status(std::string(authz::ActiveStatusName(storage::IsActive(r.status()))));
  *out.mutable_created_at() = Ts(r.created_at_unix_nanos());
  *out.mutable_updated_at() = Ts(r.updated_at_unix_nanos());
  return out;
}

api::Org ApiRenderer::Org(const spb::OrgRecord& r) const {
  api::Org out;
  out.set_id(authz::FormatId(r.id()));
  out.set_name(r.name());
  out.set_description(r.description());
  *out.mutable_created_at() = Ts(r.created_at_unix_nanos());
  *out.mutable_updated_at() = Ts(r.updated_at_unix_nanos());
  if (r.max_token_lifetime_nanos() != 0) {
    *out.mutable_max_token_lifetime() =
        google::protobuf::util::TimeUtil::NanosecondsToDuration(r.max_token_lifetime_nanos());
  }
  return out;
}

api::Bucket ApiRenderer::Bucket(const spb::BucketRecord& r) const {
  api::Bucket out;
  out.set_id(authz::FormatId(r.id()));
  out.set_org_id(authz::FormatId(r.org_id()));
  out.set_name(r.name());
  out.set_description(r.description());
  out.set_retention_period_seconds(r.retention_period_seconds());
  *out.mutable_created_at() = Ts(r.created_at_unix_nanos());
  *out.mutable_updated_at() = Ts(r.updated_at_unix_nanos());
  return out;
}

std::string ApiRenderer::OrgName(authz::Id id) {
  auto it = org_names_.find(id);
  if (it != org_names_.end()) return it->second;
  auto org = store_->GetOrg(id);
  return org_names_[id] = org.ok() ? org->name() : "";
}

std::string ApiRenderer::UserName(authz::Id id) {
  auto it = user_names_.find(id);
  if (it != user_names_.end()) return it->second;
  auto user = store_->GetUser(id);
  return user_names_[id] = user.ok() ? user->name() : "";
}

std::string ApiRenderer::BucketName(authz::Id id) {
  auto it = bucket_names_.find(id);
  if (it != bucket_names_.end()) return it->second;
  auto bucket = store_->GetBucket(id);
  return bucket_names_[id] = bucket.ok() ? bucket->name() : "";
}

api::Permission ApiRenderer::Permission(const authz::Permission& p) {
  api::Permission out;
  out.set_action(std::string(authz::ActionName(p.action)));
  api::Resource* r = out.mutable_resource();
  r->set_type(std::string(authz::ResourceTypeName(p.resource.type)));
  r->set_id(authz::FormatId(p.resource.id));
  r->set_org_id(authz::FormatId(p.resource.org_id));
  if (p.resource.org_id != 0) r->set_org(OrgName(p.resource.org_id));
  if (p.resource.id != 0) {
    switch (p.resource.type) {
      case authz::ResourceType::kBuckets:
        r->set_name(BucketName(p.resource.id));
        break;
      case authz::ResourceType::kOrgs:
        r->set_name(OrgName(p.resource.id));
        break;
      case authz::ResourceType::kUsers:
        r->set_name(UserName(p.resource.id));
        break;
      default:
        break;
    }
  }
  return out;
}

api::Authorization ApiRenderer::Authorization(const spb::AuthorizationRecord& r,
                                              const std::string& token) {
  api::Authorization out;
  out.set_id(authz::FormatId(r.id()));
  if (!token.empty()) {
    out.set_token(token);
  } else if (auto raw = store_->RawToken(r.id()); raw.ok() && raw->has_value()) {
    // Stored raw (hashing off): shown, as InfluxDB does. A hashed token is never shown again.
    out.set_token(**raw);
  }
  out.set_status(std::string(authz::ActiveStatusName(storage::IsActive(r.status()))));
  out.set_description(r.description());
  out.set_org_id(authz::FormatId(r.org_id()));
  out.set_org(OrgName(r.org_id()));
  out.set_user_id(authz::FormatId(r.user_id()));
  out.set_user(UserName(r.user_id()));
  for (const spb::PermissionRecord& pr : r.permissions()) {
    auto p = storage::FromRecord(pr);
    if (p.ok()) *out.add_permissions() = Permission(*p);
  }
  *out.mutable_created_at() = Ts(r.created_at_unix_nanos());
  *out.mutable_updated_at() = Ts(r.updated_at_unix_nanos());
  // Lifecycle fields only when set, so a token without them renders exactly as before.
  if (r.expires_at_unix_nanos() != 0) *out.mutable_expires_at() = Ts(r.expires_at_unix_nanos());
  if (r.last_used_at_unix_nanos() != 0) {
    *out.mutable_last_used_at() = Ts(r.last_used_at_unix_nanos());
  }
  if (r.rotated_at_unix_nanos() != 0) *out.mutable_rotated_at() = Ts(r.rotated_at_unix_nanos());
  if (!r.previous_token_hash().empty()) {
    *out.mutable_previous_token_valid_until() = Ts(storage::PreviousSecretEnd(r));
  }
  return out;
}

}  // namespace authd::services
