#include "cli/permission_flags.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace authd::cli {
namespace {

using authz::ResourceType;

bool IsOssOnly(ResourceType type) {
  switch (type) {
    case ResourceType::kSources:
    case ResourceType::kScrapers:
    case ResourceType::kNotebooks:
    case ResourceType::kRemotes:
    case ResourceType::kReplications:
      return true;
    default:
      return false;
  }
}

// influx's makePermResource: orgs and users are never scoped under an org.
authd::v1::Permission MakePermission(absl::string_view action, ResourceType type,
                                     absl::string_view id, absl::string_view org_id) {
  authd::v1::Permission p;
  p.set_action(std::string(action));
  authd::v1::Resource* r = p.mutable_resource();
  r->set_type(std::string(authz::ResourceTypeName(type)));
  r->set_id(std::string(id));
  if (type != ResourceType::kOrgs && type != ResourceType::kUsers) r->set_org_id(std::string(org_id));
  return p;
}

absl::StatusOr<std::vector<authd::v1::Permission>> ExplicitPermissions(const PermissionFlags& flags,
                                                                       absl::string_view org_id) {
  std::vector<authd::v1::Permission> out;
  for (const auto& [action, ids] : {std::pair<const char*, const std::vector<std::string>*>{
                                        "read", &flags.read_bucket_ids},
                                    {"write", &flags.write_bucket_ids}}) {
    for (const std::string& id : *ids) {
      absl::StatusOr<std::string> valid = ValidateBucketId(id);
      if (!valid.ok()) return valid.status();
      out.push_back(MakePermission(action, ResourceType::kBuckets, *valid, org_id));
    }
  }
  for (ResourceType type : FlagResourceTypes()) {
    int i = static_cast<int>(type);
    if (flags.read_type[i]) out.push_back(MakePermission("read", type, "", org_id));
    if (flags.write_type[i]) out.push_back(MakePermission("write", type, "", org_id));
  }
  return out;
}

}  // namespace

const std::vector<ResourceType>& FlagResourceTypes() {
  static const std::vector<ResourceType>* const kTypes = [] {
    auto* types = new std::vector<ResourceType>();
    for (ResourceType t : authz::AllResourceTypes()) {
      if (t != ResourceType::kInstance && !IsOssOnly(t)) types->push_back(t);
    }
    for (ResourceType t : authz::AllResourceTypes()) {
      if (IsOssOnly(t)) types->push_back(t);
    }
    return types;
  }();
  return *kTypes;
}

absl::StatusOr<std::string> ValidateBucketId(absl::string_view id) {
  // influx: influxid.Validate -> "id must have a length of 16 bytes" / "invalid ID".
  const char* why = nullptr;
  if (id.size() != 16) {
    why = "id must have a length of 16 bytes";
  } else if (!std::all_of(id.begin(), id.end(),
                          [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }) ||
             id == "0000000000000000") {
    why = "invalid ID";
  }
  if (why != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("invalid bucket ID '", id, "': ", why,
                                                   " (did you pass a bucket name instead of an ID?)"));
  }
  return absl::AsciiStrToLower(id);
}

absl::Status CheckPermissionFlags(const PermissionFlags& flags) {
  return ComposePermissions(flags, "").status();
}

absl::StatusOr<ComposedPermissions> ComposePermissions(const PermissionFlags& flags,
                                                       absl::string_view org_id) {
  ComposedPermissions out;
  absl::StatusOr<std::vector<authd::v1::Permission>> explicit_permissions =
      ExplicitPermissions(flags, org_id);
  if (!explicit_permissions.ok()) return explicit_permissions.status();
  out.permissions = *std::move(explicit_permissions);
  if (flags.operator_preset) {
    if (!out.permissions.empty()) {
      return absl::InvalidArgumentError("cannot compose other permissions with operator permissions");
    }
    out.preset = authd::v1::PRESET_OPERATOR;
  }
  if (flags.all_access) {
    if (!out.permissions.empty() || out.preset != authd::v1::PRESET_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          "cannot compose other permissions with all access permissions");
    }
    out.preset = authd::v1::PRESET_ALL_ACCESS;
  }
  return out;
}

std::string PermissionString(const authd::v1::Permission& permission) {
  const authd::v1::Resource& r = permission.resource();
  std::string out = absl::StrCat(permission.action(), ":");
  if (!r.org_id().empty()) absl::StrAppend(&out, "orgs/", r.org_id());
  absl::StrAppend(&out, "/", r.type());
  if (!r.id().empty()) absl::StrAppend(&out, "/", r.id());
  return out;
}

}  // namespace authd::cli
