#include "storage/record_codec.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace authd::storage {
namespace {

using authz::Action;
using authz::Permission;
using authz::ResourceType;

constexpr authz::Id kOrg = 0x0000000000000c01;
constexpr authz::Id kUser = 0x0000000000000b01;
constexpr authz::Id kAuth = 0x0000000000000a01;
constexpr authz::Id kBucket = 0x0000000000000d01;

pb::Event ValidEvent() {
  pb::Event e;
  e.set_format_version(1);
  e.set_sequence(7);
  e.set_time_unix_nanos(123);
  e.mutable_org_deleted()->set_id(kOrg);
  return e;
}

TEST(RecordCodecTest, PermissionRoundTripsForEveryResourceTypeAndAction) {
  for (ResourceType type : authz::AllResourceTypes()) {
    for (Action action : {Action::kRead, Action::kWrite}) {
      for (const Permission& p :
           {authz::GlobalPermission(action, type), authz::OrgPermission(action, type, kOrg),
            authz::IdPermission(action, type, kBucket),
            authz::OrgIdPermission(action, type, kOrg, kBucket)}) {
        pb::PermissionRecord record = ToRecord(p);
        EXPECT_EQ(record.resource_type(), static_cast<uint32_t>(type) + 1);
        EXPECT_EQ(record.action(),
                  action == Action::kRead ? pb::ACTION_READ : pb::ACTION_WRITE);
        EXPECT_EQ(record.id(), p.resource.id);
        EXPECT_EQ(record.org_id(), p.resource.org_id);
        auto back = FromRecord(record);
        ASSERT_TRUE(back.ok()) << back.status();
        EXPECT_EQ(*back, p) << authz::PermissionString(p);
      }
    }
  }
}

TEST(RecordCodecTest, FromRecordRejectsZeroResourceType) {
  pb::PermissionRecord r;
  r.set_action(pb::ACTION_READ);
  r.set_resource_type(0);
  auto p = FromRecord(r);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, FromRecordRejectsUnknownResourceType) {
  for (uint32_t type : {uint32_t{authz::kResourceTypeCount} + 1, 99u}) {
    pb::PermissionRecord r;
    r.set_action(pb::ACTION_WRITE);
    r.set_resource_type(type);
    auto p = FromRecord(r);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss) << type;
  }
}

TEST(RecordCodecTest, FromRecordAcceptsLastResourceType) {
  pb::PermissionRecord r;
  r.set_action(pb::ACTION_READ);
  r.set_resource_type(authz::kResourceTypeCount);  // instance (22) + 1
  auto p = FromRecord(r);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->resource.type, ResourceType::kInstance);
}

