#include "http/influx_json.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::http {
namespace {

TEST(CreateAuthorizationFromJsonTest, ReadsInfluxDbFieldNames) {
  auto req = CreateAuthorizationFromJson(R"({
    "orgID": "0000000000000001", "userID": "0000000000000002", "description": "d",
    "status": "inactive", "unknownField": [1, 2],
    "permissions": [{"action": "read", "resource": {"type": "buckets", "id": "0000000000000003",
                     "orgID": "0000000000000001", "name": "ignored"}}]})");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->org_id(), "0000000000000001");
  EXPECT_EQ(req->user_id(), "0000000000000002");
  EXPECT_EQ(req->description(), "d");
  EXPECT_EQ(req->status(), "inactive");
  ASSERT_EQ(req->permissions_size(), 1);
  EXPECT_EQ(req->permissions(0).action(), "read");
  EXPECT_EQ(req->permissions(0).resource().type(), "buckets");
  EXPECT_EQ(req->permissions(0).resource().id(), "0000000000000003");
  EXPECT_EQ(req->permissions(0).resource().org_id(), "0000000000000001");
  EXPECT_EQ(req->permissions(0).resource().name(), "");  // output only
}

TEST(CreateAuthorizationFromJsonTest, ShapeErrorsAreInvalidJsonStructure) {
  for (const char* bad : {"", "nul", "[]", "\"s\"", "{\"orgID\": 5}", "{\"permissions\": {}}",
                          "{\"permissions\": [5]}", "{\"permissions\": [{\"resource\": []}]}",
                          "{\"permissions\": [{\"action\": true}]}", "{\"description\": \"\xff\"}",
                          "{\"a\": 1} trailing", "{\"description\": \"a\"", "{'a': 1}"}) {
    SCOPED_TRACE(bad);
    auto req = CreateAuthorizationFromJson(bad);
    ASSERT_FALSE(req.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(req.status()));
    EXPECT_TRUE(absl::StartsWith(req.status().message(), "invalid json structure"))
        << req.status();
  }
}

TEST(CreateAuthorizationFromJsonTest, NullsAreAbsentAndValuesAreLeftToTheService) {
  auto req = CreateAuthorizationFromJson(R"({"orgID": null, "permissions": null})");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->org_id(), "");
  EXPECT_EQ(req->permissions_size(), 0);
  // An empty body object is well formed; the service says what is missing.
  EXPECT_TRUE(CreateAuthorizationFromJson("{}").ok());
}

TEST(CreateAuthorizationFromJsonTest, AuthdPresetIsTheRequestsPreset) {
  auto all = CreateAuthorizationFromJson(R"({"orgID":"0000000000000001","authdPreset":"all-access"})");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->preset(), authd::v1::PRESET_ALL_ACCESS);
  auto op = CreateAuthorizationFromJson(R"({"orgID":"0000000000000001","authdPreset":"operator"})");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->preset(), authd::v1::PRESET_OPERATOR);
  EXPECT_EQ(CreateAuthorizationFromJson("{}")->preset(), authd::v1::PRESET_UNSPECIFIED);
  auto bad = CreateAuthorizationFromJson(R"({"authdPreset":"root"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "authdPreset: must be all-access or operator");
}

