// End-to-end: InfluxDB OSS v2's token scenarios, driven through the real authd binary over gRPC.
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace authd::e2e {
namespace {

class ScenariosE2eTest : public SetUpAuthdTest {
 protected:
  void SetUp() override {
    SetUpAuthdTest::SetUp();
    if (HasFatalFailure()) return;
    v1::CreateOrgRequest req;
    req.set_name("globex");
    v1::Org org;
    grpc::Status s = client_->tenant->CreateOrg(AuthdClient::Ctx(operator_token_).get(), req, &org);
    ASSERT_TRUE(s.ok()) << s.error_message();
    other_org_ = org.id();
    v1::CreateBucketRequest breq;
    breq.set_org_id(other_org_);
    breq.set_name("theirs");
    v1::Bucket bucket;
    s = client_->tenant->CreateBucket(AuthdClient::Ctx(operator_token_).get(), breq, &bucket);
    ASSERT_TRUE(s.ok()) << s.error_message();
    other_bucket_ = bucket.id();
  }

  v1::Authorization Preset(v1::Preset preset, const std::string& org,
                           const std::string& caller = "") {
    v1::CreateAuthorizationRequest req;
    req.set_org_id(org);
    req.set_preset(preset);
    v1::Authorization out;
    grpc::Status s = client_->Create(caller.empty() ? operator_token_ : caller, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  bool Allowed(const std::string& token, const std::string& action, const std::string& type,
               const std::string& id, const std::string& org) {
    return client_->Authorize(token, action, type, id, org).allowed();
  }

  std::string other_org_, other_bucket_;
};

TEST_F(ScenariosE2eTest, OperatorTokenIsAllowedEverythingInEveryOrg) {
  for (const std::string& org : {org_id_, other_org_}) {
    EXPECT_TRUE(Allowed(operator_token_, "write", "buckets", "", org));
    EXPECT_TRUE(Allowed(operator_token_, "read", "authorizations", "", org));
  }
  EXPECT_TRUE(Allowed(operator_token_, "write", "orgs", "", ""));
  EXPECT_TRUE(Allowed(operator_token_, "write", "users", "", ""));
  // instance is never in a token, not even the operator's.
  EXPECT_FALSE(Allowed(operator_token_, "write", "instance", "", ""));
}

TEST_F(ScenariosE2eTest, AllAccessTokenIsConfinedToItsOrg) {
  v1::Authorization all = Preset(v1::PRESET_ALL_ACCESS, org_id_);
  ASSERT_EQ(all.permissions_size(), 43);
  const std::string& t = all.token();
  EXPECT_TRUE(Allowed(t, "write", "buckets", "", org_id_));
  EXPECT_TRUE(Allowed(t, "read", "buckets", bucket_id_, org_id_));
  EXPECT_TRUE(Allowed(t, "write", "dashboards", "", org_id_));
  EXPECT_TRUE(Allowed(t, "read", "orgs", org_id_, ""));
  EXPECT_FALSE(Allowed(t, "write", "orgs", org_id_, ""));
  EXPECT_TRUE(Allowed(t, "write", "users", user_id_, ""));
  // Another org: nothing.
  EXPECT_FALSE(Allowed(t, "read", "buckets", "", other_org_));
  EXPECT_FALSE(Allowed(t, "read", "buckets", other_bucket_, other_org_));
  EXPECT_FALSE(Allowed(t, "read", "orgs", other_org_, ""));
  // Global requests are not org requests.
  EXPECT_FALSE(Allowed(t, "read", "buckets", "", ""));

  // It can mint tokens in its own org but not in another.
  v1::CreateAuthorizationRequest req;
  req.set_org_id(other_org_);
  *req.add_permissions() = Perm("read", "buckets", other_bucket_, other_org_);
  v1::Authorization out;
  grpc::Status s = client_->Create(t, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "write:orgs/" + other_org_ + "/authorizations is unauthorized");
  v1::Authorization own = MustCreate({Perm("read", "buckets", bucket_id_, org_id_)}, org_id_, t);
  EXPECT_TRUE(Allowed(own.token(), "read", "buckets", bucket_id_, org_id_));
}

TEST_F(ScenariosE2eTest, ReadBucketAndWriteBucketTokensAreNotInterchangeable) {
  v1::Authorization reader = MustCreate({Perm("read", "buckets", bucket_id_, org_id_)});
  v1::Authorization writer = MustCreate({Perm("write", "buckets", bucket_id_, org_id_)});
  EXPECT_TRUE(Allowed(reader.token(), "read", "buckets", bucket_id_, org_id_));
  auto denied = client_->Authorize(reader.token(), "write", "buckets", bucket_id_, org_id_);
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.reason(), v1::DENY_REASON_NO_PERMISSION);
  EXPECT_EQ(denied.authorization_id(), reader.id());
  EXPECT_EQ(denied.user_id(), user_id_);
  EXPECT_EQ(denied.org_id(), org_id_);
  EXPECT_TRUE(Allowed(writer.token(), "write", "buckets", bucket_id_, org_id_));
  EXPECT_FALSE(Allowed(writer.token(), "read", "buckets", bucket_id_, org_id_));
}

TEST_F(ScenariosE2eTest, IdScopedGrantsAndOrgWideRequestsFollowInfluxDbMatching) {
  v1::Authorization by_id = MustCreate({Perm("read", "buckets", bucket_id_, org_id_)});
  // An id grant does not satisfy an org-wide request (list or create in the org).
  EXPECT_FALSE(Allowed(by_id.token(), "read", "buckets", "", org_id_));
  // It matches the id, whatever org the request names (InfluxDB ignores the org then).
  EXPECT_TRUE(Allowed(by_id.token(), "read", "buckets", bucket_id_, ""));
  EXPECT_TRUE(Allowed(by_id.token(), "read", "buckets", bucket_id_, other_org_));

  v1::Authorization org_wide = MustCreate({Perm("read", "buckets", "", org_id_)});
  EXPECT_TRUE(Allowed(org_wide.token(), "read", "buckets", "", org_id_));
  EXPECT_TRUE(Allowed(org_wide.token(), "read", "buckets", bucket_id_, org_id_));
  // An org-wide grant cannot satisfy an id-only request.
  EXPECT_FALSE(Allowed(org_wide.token(), "read", "buckets", bucket_id_, ""));
  EXPECT_FALSE(Allowed(org_wide.token(), "read", "buckets", other_bucket_, other_org_));
}

TEST_F(ScenariosE2eTest, EscalationIsRefused) {
  v1::Authorization all = Preset(v1::PRESET_ALL_ACCESS, org_id_);
  v1::CreateAuthorizationRequest req;
  req.set_org_id(org_id_);
  req.set_preset(v1::PRESET_OPERATOR);
  v1::Authorization out;
  grpc::Status s = client_->Create(all.token(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "permission read:authorizations is not allowed");

  // A global grant needs a global holding, even for an all-access caller.
  v1::CreateAuthorizationRequest global;
  global.set_org_id(org_id_);
  *global.add_permissions() = Perm("read", "buckets");
  s = client_->Create(all.token(), global, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "permission read:buckets is not allowed");

  // A bucket reader cannot create tokens at all.
  v1::Authorization reader = MustCreate({Perm("read", "buckets", bucket_id_, org_id_)});
  v1::CreateAuthorizationRequest narrow;
  narrow.set_org_id(org_id_);
  *narrow.add_permissions() = Perm("read", "buckets", bucket_id_, org_id_);
  s = client_->Create(reader.token(), narrow, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "write:orgs/" + org_id_ + "/authorizations is unauthorized");
}

TEST_F(ScenariosE2eTest, InvalidPermissionSetsAreRejected) {
  struct Case {
    std::string name;
    v1::CreateAuthorizationRequest req;
    std::string message;
  };
  std::vector<Case> cases;
  {
    Case c{"no permissions", {}, "authorization must include permissions"};
    c.req.set_org_id(org_id_);
    cases.push_back(c);
  }
  {
    Case c{"no org", {}, "org id required"};
    *c.req.add_permissions() = Perm("read", "buckets", "", org_id_);
    cases.push_back(c);
  }
  {
    Case c{"instance", {}, "authorizations cannot be created with the instance type, it is only used during setup"};
    c.req.set_org_id(org_id_);
    *c.req.add_permissions() = Perm("read", "instance");
    cases.push_back(c);
  }
  {
    Case c{"other org", {}, "permission read:orgs/" + other_org_ + "/buckets is not for org id " + org_id_};
    c.req.set_org_id(org_id_);
    *c.req.add_permissions() = Perm("read", "buckets", "", other_org_);
    cases.push_back(c);
  }
  {
    Case c{"preset plus permissions", {}, "preset: cannot compose other permissions with a preset"};
    c.req.set_org_id(org_id_);
    c.req.set_preset(v1::PRESET_ALL_ACCESS);
    *c.req.add_permissions() = Perm("read", "buckets", "", org_id_);
    cases.push_back(c);
  }
  {
    Case c{"bad type", {}, "permissions[0].resource.type: invalid resource type for permission"};
    c.req.set_org_id(org_id_);
    *c.req.add_permissions() = Perm("read", "Buckets", "", org_id_);
    cases.push_back(c);
  }
  {
    Case c{"bad action", {}, "permissions[0].action: invalid action type for permission (want read or write)"};
    c.req.set_org_id(org_id_);
    *c.req.add_permissions() = Perm("delete", "buckets", "", org_id_);
    cases.push_back(c);
  }
  {
    Case c{"bad id", {}, "permissions[0].resource.id: id must be 16 lowercase hex characters"};
    c.req.set_org_id(org_id_);
    *c.req.add_permissions() = Perm("read", "buckets", "metrics", org_id_);
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Authorization out;
    grpc::Status s = client_->Create(operator_token_, c.req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), c.message);
  }
}

TEST_F(ScenariosE2eTest, InactiveAndDeletedTokensAreDenied) {
  v1::Authorization all = Preset(v1::PRESET_ALL_ACCESS, org_id_);
  v1::UpdateAuthorizationRequest upd;
  upd.set_id(all.id());
  upd.set_status("inactive");
  v1::Authorization updated;
  ASSERT_TRUE(
      client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), upd, &updated).ok());
  EXPECT_EQ(updated.status(), "inactive");
  EXPECT_EQ(updated.token(), "");
  auto r = client_->Authorize(all.token(), "read", "buckets", "", org_id_);
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DENY_REASON_INACTIVE_TOKEN);

  // As a caller it is refused with InfluxDB's message.
  v1::ListAuthorizationsResponse list;
  grpc::Status s = client_->auths->ListAuthorizations(AuthdClient::Ctx(all.token()).get(), {}, &list);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "token is inactive");

  // Only the description changes when only it is set; the status stays inactive.
  v1::UpdateAuthorizationRequest desc;
  desc.set_id(all.id());
  desc.set_description("renamed");
  ASSERT_TRUE(
      client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), desc, &updated).ok());
  EXPECT_EQ(updated.description(), "renamed");
  EXPECT_EQ(updated.status(), "inactive");

  upd.set_status("active");
  ASSERT_TRUE(
      client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), upd, &updated).ok());
  EXPECT_TRUE(client_->Authorize(all.token(), "read", "buckets", "", org_id_).allowed());

  v1::DeleteAuthorizationRequest del;
  del.set_id(all.id());
  v1::DeleteAuthorizationResponse deleted;
  ASSERT_TRUE(
      client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &deleted).ok());
  r = client_->Authorize(all.token(), "read", "buckets", "", org_id_);
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DENY_REASON_UNKNOWN_TOKEN);
  EXPECT_EQ(r.authorization_id(), "");
  s = client_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &deleted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "authorization not found");

  upd.set_status("paused");
  s = client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), upd, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "status: must be active or inactive");
}

