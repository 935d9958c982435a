#include "storage/projector.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "authz/permission.h"
#include "authz/token_hash.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/projection_batch.h"
#include "storage/record_codec.h"

namespace authd::storage {
namespace {

using authz::Action;
using authz::ResourceType;
using Writes = std::map<ProjectionBatch::Key, std::optional<std::string>>;

constexpr authz::Id kUser = 0x0000000000000b01;
constexpr authz::Id kOrg = 0x0000000000000c01;
constexpr authz::Id kBucket = 0x0000000000000d01;
constexpr authz::Id kAuth = 0x0000000000000a01;
constexpr int64_t kNow = 1700000000000000000;

// An in-memory ProjectionReader: (cf, key) -> value.
class FakeProjectionReader final : public ProjectionReader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view cf,
                                                 absl::string_view key) override {
    auto it = data_.find({std::string(cf), std::string(key)});
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  void Put(absl::string_view cf, std::string key, std::string value) {
    data_[{std::string(cf), std::move(key)}] = std::move(value);
  }
  // Applies a batch's writes, as a commit would.
  void Apply(const Writes& writes) {
    for (const auto& [key, value] : writes) {
      if (value) {
        data_[key] = *value;
      } else {
        data_.erase(key);
      }
    }
  }

 private:
  std::map<std::pair<std::string, std::string>, std::string> data_;
};

ProjectionBatch::Key K(absl::string_view cf, std::string key) {
  return {std::string(cf), std::move(key)};
}

pb::Event Stamped(pb::Event e) {
  e.set_format_version(1);
  e.set_sequence(1);
  e.set_time_unix_nanos(kNow);
  return e;
}

pb::UserRecord User(std::string name, pb::Status status = pb::STATUS_ACTIVE) {
  pb::UserRecord u;
  u.set_id(kUser);
  u.set_name(std::move(name));
  u.set_status(status);
  u.set_password_hash("$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA");
  u.set_created_at_unix_nanos(1);
  u.set_updated_at_unix_nanos(1);
  return u;
}

pb::OrgRecord Org() {
  pb::OrgRecord o;
  o.set_id(kOrg);
  o.set_name("acme");
  o.set_description("the org");
  return o;
}

pb::BucketRecord Bucket() {
  pb::BucketRecord b;
  b.set_id(kBucket);
  b.set_org_id(kOrg);
  b.set_name("metrics");
  b.set_retention_period_seconds(3600);
  return b;
}

const std::string kToken = "authd-projector-test-token";

pb::AuthorizationRecord Auth() {
  pb::AuthorizationRecord a;
  a.set_id(kAuth);
  a.set_status(pb::STATUS_ACTIVE);
  a.set_description("writer");
  a.set_org_id(kOrg);
  a.set_user_id(kUser);
  *a.add_permissions() = ToRecord(authz::OrgPermission(Action::kWrite, ResourceType::kBuckets, kOrg));
  a.set_token_hash(authz::HashToken(kToken));
  a.set_created_at_unix_nanos(1);
  a.set_updated_at_unix_nanos(1);
  return a;
}

class ProjectorTest : public ::testing::Test {
 protected:
  absl::Status Run(const pb::Event& event) {
    batch_.Clear();
    return Project(Stamped(event), &batch_);
  }
  // Runs `event` and applies its writes to the base (a committed event).
  void Commit(const pb::Event& event) {
    ASSERT_TRUE(Run(event).ok());
    base_.Apply(batch_.writes());
  }
  void SeedUser(const pb::UserRecord& u) {
    base_.Put(kTenantsCf, TaggedIdKey(kUserTag, u.id()), u.SerializeAsString());
    base_.Put(kTenantsCf, TaggedNameKey(kUserNameTag, u.name()), EncodeU64(u.id()));
  }

  FakeProjectionReader base_;
  ProjectionBatch batch_{&base_};
};

TEST_F(ProjectorTest, SetupCompletedWritesInstanceKey) {
  pb::Event e;
  pb::InstanceRecord* inst = e.mutable_setup_completed()->mutable_instance();
  inst->set_owner_user_id(kUser);
  inst->set_setup_org_id(kOrg);
  inst->set_setup_at_unix_nanos(kNow);
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(), (Writes{{K(kTenantsCf, "i"), inst->SerializeAsString()}}));
  EXPECT_TRUE(batch_.index_ops().empty());
}

