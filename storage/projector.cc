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

absl::StatusOr<pb::AuthorizationRecord> LoadAuthorization(ProjectionBatch* batch, uint64_t id) {
  return Load<pb::AuthorizationRecord>(batch, kAuthorizationsCf, EncodeU64(id), "authorization", id);
}

void PutUser(const pb::UserRecord& user, ProjectionBatch* batch) {
  batch->Put(kTenantsCf, TaggedIdKey(kUserTag, user.id()), user.SerializeAsString());
  batch->Publish(IndexOp{IndexOp::Kind::kSetUserActive, {}, {}, user.id(), IsActive(user.status())});
}

// Writes the record and publishes its grants: the secret's, and during a rotation's grace period
// the previous secret's too.
absl::Status PutAuthorization(const pb::AuthorizationRecord& auth, ProjectionBatch* batch) {
  batch->Put(kAuthorizationsCf, EncodeU64(auth.id()), auth.SerializeAsString());
  AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest digest, DigestOf(auth));
  AUTHD_ASSIGN_OR_RETURN(authz::TokenGrant grant, GrantOf(auth));
  batch->Publish(IndexOp{IndexOp::Kind::kPutToken, digest, std::move(grant), 0, false});
  if (!auth.previous_token_hash().empty()) {
    AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest previous, PreviousDigestOf(auth));
    AUTHD_ASSIGN_OR_RETURN(authz::TokenGrant previous_grant, PreviousGrantOf(auth));
    batch->Publish(IndexOp{IndexOp::Kind::kPutToken, previous, std::move(previous_grant), 0, false});
  }
  return absl::OkStatus();
}

// Drops the previous secret of a rotation (its index row and grant), if the record has one.
absl::Status DropPreviousSecret(pb::AuthorizationRecord* auth, ProjectionBatch* batch) {
  if (auth->previous_token_hash().empty()) return absl::OkStatus();
  AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest previous, PreviousDigestOf(*auth));
  batch->Delete(kTokenIndexCf, auth->previous_token_hash());
  batch->Publish(IndexOp{IndexOp::Kind::kEraseToken, previous, {}, 0, false});
  auth->clear_previous_token_hash();
  auth->clear_previous_valid_until_unix_nanos();
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
  IndexOp op{IndexOp::Kind::kSetBucketOrg};
  op.bucket_id = bucket.id();
  op.org_id = bucket.org_id();
  batch->Publish(std::move(op));
  return absl::OkStatus();
}

absl::Status ProjectBucketDeleted(const pb::BucketDeleted& e, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kBucketTag, e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::BucketRecord bucket,
                         Load<pb::BucketRecord>(batch, kTenantsCf, key, "bucket", e.id()));
  batch->Delete(kTenantsCf, key);
  batch->Delete(kTenantsCf, BucketNameKey(bucket.org_id(), bucket.name()));
  IndexOp op{IndexOp::Kind::kSetBucketOrg};
  op.bucket_id = bucket.id();
  batch->Publish(std::move(op));
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
  AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth, LoadAuthorization(batch, e.id()));
  if (e.has_status()) auth.set_status(e.status());
  if (e.has_description()) auth.set_description(e.description());
  if (e.has_expires_at_unix_nanos()) {
    auth.set_expires_at_unix_nanos(e.expires_at_unix_nanos());
    auth.set_expiry_recorded(false);
  }
  auth.set_updated_at_unix_nanos(now);
  return PutAuthorization(auth, batch);
}

absl::Status ProjectAuthorizationExpired(const pb::AuthorizationExpired& e,
                                         ProjectionBatch* batch) {
  AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth, LoadAuthorization(batch, e.id()));
  if (e.previous_token()) {
    AUTHD_RETURN_IF_ERROR(DropPreviousSecret(&auth, batch));
  } else {
    auth.set_expiry_recorded(true);
  }
  return PutAuthorization(auth, batch);
}