TEST_F(ScenariosE2eTest, TokensOfInactiveOrDeletedUsersAreRefused) {
  v1::CreateUserRequest ureq;
  ureq.set_name("bob");
  v1::User bob;
  ASSERT_TRUE(client_->tenant->CreateUser(AuthdClient::Ctx(operator_token_).get(), ureq, &bob).ok());
  v1::Authorization t = MustCreate({Perm("read", "buckets", "", org_id_)}, org_id_, "", bob.id());
  EXPECT_EQ(t.user_id(), bob.id());
  EXPECT_TRUE(Allowed(t.token(), "read", "buckets", "", org_id_));

  v1::UpdateUserRequest off;
  off.set_id(bob.id());
  off.set_status("inactive");
  v1::User updated;
  ASSERT_TRUE(client_->tenant->UpdateUser(AuthdClient::Ctx(operator_token_).get(), off, &updated).ok());
  EXPECT_EQ(client_->Authorize(t.token(), "read", "buckets", "", org_id_).reason(),
            v1::DENY_REASON_INACTIVE_USER);
  v1::ListOrgsResponse orgs;
  grpc::Status s = client_->tenant->ListOrgs(AuthdClient::Ctx(t.token()).get(), {}, &orgs);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "user is inactive");

  off.set_status("active");
  ASSERT_TRUE(client_->tenant->UpdateUser(AuthdClient::Ctx(operator_token_).get(), off, &updated).ok());
  EXPECT_TRUE(Allowed(t.token(), "read", "buckets", "", org_id_));

  v1::DeleteUserRequest del;
  del.set_id(bob.id());
  v1::DeleteUserResponse gone;
  ASSERT_TRUE(client_->tenant->DeleteUser(AuthdClient::Ctx(operator_token_).get(), del, &gone).ok());
  EXPECT_EQ(client_->Authorize(t.token(), "read", "buckets", "", org_id_).reason(),
            v1::DENY_REASON_INACTIVE_USER);
}