TEST_F(ProjectorTest, UserCreatedWritesRecordAndNameAndPublishesActivity) {
  pb::Event e;
  *e.mutable_user_created()->mutable_user() = User("alice");
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, TaggedIdKey(kUserTag, kUser)), User("alice").SerializeAsString()},
                    {K(kTenantsCf, "Ualice"), EncodeU64(kUser)}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  const IndexOp& op = batch_.index_ops()[0];
  EXPECT_EQ(op.kind, IndexOp::Kind::kSetUserActive);
  EXPECT_EQ(op.user_id, kUser);
  EXPECT_TRUE(op.active);
}

TEST_F(ProjectorTest, UserCreatedInactivePublishesInactiveUser) {
  pb::Event e;
  *e.mutable_user_created()->mutable_user() = User("bob", pb::STATUS_INACTIVE);
  ASSERT_TRUE(Run(e).ok());
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kSetUserActive);
  EXPECT_FALSE(batch_.index_ops()[0].active);
}

TEST_F(ProjectorTest, UserUpdatedRenameMovesNameKey) {
  SeedUser(User("alice"));
  pb::Event e;
  e.mutable_user_updated()->set_id(kUser);
  e.mutable_user_updated()->set_name("alicia");
  ASSERT_TRUE(Run(e).ok());
  pb::UserRecord want = User("alicia");
  want.set_updated_at_unix_nanos(kNow);
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, "Ualice"), std::nullopt},
                    {K(kTenantsCf, "Ualicia"), EncodeU64(kUser)},
                    {K(kTenantsCf, TaggedIdKey(kUserTag, kUser)), want.SerializeAsString()}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kSetUserActive);
  EXPECT_TRUE(batch_.index_ops()[0].active);
}

TEST_F(ProjectorTest, UserUpdatedStatusOnlyKeepsNameKey) {
  SeedUser(User("alice"));
  pb::Event e;
  e.mutable_user_updated()->set_id(kUser);
  e.mutable_user_updated()->set_status(pb::STATUS_INACTIVE);
  ASSERT_TRUE(Run(e).ok());
  pb::UserRecord want = User("alice", pb::STATUS_INACTIVE);
  want.set_updated_at_unix_nanos(kNow);
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, TaggedIdKey(kUserTag, kUser)), want.SerializeAsString()}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].user_id, kUser);
  EXPECT_FALSE(batch_.index_ops()[0].active);
}

TEST_F(ProjectorTest, UserUpdatedMissingUserIsDataLoss) {
  pb::Event e;
  e.mutable_user_updated()->set_id(kUser);
  e.mutable_user_updated()->set_name("x");
  absl::Status s = Run(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("missing user"), std::string::npos) << s;
}

TEST_F(ProjectorTest, UserDeletedRemovesRecordAndNameAndDeactivates) {
  SeedUser(User("alice"));
  pb::Event e;
  e.mutable_user_deleted()->set_id(kUser);
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(), (Writes{{K(kTenantsCf, TaggedIdKey(kUserTag, kUser)), std::nullopt},
                                     {K(kTenantsCf, "Ualice"), std::nullopt}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kSetUserActive);
  EXPECT_EQ(batch_.index_ops()[0].user_id, kUser);
  EXPECT_FALSE(batch_.index_ops()[0].active);
}

TEST_F(ProjectorTest, UserDeletedMissingUserIsDataLoss) {
  pb::Event e;
  e.mutable_user_deleted()->set_id(kUser);
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, PasswordSetRewritesUserRecord) {
  SeedUser(User("alice"));
  pb::Event e;
  e.mutable_password_set()->set_user_id(kUser);
  e.mutable_password_set()->set_password_hash("$argon2id$new");
  ASSERT_TRUE(Run(e).ok());
  pb::UserRecord want = User("alice");
  want.set_password_hash("$argon2id$new");
  want.set_updated_at_unix_nanos(kNow);
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, TaggedIdKey(kUserTag, kUser)), want.SerializeAsString()}}));
}

TEST_F(ProjectorTest, PasswordSetMissingUserIsDataLoss) {
  pb::Event e;
  e.mutable_password_set()->set_user_id(kUser);
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, OrgCreatedWritesRecordAndName) {
  pb::Event e;
  *e.mutable_org_created()->mutable_org() = Org();
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, TaggedIdKey(kOrgTag, kOrg)), Org().SerializeAsString()},
                    {K(kTenantsCf, "Oacme"), EncodeU64(kOrg)}}));
  EXPECT_TRUE(batch_.index_ops().empty());
}