TEST(LifecycleJsonTest, ExpiresAtOnCreateAndPatchAndTheRotateBody) {
  auto created = CreateAuthorizationFromJson(R"({"orgID":"o","expiresAt":"2030-01-02T03:04:05.5Z"})");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->expires_at().seconds(), 1893553445);
  EXPECT_EQ(created->expires_at().nanos(), 500000000);
  auto offset = CreateAuthorizationFromJson(R"({"expiresAt":"2030-01-02T05:04:05+02:00"})");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(offset->expires_at().seconds(), 1893553445);
  for (const char* bad : {R"({"expiresAt":"tomorrow"})", R"({"expiresAt":12})"}) {
    EXPECT_EQ(CreateAuthorizationFromJson(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  auto never = UpdateAuthorizationFromJson("abc", R"({"expiresAt":""})");
  ASSERT_TRUE(never.ok());
  EXPECT_TRUE(never->never_expires());
  EXPECT_FALSE(never->has_expires_at());
  auto later = UpdateAuthorizationFromJson("abc", R"({"expiresAt":"2030-01-02T03:04:05Z"})");
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->has_expires_at());
  EXPECT_FALSE(UpdateAuthorizationFromJson("abc", "{}")->has_expires_at());

  auto bare = RotateAuthorizationFromJson("abc", "");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->id(), "abc");
  EXPECT_FALSE(bare->has_grace_period());
  auto grace = RotateAuthorizationFromJson("abc", R"({"gracePeriodSeconds":3600})");
  ASSERT_TRUE(grace.ok());
  EXPECT_EQ(grace->grace_period().seconds(), 3600);
  EXPECT_EQ(RotateAuthorizationFromJson("abc", R"({"gracePeriodSeconds":"1h"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RotateAuthorizationFromJson("abc", "[]").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UpdateAuthorizationFromJsonTest, OnlyStatusAndDescriptionAndPresenceIsKept) {
  auto both = UpdateAuthorizationFromJson("abc", R"({"status":"inactive","description":"","permissions":[]})");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->id(), "abc");
  EXPECT_TRUE(both->has_status());
  EXPECT_EQ(both->status(), "inactive");
  EXPECT_TRUE(both->has_description());
  EXPECT_EQ(both->description(), "");
  auto none = UpdateAuthorizationFromJson("abc", "{}");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_status());
  EXPECT_FALSE(none->has_description());
  EXPECT_FALSE(UpdateAuthorizationFromJson("abc", R"({"status": 1})").ok());
}

TEST(SetupFromJsonTest, ReadsFieldsAndTheDeprecatedHours) {
  auto req = SetupFromJson(
      R"({"username":"u","password":"p","org":"o","bucket":"b","token":"t","retentionPeriodHrs":2})");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->username(), "u");
  EXPECT_EQ(req->password(), "p");
  EXPECT_EQ(req->org(), "o");
  EXPECT_EQ(req->bucket(), "b");
  EXPECT_EQ(req->token(), "t");
  EXPECT_EQ(req->retention_period_seconds(), 7200);
  auto seconds = SetupFromJson(R"({"retentionPeriodSeconds":60,"retentionPeriodHrs":2})");
  ASSERT_TRUE(seconds.ok());
  EXPECT_EQ(seconds->retention_period_seconds(), 60);
  EXPECT_FALSE(SetupFromJson(R"({"retentionPeriodSeconds":"60"})").ok());
  EXPECT_FALSE(SetupFromJson(R"({"retentionPeriodHrs":1e300})").ok());
  EXPECT_FALSE(SetupFromJson(R"({"retentionPeriodHrs":99999999999999})").ok());
}

TEST(AuthorizationJsonTest, InfluxDbFieldsOrderLinksAndTimes) {
  authd::v1::Authorization a;
  a.set_id("00000000000000aa");
  a.set_status("active");
  a.set_description("d");
  a.set_org_id("0000000000000001");
  a.set_org("acme");
  a.set_user_id("0000000000000002");
  a.set_user("alice");
  auto* p = a.add_permissions();
  p->set_action("write");
  p->mutable_resource()->set_type("buckets");
  p->mutable_resource()->set_org_id("0000000000000001");
  p->mutable_resource()->set_org("acme");
  a.mutable_created_at()->set_seconds(1700000000);
  a.mutable_created_at()->set_nanos(5);
  a.mutable_updated_at()->set_seconds(1700000001);
  EXPECT_EQ(
      Dump(AuthorizationJson(a)),
      R"({"id":"00000000000000aa","token":"","status":"active","description":"d",)"
      R"("orgID":"0000000000000001","org":"acme","userID":"0000000000000002","user":"alice",)"
      R"("permissions":[{"action":"write","resource":{"type":"buckets","orgID":"0000000000000001","org":"acme"}}],)"
      R"("links":{"self":"/api/v2/authorizations/00000000000000aa","user":"/api/v2/users/0000000000000002"},)"
      R"("createdAt":"2023-11-14T22:13:20.000000005Z","updatedAt":"2023-11-14T22:13:21Z"})");
}

}  // namespace
}  // namespace authd::http