TEST_F(ScenariosE2eTest, ListsAreSilentlyFilteredToWhatTheCallerMayRead) {
  v1::CreateUserRequest ureq;
  ureq.set_name("carol");
  v1::User carol;
  ASSERT_TRUE(client_->tenant->CreateUser(AuthdClient::Ctx(operator_token_).get(), ureq, &carol).ok());
  v1::Authorization admin_all = Preset(v1::PRESET_ALL_ACCESS, org_id_);
  v1::Authorization carol_reader =
      MustCreate({Perm("read", "buckets", bucket_id_, org_id_)}, org_id_, "", carol.id());
  v1::Authorization other = Preset(v1::PRESET_ALL_ACCESS, other_org_);

  auto list = [&](const std::string& token) {
    v1::ListAuthorizationsResponse resp;
    grpc::Status s = client_->auths->ListAuthorizations(AuthdClient::Ctx(token).get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::set<std::string> ids;
    for (const auto& a : resp.authorizations()) {
      EXPECT_EQ(a.token(), "") << "a list must never carry a token";
      ids.insert(a.id());
    }
    return ids;
  };
  // The operator sees every token in every org.
  std::set<std::string> all = list(operator_token_);
  EXPECT_EQ(all.size(), 4u);
  EXPECT_TRUE(all.count(carol_reader.id()));
  EXPECT_TRUE(all.count(other.id()));
  // An all-access token holds users/<admin> only: it sees the admin's tokens in its org.
  std::set<std::string> mine = list(admin_all.token());
  EXPECT_TRUE(mine.count(admin_all.id()));
  EXPECT_FALSE(mine.count(carol_reader.id()));
  EXPECT_FALSE(mine.count(other.id()));
  // A bucket reader sees nothing, without an error.
  EXPECT_TRUE(list(carol_reader.token()).empty());

  // Filters by user and org names.
  v1::ListAuthorizationsRequest by_user;
  by_user.set_user("carol");
  v1::ListAuthorizationsResponse resp;
  ASSERT_TRUE(client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), by_user, &resp).ok());
  ASSERT_EQ(resp.authorizations_size(), 1);
  EXPECT_EQ(resp.authorizations(0).id(), carol_reader.id());
  EXPECT_EQ(resp.authorizations(0).user(), "carol");
  EXPECT_EQ(resp.authorizations(0).permissions(0).resource().name(), "metrics");
  EXPECT_EQ(resp.authorizations(0).permissions(0).resource().org(), "acme");
  v1::ListAuthorizationsRequest by_org;
  by_org.set_org("globex");
  ASSERT_TRUE(client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), by_org, &resp).ok());
  ASSERT_EQ(resp.authorizations_size(), 1);
  EXPECT_EQ(resp.authorizations(0).id(), other.id());
  by_org.set_org("nope");
  grpc::Status s = client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), by_org, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  // Get of a token the caller may not read is refused.
  v1::GetAuthorizationRequest get;
  get.set_id(carol_reader.id());
  v1::Authorization got;
  s = client_->auths->GetAuthorization(AuthdClient::Ctx(admin_all.token()).get(), get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = client_->auths->GetAuthorization(AuthdClient::Ctx(operator_token_).get(), get, &got);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(got.token(), "");
}

