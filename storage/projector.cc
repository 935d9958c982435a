#include "storage/projector.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/keys.h"

namespace authd::storage {
namespace {

using authz::FormatId;

template <typename T>
absl::StatusOr<T> Load(ProjectionBatch* batch, absl::string_view cf, const std::string& key,
                       absl::string_view what, uint64_t id) {
  AUTHD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, batch->Get(cf, key));
  if (!bytes) {
    return absl::DataLossError(
        absl::StrCat("event refers to missing ", what, " ", FormatId(id)));
  }
  return Decode<T>(*bytes, what);
}

void PutUser(const pb::UserRecord& user, ProjectionBatch* batch) {
  batch->Put(kTenantsCf, TaggedIdKey(kUserTag, user.id()), user.SerializeAsString());
  batch->Publish(IndexOp{IndexOp::Kind::kSetUserActive, {}, {}, user.id(), IsActive(user.status())});
}

absl::Status PutAuthorization(const pb::AuthorizationRecord& auth, ProjectionBatch* batch) {
  batch->Put(kAuthorizationsCf, EncodeU64(auth.id()), auth.SerializeAsString());
  AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest digest, DigestOf(auth));
  AUTHD_ASSIGN_OR_RETURN(authz::TokenGrant grant, GrantOf(auth));
  batch->Publish(IndexOp{IndexOp::Kind::kPutToken, digest, std::move(grant), 0, false});
  return absl::OkStatus();
}

absl::Status ProjectUserCreated(const pb::UserCreated& e, ProjectionBatch* batch) {
  const pb::UserRecord& user = e.user();
  batch->Put(kTenantsCf, TaggedNameKey(kUserNameTag, user.name()), EncodeU64(user.id()));
  PutUser(user, batch);
  return absl::OkStatus();
}

absl::Status ProjectUserUpdated(const pb::UserUpdated& e, int64_t now, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kUserTag, e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user, Load<pb::UserRecord>(batch, kTenantsCf, key, "user", e.id()));
  if (e.has_name() && e.name() != user.name()) {
    batch->Delete(kTenantsCf, TaggedNameKey(kUserNameTag, user.name()));
    batch->Put(kTenantsCf, TaggedNameKey(kUserNameTag, e.name()), EncodeU64(user.id()));
    user.set_name(e.name());
  }
  if (e.has_status()) user.set_status(e.status());
  user.set_updated_at_unix_nanos(now);
  PutUser(user, batch);
  return absl::OkStatus();
}

absl::Status ProjectUserDeleted(const pb::UserDeleted& e, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kUserTag, e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user, Load<pb::UserRecord>(batch, kTenantsCf, key, "user", e.id()));
  batch->Delete(kTenantsCf, key);
  batch->Delete(kTenantsCf, TaggedNameKey(kUserNameTag, user.name()));
  batch->Publish(IndexOp{IndexOp::Kind::kSetUserActive, {}, {}, user.id(), false});
  return absl::OkStatus();
}

absl::Status ProjectPasswordSet(const pb::PasswordSet& e, int64_t now, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kUserTag, e.user_id());
  AUTHD_ASSIGN_OR_RETURN(pb::UserRecord user,
                         Load<pb::UserRecord>(batch, kTenantsCf, key, "user", e.user_id()));
  user.set_password_hash(e.password_hash());
  user.set_updated_at_unix_nanos(now);
  PutUser(user, batch);
  return absl::OkStatus();
}

absl::Status ProjectOrgCreated(const pb::OrgCreated& e, ProjectionBatch* batch) {
  const pb::OrgRecord& org = e.org();
  batch->Put(kTenantsCf, TaggedIdKey(kOrgTag, org.id()), org.SerializeAsString());
  batch->Put(kTenantsCf, TaggedNameKey(kOrgNameTag, org.name()), EncodeU64(org.id()));
  return absl::OkStatus();
}

absl::Status ProjectOrgDeleted(const pb::OrgDeleted& e, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kOrgTag, e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::OrgRecord org, Load<pb::OrgRecord>(batch, kTenantsCf, key, "org", e.id()));
  batch->Delete(kTenantsCf, key);
  batch->Delete(kTenantsCf, TaggedNameKey(kOrgNameTag, org.name()));
  return absl::OkStatus();
}

absl::Status ProjectBucketCreated(const pb::BucketCreated& e, ProjectionBatch* batch) {
  const pb::BucketRecord& bucket = e.bucket();
  batch->Put(kTenantsCf, TaggedIdKey(kBucketTag, bucket.id()), bucket.SerializeAsString());
  batch->Put(kTenantsCf, BucketNameKey(bucket.org_id(), bucket.name()), EncodeU64(bucket.id()));
  return absl::OkStatus();
}

