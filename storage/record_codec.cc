#include "storage/record_codec.h"

#include "absl/strings/str_cat.h"

namespace authd::storage {

pb::PermissionRecord ToRecord(const authz::Permission& permission) {
  pb::PermissionRecord r;
  r.set_action(permission.action == authz::Action::kRead ? pb::ACTION_READ : pb::ACTION_WRITE);
  r.set_resource_type(static_cast<uint32_t>(permission.resource.type) + 1);
  r.set_id(permission.resource.id);
  r.set_org_id(permission.resource.org_id);
  return r;
}

absl::StatusOr<authz::Permission> FromRecord(const pb::PermissionRecord& record) {
  authz::Permission p;
  switch (record.action()) {
    case pb::ACTION_READ:
      p.action = authz::Action::kRead;
      break;
    case pb::ACTION_WRITE:
      p.action = authz::Action::kWrite;
      break;
    default:
      return absl::DataLossError("stored permission has an unknown action");
  }
  if (record.resource_type() == 0) {
    return absl::DataLossError("stored permission has no resource type");
  }
  auto type = authz::ResourceTypeFromNumber(record.resource_type() - 1);
  if (!type) return absl::DataLossError("stored permission has an unknown resource type");
  p.resource = authz::Resource{*type, record.id(), record.org_id()};
  return p;
}

absl::StatusOr<std::vector<authz::Permission>> PermissionsOf(const pb::AuthorizationRecord& auth) {
  std::vector<authz::Permission> out;
  out.reserve(auth.permissions_size());
  for (const pb::PermissionRecord& r : auth.permissions()) {
    auto p = FromRecord(r);
    if (!p.ok()) return p.status();
    out.push_back(*p);
  }
  return out;
}

bool IsActive(pb::Status status) { return status != pb::STATUS_INACTIVE; }

pb::Status ToStatus(bool active) { return active ? pb::STATUS_ACTIVE : pb::STATUS_INACTIVE; }

absl::StatusOr<authz::TokenGrant> GrantOf(const pb::AuthorizationRecord& auth) {
  authz::TokenGrant grant;
  grant.authorization_id = auth.id();
  grant.user_id = auth.user_id();
  grant.org_id = auth.org_id();
  grant.active = IsActive(auth.status());
  auto perms = PermissionsOf(auth);
  if (!perms.ok()) return perms.status();
  grant.permissions = std::move(*perms);
  grant.expires_at_ns = auth.expires_at_unix_nanos();
  grant.expiry_recorded = auth.expiry_recorded();
  grant.SetRecordedUse(auth.last_used_at_unix_nanos() / 1000000000);
  return grant;
}

int64_t PreviousSecretEnd(const pb::AuthorizationRecord& auth) {
  const int64_t until = auth.previous_valid_until_unix_nanos();
  const int64_t own = auth.expires_at_unix_nanos();
  return own != 0 && own < until ? own : until;
}

absl::StatusOr<authz::TokenGrant> PreviousGrantOf(const pb::AuthorizationRecord& auth) {
  auto grant = GrantOf(auth);
  if (!grant.ok()) return grant.status();
  grant->previous_secret = true;
  grant->expiry_recorded = false;
  grant->expires_at_ns = PreviousSecretEnd(auth);
  return grant;
}

absl::StatusOr<authz::TokenDigest> PreviousDigestOf(const pb::AuthorizationRecord& auth) {
  auto digest = authz::DecodeTokenHash(auth.previous_token_hash());
  if (!digest.ok()) {
    return absl::DataLossError(absl::StrCat("authorization ", authz::FormatId(auth.id()),
                                            " (previous secret): ", digest.status().message()));
  }
  return *digest;
}

uint32_t EventFormatVersionFor(const pb::Event& event) {
  switch (event.body_case()) {
    case pb::Event::kAuthorizationExpired:
    case pb::Event::kAuthorizationsUsed:
    case pb::Event::kAuthorizationRotated:
    case pb::Event::kOrgUpdated:
      return kLifecycleEventFormatVersion;
    case pb::Event::kAuthorizationCreated:
      return event.authorization_created().authorization().expires_at_unix_nanos() != 0
                 ? kLifecycleEventFormatVersion
                 : 1;
    case pb::Event::kAuthorizationUpdated:
      return event.authorization_updated().has_expires_at_unix_nanos()
                 ? kLifecycleEventFormatVersion
                 : 1;
    default:
      return 1;
  }
}

absl::StatusOr<authz::TokenDigest> DigestOf(const pb::AuthorizationRecord& auth) {
  auto digest = authz::DecodeTokenHash(auth.token_hash());
  if (!digest.ok()) {
    return absl::DataLossError(absl::StrCat("authorization ", authz::FormatId(auth.id()), ": ",
                                            digest.status().message()));
  }
  return *digest;
}

absl::StatusOr<std::string> IndexKeyOf(const pb::AuthorizationRecord& auth) {
  auto digest = DigestOf(auth);
  if (!digest.ok()) return digest.status();
  return auth.token_hash();
}

absl::StatusOr<pb::Event> DecodeEvent(absl::string_view bytes) {
  auto event = Decode<pb::Event>(bytes, "event");
  if (!event.ok()) return event.status();
  if (event->format_version() == 0 || event->format_version() > kEventFormatVersion) {
    return absl::DataLossError(absl::StrCat("event ", event->sequence(), " has format version ",
                                            event->format_version(), "; this authd reads up to ",
                                            kEventFormatVersion));
  }
  if (event->body_case() == pb::Event::BODY_NOT_SET) {
    return absl::DataLossError(absl::StrCat("event ", event->sequence(), " has no body"));
  }
  return event;
}

}  // namespace authd::storage