TEST_F(ScenariosE2eTest, TenantNamesAreUniqueAndChecksFollowInfluxDb) {
  v1::CreateOrgRequest dup;
  dup.set_name("acme");
  v1::Org org;
  grpc::Status s = client_->tenant->CreateOrg(AuthdClient::Ctx(operator_token_).get(), dup, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  v1::CreateBucketRequest b;
  b.set_org_id(org_id_);
  b.set_name("metrics");
  v1::Bucket bucket;
  s = client_->tenant->CreateBucket(AuthdClient::Ctx(operator_token_).get(), b, &bucket);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // Same bucket name in another org is fine.
  b.set_org_id(other_org_);
  EXPECT_TRUE(client_->tenant->CreateBucket(AuthdClient::Ctx(operator_token_).get(), b, &bucket).ok());

  // All-access may create buckets in its org but not orgs or users (those need global grants).
  v1::Authorization all = Preset(v1::PRESET_ALL_ACCESS, org_id_);
  b.set_org_id(org_id_);
  b.set_name("more");
  EXPECT_TRUE(client_->tenant->CreateBucket(AuthdClient::Ctx(all.token()).get(), b, &bucket).ok());
  v1::CreateOrgRequest neworg;
  neworg.set_name("initech");
  s = client_->tenant->CreateOrg(AuthdClient::Ctx(all.token()).get(), neworg, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "write:orgs is unauthorized");
  v1::CreateUserRequest u;
  u.set_name("dave");
  v1::User user;
  s = client_->tenant->CreateUser(AuthdClient::Ctx(all.token()).get(), u, &user);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "write:users is unauthorized");
  // Its org list holds only its own org.
  v1::ListOrgsResponse orgs;
  ASSERT_TRUE(client_->tenant->ListOrgs(AuthdClient::Ctx(all.token()).get(), {}, &orgs).ok());
  ASSERT_EQ(orgs.orgs_size(), 1);
  EXPECT_EQ(orgs.orgs(0).id(), org_id_);

  // Deleting an org takes its buckets and tokens with it.
  v1::Authorization theirs = Preset(v1::PRESET_ALL_ACCESS, other_org_);
  v1::DeleteOrgRequest del;
  del.set_id(other_org_);
  v1::DeleteOrgResponse gone;
  ASSERT_TRUE(client_->tenant->DeleteOrg(AuthdClient::Ctx(operator_token_).get(), del, &gone).ok());
  EXPECT_EQ(client_->Authorize(theirs.token(), "read", "buckets", "", other_org_).reason(),
            v1::DENY_REASON_UNKNOWN_TOKEN);
  v1::GetBucketRequest gb;
  gb.set_id(other_bucket_);
  s = client_->tenant->GetBucket(AuthdClient::Ctx(operator_token_).get(), gb, &bucket);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ScenariosE2eTest, CallersWithoutRightsCannotProbeWhichOrgsAndUsersExist) {
  v1::Authorization reader = MustCreate({Perm("read", "buckets", bucket_id_, org_id_)});
  for (const std::string& id : {other_org_, std::string("00000000000003e8")}) {
    v1::GetOrgRequest get;
    get.set_id(id);
    v1::Org org;
    grpc::Status s = client_->tenant->GetOrg(AuthdClient::Ctx(reader.token()).get(), get, &org);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << id;
    EXPECT_EQ(s.error_message(), "read:orgs/" + id + " is unauthorized");
    v1::GetUserRequest user;
    user.set_id(id);
    v1::User u;
    s = client_->tenant->GetUser(AuthdClient::Ctx(reader.token()).get(), user, &u);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << id;
  }
}

TEST_F(ScenariosE2eTest, ServerConfigNeedsAnOperatorToken) {
  v1::Authorization all = Preset(v1::PRESET_ALL_ACCESS, org_id_);
  v1::GetServerConfigResponse config;
  grpc::Status s = client_->admin->GetServerConfig(AuthdClient::Ctx(all.token()).get(), {}, &config);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListResourceTypesResponse types;
  ASSERT_TRUE(client_->admin->ListResourceTypes(AuthdClient::Ctx(all.token()).get(), {}, &types).ok());
  ASSERT_EQ(types.types_size(), 23);
  EXPECT_EQ(types.types(0), "authorizations");
  EXPECT_EQ(types.types(14), "notificationRules");
  EXPECT_EQ(types.types(22), "instance");
}

}  // namespace
}  // namespace authd::e2e