absl::Status ProjectBucketDeleted(const pb::BucketDeleted& e, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kBucketTag, e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::BucketRecord bucket,
                         Load<pb::BucketRecord>(batch, kTenantsCf, key, "bucket", e.id()));
  batch->Delete(kTenantsCf, key);
  batch->Delete(kTenantsCf, BucketNameKey(bucket.org_id(), bucket.name()));
  return absl::OkStatus();
}

absl::Status ProjectAuthorizationCreated(const pb::AuthorizationCreated& e,
                                         ProjectionBatch* batch) {
  const pb::AuthorizationRecord& auth = e.authorization();
  AUTHD_ASSIGN_OR_RETURN(std::string index_key, IndexKeyOf(auth));
  batch->Put(kTokenIndexCf, index_key, EncodeU64(auth.id()));
  batch->Put(kAuthByUserCf, PairKey(auth.user_id(), auth.id()), "");
  batch->Put(kAuthByOrgCf, PairKey(auth.org_id(), auth.id()), "");
  return PutAuthorization(auth, batch);
}

absl::Status ProjectAuthorizationUpdated(const pb::AuthorizationUpdated& e, int64_t now,
                                         ProjectionBatch* batch) {
  AUTHD_ASSIGN_OR_RETURN(
      pb::AuthorizationRecord auth,
      Load<pb::AuthorizationRecord>(batch, kAuthorizationsCf, EncodeU64(e.id()), "authorization",
                                    e.id()));
  if (e.has_status()) auth.set_status(e.status());
  if (e.has_description()) auth.set_description(e.description());
  auth.set_updated_at_unix_nanos(now);
  return PutAuthorization(auth, batch);
}

absl::Status ProjectAuthorizationDeleted(const pb::AuthorizationDeleted& e,
                                         ProjectionBatch* batch) {
  std::string key = EncodeU64(e.id());
  AUTHD_ASSIGN_OR_RETURN(
      pb::AuthorizationRecord auth,
      Load<pb::AuthorizationRecord>(batch, kAuthorizationsCf, key, "authorization", e.id()));
  AUTHD_ASSIGN_OR_RETURN(std::string index_key, IndexKeyOf(auth));
  AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest digest, DigestOf(auth));
  batch->Delete(kAuthorizationsCf, key);
  batch->Delete(kTokenIndexCf, index_key);
  batch->Delete(kAuthByUserCf, PairKey(auth.user_id(), auth.id()));
  batch->Delete(kAuthByOrgCf, PairKey(auth.org_id(), auth.id()));
  // A raw copy (hashing disabled) goes with the token.
  batch->Delete(kRawTokensCf, key);
  batch->Publish(IndexOp{IndexOp::Kind::kEraseToken, digest, {}, 0, false});
  return absl::OkStatus();
}

}  // namespace

absl::Status Project(const pb::Event& event, ProjectionBatch* batch) {
  const int64_t now = event.time_unix_nanos();
  switch (event.body_case()) {
    case pb::Event::kSetupCompleted:
      batch->Put(kTenantsCf, InstanceKey(), event.setup_completed().instance().SerializeAsString());
      return absl::OkStatus();
    case pb::Event::kUserCreated:
      return ProjectUserCreated(event.user_created(), batch);
    case pb::Event::kUserUpdated:
      return ProjectUserUpdated(event.user_updated(), now, batch);
    case pb::Event::kUserDeleted:
      return ProjectUserDeleted(event.user_deleted(), batch);
    case pb::Event::kPasswordSet:
      return ProjectPasswordSet(event.password_set(), now, batch);
    case pb::Event::kOrgCreated:
      return ProjectOrgCreated(event.org_created(), batch);
    case pb::Event::kOrgDeleted:
      return ProjectOrgDeleted(event.org_deleted(), batch);
    case pb::Event::kBucketCreated:
      return ProjectBucketCreated(event.bucket_created(), batch);
    case pb::Event::kBucketDeleted:
      return ProjectBucketDeleted(event.bucket_deleted(), batch);
    case pb::Event::kAuthorizationCreated:
      return ProjectAuthorizationCreated(event.authorization_created(), batch);
    case pb::Event::kAuthorizationUpdated:
      return ProjectAuthorizationUpdated(event.authorization_updated(), now, batch);
    case pb::Event::kAuthorizationDeleted:
      return ProjectAuthorizationDeleted(event.authorization_deleted(), batch);
    case pb::Event::kAuthorizationTokenHashed:
      // The record already holds the hash; only the raw copy goes.
      batch->Delete(kRawTokensCf, EncodeU64(event.authorization_token_hashed().id()));
      return absl::OkStatus();
    case pb::Event::BODY_NOT_SET:
      break;
  }
  return absl::DataLossError(absl::StrCat("event ", event.sequence(), " has no known body"));
}

}  // namespace authd::storage
