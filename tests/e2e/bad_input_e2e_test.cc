// End-to-end: malformed requests get the right gRPC code and a clear message, never echo a token,
// and leave the server serving.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/raw_call.h"

namespace authd::e2e {
namespace {

class BadInputE2eTest : public SetUpAuthdTest {};

TEST_F(BadInputE2eTest, MalformedAuthorizeRequestsAreInvalidArgument) {
  struct Case {
    std::string token, action, type, id, org, message;
  };
  const std::string t = operator_token_;
  const std::vector<Case> cases = {
      {"", "read", "buckets", "", "", "token: required"},
      {std::string(513, 'a'), "read", "buckets", "", "", "token: longer than 512 characters"},
      {t, "admin", "buckets", "", "", "action: must be read or write"},
      {t, "", "buckets", "", "", "action: must be read or write"},
      {t, "read", "bucket", "", "", "resource.type: unknown resource type"},
      {t, "read", "", "", "", "resource.type: unknown resource type"},
      {t, "read", "buckets", "XYZ", "", "resource.id: id must be 16 lowercase hex characters"},
      {t, "read", "buckets", "0000000000000000", "", "resource.id: id must not be zero"},
      {t, "read", "buckets", "", "ABCDEF0123456789",
       "resource.org_id: id must be 16 lowercase hex characters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    grpc::Status s;
    client_->Authorize(c.token, c.action, c.type, c.id, c.org, &s);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), c.message);
    EXPECT_EQ(s.error_message().find(t), std::string::npos);
  }
  EXPECT_TRUE(client_->Authorize(t, "write", "orgs").allowed());
}

TEST_F(BadInputE2eTest, MistypedTruncatedAndHashTokensAreUnknown) {
  std::string mistyped = operator_token_;
  mistyped[10] = mistyped[10] == 'A' ? 'B' : 'A';
  const std::vector<std::string> tokens = {
      mistyped,
      operator_token_.substr(0, operator_token_.size() - 1),
      operator_token_ + "x",
      "authd_",
      // A stored-hash-shaped string never authenticates.
      "$authd-sha256$47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",
      "definitely-not-a-token-but-long-enough",
  };
  for (const std::string& token : tokens) {
    SCOPED_TRACE(token);
    grpc::Status s;
    auto r = client_->Authorize(token, "read", "buckets", "", org_id_, &s);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(r.allowed());
    EXPECT_EQ(r.reason(), v1::DENY_REASON_UNKNOWN_TOKEN);
    EXPECT_EQ(r.authorization_id(), "");
  }
}

TEST_F(BadInputE2eTest, CallerMetadataIsCheckedLikeInfluxDb) {
  v1::ListOrgsResponse orgs;
  struct Case {
    std::string header;  // empty: no metadata at all
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", grpc::StatusCode::UNAUTHENTICATED, "authorization metadata is missing"},
      {"Basic abc", grpc::StatusCode::UNAUTHENTICATED, "authorization metadata scheme is invalid"},
      {"Token", grpc::StatusCode::UNAUTHENTICATED, "authorization metadata scheme is invalid"},
      {"Token unknown-token-value-123456", grpc::StatusCode::UNAUTHENTICATED, "unauthorized access"},
      {"Token " + operator_token_ + "x", grpc::StatusCode::UNAUTHENTICATED, "unauthorized access"},
      {"bearer " + operator_token_, grpc::StatusCode::OK, ""},
      {"TOKEN " + operator_token_, grpc::StatusCode::OK, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    auto ctx = AuthdClient::Ctx();
    if (!c.header.empty()) ctx->AddMetadata("authorization", c.header);
    grpc::Status s = client_->tenant->ListOrgs(ctx.get(), {}, &orgs);
    EXPECT_EQ(s.error_code(), c.code);
    EXPECT_EQ(s.error_message(), c.message);
  }
  EXPECT_EQ(authd_->Log().find(operator_token_), std::string::npos) << "token in the log";
  EXPECT_NE(authd_->Log().find("authentication failed"), std::string::npos);
}

TEST_F(BadInputE2eTest, BadIdsAndNamesAreInvalidArgument) {
  v1::GetOrgRequest get;
  get.set_id("acme");
  v1::Org org;
  grpc::Status s = client_->tenant->GetOrg(AuthdClient::Ctx(operator_token_).get(), get, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "id: id must be 16 lowercase hex characters");
  get.set_id("00000000000003e8");
  s = client_->tenant->GetOrg(AuthdClient::Ctx(operator_token_).get(), get, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::CreateOrgRequest create;
  s = client_->tenant->CreateOrg(AuthdClient::Ctx(operator_token_).get(), create, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "name: required");
  create.set_name(std::string(257, 'n'));
  s = client_->tenant->CreateOrg(AuthdClient::Ctx(operator_token_).get(), create, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "name: longer than 256 bytes");
  create.set_name("tab\tname");
  s = client_->tenant->CreateOrg(AuthdClient::Ctx(operator_token_).get(), create, &org);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "name: must be valid UTF-8 without control characters");
}

TEST_F(BadInputE2eTest, OversizedRequestsAreRefusedAndTheServerKeepsServing) {
  v1::CreateAuthorizationRequest req;
  req.set_org_id(org_id_);
  req.set_description(std::string(2 << 20, 'd'));
  *req.add_permissions() = Perm("read", "buckets", "", org_id_);
  v1::Authorization out;
  grpc::Status s = client_->Create(operator_token_, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  req.set_description(std::string(2000, 'd'));
  s = client_->Create(operator_token_, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "description: longer than 1024 bytes");
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
}

// Protobuf refuses invalid UTF-8 in a proto3 string while gRPC parses the request, before any
// handler; gRPC alone would answer INTERNAL (synchronous API) or UNIMPLEMENTED (callback API).
TEST_F(BadInputE2eTest, InvalidUtf8InAStringFieldIsInvalidArgument) {
  const std::string kMessage = "request: malformed message (is every string field valid UTF-8?)";
  v1::CreateOrgRequest create;
  create.set_name("caf\xc3");
  RawCallResult r = RawCall(authd_->channel(), "/authd.v1.TenantService/CreateOrg",
                            operator_token_, {SerializeRaw(create)});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.status.error_message(), kMessage);

  v1::AuthorizeRequest authorize;  // the callback API
  authorize.set_token(operator_token_);
  authorize.set_action("read");
  authorize.mutable_resource()->set_type("buckets\xff");
  r = RawCall(authd_->channel(), "/authd.v1.AuthorizeService/Authorize", "",
              {SerializeRaw(authorize)});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.status.error_message(), kMessage);

  // Bytes that are no protobuf message at all get the same answer.
  r = RawCall(authd_->channel(), "/authd.v1.TenantService/GetOrg", operator_token_, {"\xff\xff"});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.status.error_message(), kMessage);

  // A client stream's handler sees such a message as the end of the stream: a Restore whose
  // manifest does not parse is refused for what it (not) got.
  v1::BackupChunk manifest;
  manifest.mutable_manifest()->set_format_version(1);
  manifest.mutable_manifest()->set_authd_version("0.1.0\xff");
  r = RawCall(authd_->channel(), "/authd.v1.AdminService/Restore", operator_token_,
              {SerializeRaw(manifest)});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.status.error_message(), "restore: the first message must be the backup manifest");

  // The well-formed request still works.
  create.set_name("café");
  r = RawCall(authd_->channel(), "/authd.v1.TenantService/CreateOrg", operator_token_,
              {SerializeRaw(create)});
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
}

}  // namespace
}  // namespace authd::e2e