TEST_F(ProjectorTest, OrgDeletedRemovesRecordAndName) {
  pb::Event created;
  *created.mutable_org_created()->mutable_org() = Org();
  Commit(created);
  pb::Event e;
  e.mutable_org_deleted()->set_id(kOrg);
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(), (Writes{{K(kTenantsCf, TaggedIdKey(kOrgTag, kOrg)), std::nullopt},
                                     {K(kTenantsCf, "Oacme"), std::nullopt}}));
}

TEST_F(ProjectorTest, OrgDeletedMissingOrgIsDataLoss) {
  pb::Event e;
  e.mutable_org_deleted()->set_id(kOrg);
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, BucketCreatedWritesRecordAndPerOrgNameAndPublishesItsOrg) {
  pb::Event e;
  *e.mutable_bucket_created()->mutable_bucket() = Bucket();
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, TaggedIdKey(kBucketTag, kBucket)), Bucket().SerializeAsString()},
                    {K(kTenantsCf, BucketNameKey(kOrg, "metrics")), EncodeU64(kBucket)}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kSetBucketOrg);
  EXPECT_EQ(batch_.index_ops()[0].bucket_id, kBucket);
  EXPECT_EQ(batch_.index_ops()[0].org_id, kOrg);
}

TEST_F(ProjectorTest, BucketDeletedRemovesRecordAndName) {
  pb::Event created;
  *created.mutable_bucket_created()->mutable_bucket() = Bucket();
  Commit(created);
  pb::Event e;
  e.mutable_bucket_deleted()->set_id(kBucket);
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, TaggedIdKey(kBucketTag, kBucket)), std::nullopt},
                    {K(kTenantsCf, BucketNameKey(kOrg, "metrics")), std::nullopt}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kSetBucketOrg);
  EXPECT_EQ(batch_.index_ops()[0].bucket_id, kBucket);
  EXPECT_EQ(batch_.index_ops()[0].org_id, 0u);
}

TEST_F(ProjectorTest, BucketDeletedMissingBucketIsDataLoss) {
  pb::Event e;
  e.mutable_bucket_deleted()->set_id(kBucket);
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, AuthorizationCreatedWritesFourKeysAndPublishesToken) {
  pb::Event e;
  *e.mutable_authorization_created()->mutable_authorization() = Auth();
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kAuthorizationsCf, EncodeU64(kAuth)), Auth().SerializeAsString()},
                    {K(kTokenIndexCf, authz::HashToken(kToken)), EncodeU64(kAuth)},
                    {K(kAuthByUserCf, PairKey(kUser, kAuth)), ""},
                    {K(kAuthByOrgCf, PairKey(kOrg, kAuth)), ""}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  const IndexOp& op = batch_.index_ops()[0];
  EXPECT_EQ(op.kind, IndexOp::Kind::kPutToken);
  EXPECT_EQ(op.digest, authz::DigestToken(kToken));
  EXPECT_EQ(op.grant.authorization_id, kAuth);
  EXPECT_EQ(op.grant.user_id, kUser);
  EXPECT_EQ(op.grant.org_id, kOrg);
  EXPECT_TRUE(op.grant.active);
  EXPECT_EQ(op.grant.permissions,
            std::vector<authz::Permission>{
                authz::OrgPermission(Action::kWrite, ResourceType::kBuckets, kOrg)});
}

TEST_F(ProjectorTest, AuthorizationCreatedWithoutTokenIsDataLoss) {
  pb::AuthorizationRecord auth = Auth();
  auth.clear_token_hash();
  pb::Event e;
  *e.mutable_authorization_created()->mutable_authorization() = auth;
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, AuthorizationUpdatedRewritesRecordAndRepublishes) {
  pb::Event created;
  *created.mutable_authorization_created()->mutable_authorization() = Auth();
  Commit(created);
  pb::Event e;
  e.mutable_authorization_updated()->set_id(kAuth);
  e.mutable_authorization_updated()->set_status(pb::STATUS_INACTIVE);
  e.mutable_authorization_updated()->set_description("disabled");
  ASSERT_TRUE(Run(e).ok());
  pb::AuthorizationRecord want = Auth();
  want.set_status(pb::STATUS_INACTIVE);
  want.set_description("disabled");
  want.set_updated_at_unix_nanos(kNow);
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kAuthorizationsCf, EncodeU64(kAuth)), want.SerializeAsString()}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kPutToken);
  EXPECT_EQ(batch_.index_ops()[0].digest, authz::DigestToken(kToken));
  EXPECT_FALSE(batch_.index_ops()[0].grant.active);
}