absl::Status ProjectAuthorizationsUsed(const pb::AuthorizationsUsed& e, ProjectionBatch* batch) {
  for (const pb::AuthorizationsUsed::Use& use : e.uses()) {
    AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth, LoadAuthorization(batch, use.id()));
    if (use.at_unix_nanos() <= auth.last_used_at_unix_nanos()) continue;
    auth.set_last_used_at_unix_nanos(use.at_unix_nanos());
    AUTHD_RETURN_IF_ERROR(PutAuthorization(auth, batch));
  }
  return absl::OkStatus();
}

absl::Status ProjectAuthorizationRotated(const pb::AuthorizationRotated& e, int64_t now,
                                         ProjectionBatch* batch) {
  AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth, LoadAuthorization(batch, e.id()));
  // At most one previous secret: one still in a grace period goes now.
  AUTHD_RETURN_IF_ERROR(DropPreviousSecret(&auth, batch));
  AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest old_digest, DigestOf(auth));
  const bool keep_old = e.previous_valid_until_unix_nanos() > 0;
  if (keep_old) {
    auth.set_previous_token_hash(auth.token_hash());
    auth.set_previous_valid_until_unix_nanos(e.previous_valid_until_unix_nanos());
  } else {
    batch->Delete(kTokenIndexCf, auth.token_hash());
  }
  auth.set_token_hash(e.token_hash());
  AUTHD_ASSIGN_OR_RETURN(std::string index_key, IndexKeyOf(auth));
  batch->Put(kTokenIndexCf, index_key, EncodeU64(auth.id()));
  auth.set_rotated_at_unix_nanos(now);
  auth.set_updated_at_unix_nanos(now);
  AUTHD_RETURN_IF_ERROR(PutAuthorization(auth, batch));
  // After the new grant is in, so the token's usage slot carries over.
  if (!keep_old) batch->Publish(IndexOp{IndexOp::Kind::kEraseToken, old_digest, {}, 0, false});
  return absl::OkStatus();
}

absl::Status ProjectOrgUpdated(const pb::OrgUpdated& e, int64_t now, ProjectionBatch* batch) {
  std::string key = TaggedIdKey(kOrgTag, e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::OrgRecord org, Load<pb::OrgRecord>(batch, kTenantsCf, key, "org", e.id()));
  if (e.has_description()) org.set_description(e.description());
  if (e.has_max_token_lifetime_nanos()) org.set_max_token_lifetime_nanos(e.max_token_lifetime_nanos());
  org.set_updated_at_unix_nanos(now);
  batch->Put(kTenantsCf, key, org.SerializeAsString());
  return absl::OkStatus();
}

absl::Status ProjectAuthorizationDeleted(const pb::AuthorizationDeleted& e,
                                         ProjectionBatch* batch) {
  std::string key = EncodeU64(e.id());
  AUTHD_ASSIGN_OR_RETURN(pb::AuthorizationRecord auth, LoadAuthorization(batch, e.id()));
  AUTHD_ASSIGN_OR_RETURN(std::string index_key, IndexKeyOf(auth));
  AUTHD_ASSIGN_OR_RETURN(authz::TokenDigest digest, DigestOf(auth));
  AUTHD_RETURN_IF_ERROR(DropPreviousSecret(&auth, batch));
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
    case pb::Event::kAuthorizationExpired:
      return ProjectAuthorizationExpired(event.authorization_expired(), batch);
    case pb::Event::kAuthorizationsUsed:
      return ProjectAuthorizationsUsed(event.authorizations_used(), batch);
    case pb::Event::kAuthorizationRotated:
      return ProjectAuthorizationRotated(event.authorization_rotated(), now, batch);
    case pb::Event::kOrgUpdated:
      return ProjectOrgUpdated(event.org_updated(), now, batch);
    case pb::Event::BODY_NOT_SET:
      break;
  }
  return absl::DataLossError(absl::StrCat("event ", event.sequence(), " has no known body"));
}

}  // namespace authd::storage