TEST(RecordCodecTest, FromRecordRejectsUnspecifiedAction) {
  pb::PermissionRecord r;
  r.set_action(pb::ACTION_UNSPECIFIED);
  r.set_resource_type(2);
  EXPECT_EQ(FromRecord(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, FromRecordRejectsOutOfRangeAction) {
  pb::PermissionRecord r;
  r.set_action(static_cast<pb::Action>(7));
  r.set_resource_type(2);
  EXPECT_EQ(FromRecord(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, PermissionsOfFailsWhenAnyPermissionIsCorrupt) {
  pb::AuthorizationRecord auth;
  *auth.add_permissions() = ToRecord(authz::GlobalPermission(Action::kRead, ResourceType::kBuckets));
  pb::PermissionRecord* bad = auth.add_permissions();
  bad->set_action(pb::ACTION_READ);
  bad->set_resource_type(0);
  EXPECT_EQ(PermissionsOf(auth).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, StatusMapsUnspecifiedToActive) {
  EXPECT_TRUE(IsActive(pb::STATUS_UNSPECIFIED));
  EXPECT_TRUE(IsActive(pb::STATUS_ACTIVE));
  EXPECT_FALSE(IsActive(pb::STATUS_INACTIVE));
  EXPECT_EQ(ToStatus(true), pb::STATUS_ACTIVE);
  EXPECT_EQ(ToStatus(false), pb::STATUS_INACTIVE);
}

TEST(RecordCodecTest, GrantOfCopiesIdsActivityAndPermissions) {
  pb::AuthorizationRecord auth;
  auth.set_id(kAuth);
  auth.set_user_id(kUser);
  auth.set_org_id(kOrg);
  auth.set_status(pb::STATUS_INACTIVE);
  const Permission p = authz::OrgPermission(Action::kWrite, ResourceType::kBuckets, kOrg);
  *auth.add_permissions() = ToRecord(p);
  auto grant = GrantOf(auth);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->authorization_id, kAuth);
  EXPECT_EQ(grant->user_id, kUser);
  EXPECT_EQ(grant->org_id, kOrg);
  EXPECT_FALSE(grant->active);
  EXPECT_EQ(grant->permissions, std::vector<Permission>{p});
}

TEST(RecordCodecTest, DecodeEventRejectsGarbageBytes) {
  for (const std::string& garbage :
       {std::string("not a protobuf"), std::string(11, '\xff'), std::string("\x0a\x05" "ab", 4)}) {
    auto e = DecodeEvent(garbage);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(RecordCodecTest, DecodeEventRejectsFormatVersionZero) {
  pb::Event e = ValidEvent();
  e.set_format_version(0);
  auto got = DecodeEvent(e.SerializeAsString());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, DecodeEventRejectsFormatVersionNewerThanBuild) {
  pb::Event e = ValidEvent();
  e.set_format_version(kEventFormatVersion + 1);
  auto got = DecodeEvent(e.SerializeAsString());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find(absl::StrCat("format version ", kEventFormatVersion + 1)),
            std::string::npos)
      << got.status();
}

TEST(RecordCodecTest, DecodeEventRejectsMissingBody) {
  pb::Event e = ValidEvent();
  e.clear_body();
  auto got = DecodeEvent(e.SerializeAsString());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find("no body"), std::string::npos) << got.status();
}

TEST(RecordCodecTest, DecodeEventAcceptsValidEvent) {
  pb::Event e = ValidEvent();
  auto got = DecodeEvent(e.SerializeAsString());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), e.SerializeAsString());
  EXPECT_EQ(got->sequence(), 7u);
  EXPECT_EQ(got->org_deleted().id(), kOrg);
}

TEST(RecordCodecTest, DigestOfHashedRecordEqualsDigestOfToken) {
  const std::string token = "authd-test-token-0123456789";
  pb::AuthorizationRecord auth;
  auth.set_token_hash(authz::HashToken(token));
  auto digest = DigestOf(auth);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, authz::DigestToken(token));
  auto key = IndexKeyOf(auth);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, authz::HashToken(token));
}

TEST(RecordCodecTest, DigestOfRecordWithoutHashIsDataLoss) {
  pb::AuthorizationRecord auth;
  auth.set_id(kAuth);
  auto digest = DigestOf(auth);
  EXPECT_EQ(digest.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(digest.status().message().find(authz::FormatId(kAuth)), std::string::npos)
      << digest.status();
  EXPECT_EQ(IndexKeyOf(auth).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RecordCodecTest, DigestOfMalformedHashIsDataLoss) {
  const std::string canonical = authz::HashToken("authd-test-token-0123456789");
  std::string unpadded = canonical;
  unpadded.pop_back();  // The canonical form is padded: 43 characters + '='.
  for (const std::string& bad : {std::string("$unknown-variant$AAAA"), std::string("plain"),
                                 std::string("$authd-sha256$"), unpadded}) {
    pb::AuthorizationRecord auth;
    auth.set_id(kAuth);
    auth.set_token_hash(bad);
    EXPECT_EQ(DigestOf(auth).status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_EQ(IndexKeyOf(auth).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(RecordCodecTest, DecodeNamesWhatFailed) {
  auto r = Decode<pb::UserRecord>(std::string(3, '\xff'), "user");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "corrupt stored user");
}

}  // namespace
}  // namespace authd::storage