TEST_F(ProjectorTest, AuthorizationUpdatedWithoutFieldsOnlyTouchesTimestamp) {
  pb::Event created;
  *created.mutable_authorization_created()->mutable_authorization() = Auth();
  Commit(created);
  pb::Event e;
  e.mutable_authorization_updated()->set_id(kAuth);
  ASSERT_TRUE(Run(e).ok());
  pb::AuthorizationRecord want = Auth();
  want.set_updated_at_unix_nanos(kNow);
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kAuthorizationsCf, EncodeU64(kAuth)), want.SerializeAsString()}}));
}

TEST_F(ProjectorTest, AuthorizationUpdatedMissingRecordIsDataLoss) {
  pb::Event e;
  e.mutable_authorization_updated()->set_id(kAuth);
  e.mutable_authorization_updated()->set_status(pb::STATUS_INACTIVE);
  absl::Status s = Run(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("missing authorization"), std::string::npos) << s;
  EXPECT_TRUE(batch_.index_ops().empty());
}

TEST_F(ProjectorTest, AuthorizationDeletedRemovesItsKeysAndErasesToken) {
  pb::Event created;
  *created.mutable_authorization_created()->mutable_authorization() = Auth();
  Commit(created);
  pb::Event e;
  e.mutable_authorization_deleted()->set_id(kAuth);
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kAuthorizationsCf, EncodeU64(kAuth)), std::nullopt},
                    {K(kTokenIndexCf, authz::HashToken(kToken)), std::nullopt},
                    {K(kAuthByUserCf, PairKey(kUser, kAuth)), std::nullopt},
                    {K(kAuthByOrgCf, PairKey(kOrg, kAuth)), std::nullopt},
                    // A raw copy (stored while hashing was off) goes with the token.
                    {K(kRawTokensCf, EncodeU64(kAuth)), std::nullopt}}));
  ASSERT_EQ(batch_.index_ops().size(), 1u);
  EXPECT_EQ(batch_.index_ops()[0].kind, IndexOp::Kind::kEraseToken);
  EXPECT_EQ(batch_.index_ops()[0].digest, authz::DigestToken(kToken));
}

TEST_F(ProjectorTest, AuthorizationDeletedMissingRecordIsDataLoss) {
  pb::Event e;
  e.mutable_authorization_deleted()->set_id(kAuth);
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, AuthorizationTokenHashedDeletesOnlyTheRawCopy) {
  pb::Event created;
  *created.mutable_authorization_created()->mutable_authorization() = Auth();
  Commit(created);
  pb::Event e;
  e.mutable_authorization_token_hashed()->set_id(kAuth);
  ASSERT_TRUE(Run(e).ok());
  EXPECT_EQ(batch_.writes(), (Writes{{K(kRawTokensCf, EncodeU64(kAuth)), std::nullopt}}));
  EXPECT_TRUE(batch_.index_ops().empty());
}

TEST_F(ProjectorTest, EventWithoutBodyIsDataLoss) {
  pb::Event e;
  EXPECT_EQ(Run(e).code(), absl::StatusCode::kDataLoss);
}

TEST_F(ProjectorTest, LaterEventInSameBatchSeesEarlierPendingWrite) {
  // Create then rename in one batch (no commit in between): the rename reads the pending record.
  pb::Event created;
  *created.mutable_user_created()->mutable_user() = User("alice");
  ASSERT_TRUE(Project(Stamped(created), &batch_).ok());
  pb::Event renamed;
  renamed.mutable_user_updated()->set_id(kUser);
  renamed.mutable_user_updated()->set_name("alicia");
  ASSERT_TRUE(Project(Stamped(renamed), &batch_).ok());
  pb::UserRecord want = User("alicia");
  want.set_updated_at_unix_nanos(kNow);
  EXPECT_EQ(batch_.writes(),
            (Writes{{K(kTenantsCf, "Ualice"), std::nullopt},
                    {K(kTenantsCf, "Ualicia"), EncodeU64(kUser)},
                    {K(kTenantsCf, TaggedIdKey(kUserTag, kUser)), want.SerializeAsString()}}));
  EXPECT_EQ(batch_.index_ops().size(), 2u);
}

}  // namespace
}  // namespace authd::storage
