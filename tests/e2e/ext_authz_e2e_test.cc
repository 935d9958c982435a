// End-to-end: Envoy's ext_authz Check (envoy.service.auth.v3.Authorization) served by the real
// authd binary, called with CheckRequests built from Envoy's own generated classes as Envoy's
// ext_authz filter sends them: every decision kind (allowed, unknown, inactive, expired, inactive
// user, no permission, no route, malformed ID), both route shapes (the --ext-authz-routes table
// and per-route context_extensions), raw header maps, the upstream headers, and bad input
// (a malformed CheckRequest, huge headers, a bad route file at start-up). Also BatchAuthorize
// (authd.v1.AuthorizeService) against Authorize on the same tokens.
#include <fstream>
#include <string>
#include <vector>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {
namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

constexpr char kRoutes[] = R"(version: 1
routes:
  - methods: [GET]
    path: /api/v2/buckets/{bucket}
    action: read
    resource_type: buckets
    resource_id: "{bucket}"
  - methods: [POST]
    path: /api/v2/write
    action: write
    resource_type: buckets
    resource_id: "{query.bucketID}"
    org_id: "{query.orgID}"
)";

class ExtAuthzE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("ext-authz");
    {
      std::ofstream out(dir_ + "/routes.yaml");
      out << kRoutes;
      std::ofstream clock(dir_ + "/clock");
      clock << "0\n";
    }
    authd_ = std::make_unique<AuthdProcess>(
        dir_ + "/authd",
        std::vector<std::string>{"--ext-authz-routes=" + dir_ + "/routes.yaml",
                                 "--ext-authz-remove-authorization",
                                 "--clock-offset-file=" + dir_ + "/clock"},
        std::vector<std::string>{"AUTHD_TESTING=1"});
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
    v1::SetupResponse out;
    grpc::Status s = client_->Setup("admin", "acme", "metrics", &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    operator_ = out.authorization().token();
    org_ = out.org().id();
    bucket_ = out.bucket().id();
    check_ = envoy::service::auth::v3::Authorization::NewStub(authd_->channel());
  }

  CheckRequest Request(const std::string& method, const std::string& path,
                       const std::string& authorization) {
    CheckRequest r;
    auto* attrs = r.mutable_attributes();
    attrs->mutable_source()->mutable_address()->mutable_socket_address()->set_address("127.0.0.1");
    attrs->mutable_source()->mutable_address()->mutable_socket_address()->set_port_value(51234);
    attrs->mutable_destination()->mutable_address()->mutable_socket_address()->set_address(
        "127.0.0.1");
    auto* http = attrs->mutable_request()->mutable_http();
    http->set_id("7f9d3c1e");
    http->set_method(method);
    http->set_path(path);
    http->set_host("influx.example");
    http->set_scheme("http");
    http->set_protocol("HTTP/1.1");
    auto& headers = *http->mutable_headers();
    headers[":authority"] = "influx.example";
    headers[":method"] = method;
    headers[":path"] = path;
    headers["user-agent"] = "influxdb-client-go/2.12";
    headers["x-request-id"] = "7f9d3c1e";
    if (!authorization.empty()) headers["authorization"] = authorization;
    return r;
  }

  grpc::Status Check(const CheckRequest& request, CheckResponse* response) {
    return check_->Check(AuthdClient::Ctx().get(), request, response);
  }

  // The HTTP status Envoy would answer with (200 = forwarded upstream).
  int HttpStatus(const CheckRequest& request, CheckResponse* out = nullptr) {
    CheckResponse response;
    grpc::Status s = Check(request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (out != nullptr) *out = response;
    if (response.has_ok_response()) {
      EXPECT_EQ(response.status().code(), 0);
      return 200;
    }
    EXPECT_TRUE(response.has_denied_response());
    EXPECT_EQ(response.denied_response().body().find(operator_), std::string::npos);
    return static_cast<int>(response.denied_response().status().code());
  }

  std::string BucketPath(const std::string& bucket) {
    return absl::StrCat("/api/v2/buckets/", bucket, "?orgID=", org_);
  }

  void SetClockOffset(int seconds) {
    absl::Status s = e2e::SetClockOffset(*authd_, dir_ + "/clock", seconds);
    ASSERT_TRUE(s.ok()) << s << "\n" << authd_->Log();
  }

  std::string dir_;
  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> client_;
  std::unique_ptr<envoy::service::auth::v3::Authorization::Stub> check_;
  std::string operator_, org_, bucket_;
};

TEST_F(ExtAuthzE2eTest, EveryDecisionKindThroughTheRouteTable) {
  grpc::Status s;
  v1::Authorization reader = client_->CreateBucketReader(operator_, org_, bucket_, &s);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string token = "Token " + reader.token();

  // Allowed: forwarded with the caller's ids; the client's own x-authd-* cannot survive.
  CheckResponse response;
  CheckRequest forged = Request("GET", BucketPath(bucket_), token);
  (*forged.mutable_attributes()->mutable_request()->mutable_http()->mutable_headers())
      ["x-authd-user-id"] = "0000000000000001";
  ASSERT_EQ(HttpStatus(forged, &response), 200);
  std::map<std::string, std::string> upstream;
  for (const auto& h : response.ok_response().headers()) {
    upstream[h.header().key()] = h.header().value();
    EXPECT_EQ(h.append_action(),
              envoy::config::core::v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  }
  EXPECT_EQ(upstream["x-authd-authorization-id"], reader.id());
  EXPECT_EQ(upstream["x-authd-user-id"], reader.user_id());
  EXPECT_EQ(upstream["x-authd-org-id"], org_);
  ASSERT_EQ(response.ok_response().headers_to_remove_size(), 1);
  EXPECT_EQ(response.ok_response().headers_to_remove(0), "authorization");

  // The same decisions Authorize makes, as HTTP statuses.
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Bearer " + reader.token())), 200);
  EXPECT_EQ(HttpStatus(Request("POST",
                               absl::StrCat("/api/v2/write?orgID=", org_, "&bucketID=", bucket_),
                               token),
                       &response),
            403);
  EXPECT_EQ(response.status().message(), "token may not write buckets");
  EXPECT_EQ(HttpStatus(Request("POST",
                               absl::StrCat("/api/v2/write?orgID=", org_, "&bucketID=", bucket_),
                               "Token " + operator_)),
            200);
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), ""), &response), 401);
  EXPECT_EQ(response.status().code(), 16);
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + reader.token() + "x"),
                       &response),
            401);
  EXPECT_EQ(response.status().message(), "unknown token");
  EXPECT_EQ(HttpStatus(Request("DELETE", BucketPath(bucket_), token), &response), 403);
  EXPECT_EQ(response.status().message(),
            absl::StrCat("no authd route for DELETE /api/v2/buckets/", bucket_));
  EXPECT_EQ(HttpStatus(Request("GET", "/api/v2/buckets/not-an-id", token), &response), 400);
  EXPECT_EQ(response.denied_response().body(),
            "{\"code\":\"invalid\",\"message\":\"resource id from {bucket} is not a valid ID\"}\n");
  EXPECT_EQ(HttpStatus(Request("GET", "/api/v2/buckets/../orgs", token)), 400);

  // By ID, the bucket's own org decides: an org-wide token of acme reads acme's bucket, and
  // cannot reach another org's bucket by naming acme in the query (orgID, as a route might take).
  {
    v1::CreateOrgRequest org_req;
    org_req.set_name("other");
    v1::Org other;
    ASSERT_TRUE(client_->tenant->CreateOrg(AuthdClient::Ctx(operator_).get(), org_req, &other).ok());
    v1::CreateBucketRequest bucket_req;
    bucket_req.set_org_id(other.id());
    bucket_req.set_name("theirs");
    v1::Bucket theirs;
    ASSERT_TRUE(
        client_->tenant->CreateBucket(AuthdClient::Ctx(operator_).get(), bucket_req, &theirs).ok());
    v1::CreateAuthorizationRequest all;
    all.set_org_id(org_);
    all.set_preset(v1::PRESET_ALL_ACCESS);
    v1::Authorization acme_admin;
    ASSERT_TRUE(client_->Create(operator_, all, &acme_admin).ok());
    EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + acme_admin.token())), 200);
    EXPECT_EQ(HttpStatus(Request("GET", BucketPath(theirs.id()), "Token " + acme_admin.token())),
              403);
    EXPECT_EQ(HttpStatus(Request("POST",
                                 absl::StrCat("/api/v2/write?orgID=", org_, "&bucketID=", theirs.id()),
                                 "Token " + acme_admin.token())),
              403);
    EXPECT_EQ(HttpStatus(Request("GET", BucketPath(theirs.id()), "Token " + operator_)), 200);
    // The buckets' orgs are in memory, loaded again at start-up.
    ASSERT_TRUE(authd_->Restart().ok()) << authd_->Log();
    client_ = std::make_unique<AuthdClient>(authd_->channel());
    check_ = envoy::service::auth::v3::Authorization::NewStub(authd_->channel());
    EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + acme_admin.token())), 200);
    EXPECT_EQ(HttpStatus(Request("GET", BucketPath(theirs.id()), "Token " + acme_admin.token())),
              403);
  }

  // Inactive token.
  {
    v1::UpdateAuthorizationRequest req;
    req.set_id(reader.id());
    req.set_status("inactive");
    v1::Authorization out;
    ASSERT_TRUE(client_->auths->UpdateAuthorization(AuthdClient::Ctx(operator_).get(), req, &out)
                    .ok());
  }
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), token), &response), 401);
  EXPECT_EQ(response.status().message(), "token is inactive");
}

TEST_F(ExtAuthzE2eTest, ExpiredTokensAndInactiveUsersAreUnauthorized) {
  // A user of their own with a token that expires in an hour.
  v1::CreateUserRequest user_req;
  user_req.set_name("bob");
  v1::User bob;
  ASSERT_TRUE(client_->tenant->CreateUser(AuthdClient::Ctx(operator_).get(), user_req, &bob).ok());
  v1::CreateAuthorizationRequest create;
  create.set_org_id(org_);
  create.set_user_id(bob.id());
  *create.add_permissions() = Perm("read", "buckets", bucket_, org_);
  create.mutable_ttl()->set_seconds(3600);
  v1::Authorization expiring;
  ASSERT_TRUE(client_->Create(operator_, create, &expiring).ok());
  create.clear_ttl();
  v1::Authorization lasting;
  ASSERT_TRUE(client_->Create(operator_, create, &lasting).ok());
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + expiring.token())), 200);

  SetClockOffset(7200);
  CheckResponse response;
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + expiring.token()),
                       &response),
            401);
  EXPECT_EQ(response.status().message(), "token expired");
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + lasting.token())), 200);

  v1::UpdateUserRequest deactivate;
  deactivate.set_id(bob.id());
  deactivate.set_status("inactive");
  v1::User out;
  ASSERT_TRUE(client_->tenant->UpdateUser(AuthdClient::Ctx(operator_).get(), deactivate, &out).ok());
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + lasting.token()), &response),
            401);
  EXPECT_EQ(response.status().message(), "the token's user is inactive");
}

TEST_F(ExtAuthzE2eTest, ContextExtensionsAndRawHeaderMaps) {
  grpc::Status s;
  v1::Authorization reader = client_->CreateBucketReader(operator_, org_, bucket_, &s);
  ASSERT_TRUE(s.ok());
  // A path the table does not know, described by Envoy's per-route configuration instead.
  CheckRequest r = Request("POST", absl::StrCat("/ingest/", bucket_, "/lines"), "");
  auto& ext = *r.mutable_attributes()->mutable_context_extensions();
  ext["authd_action"] = "read";
  ext["authd_resource_type"] = "buckets";
  ext["authd_path"] = "/ingest/{bucket}/**";
  ext["authd_resource_id"] = "{bucket}";
  // Raw headers, as Envoy sends them with encode_raw_headers: keys as the client wrote them.
  auto* http = r.mutable_attributes()->mutable_request()->mutable_http();
  http->clear_headers();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {":authority", "influx.example"}, {"Authorization", "Token " + reader.token()}}) {
    auto* h = http->mutable_header_map()->add_headers();
    h->set_key(k);
    h->set_raw_value(v);
  }
  EXPECT_EQ(HttpStatus(r), 200);
  ext["authd_action"] = "write";
  CheckResponse response;
  EXPECT_EQ(HttpStatus(r, &response), 403);
  EXPECT_EQ(response.status().message(), "token may not write buckets");

  // A second authorization header: which one would the upstream read? Refused.
  ext["authd_action"] = "read";
  auto* again = http->mutable_header_map()->add_headers();
  again->set_key("authorization");
  again->set_raw_value("Token " + operator_);
  EXPECT_EQ(HttpStatus(r, &response), 401);
  EXPECT_EQ(response.status().message(), "more than one authorization header");

  // A broken extension is Envoy's misconfiguration: an error it logs, naming the key.
  ext["authd_resource_type"] = "bukkits";
  grpc::Status bad = Check(r, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(),
            "context_extensions.authd_resource_type: unknown resource type \"bukkits\"");
}

TEST_F(ExtAuthzE2eTest, BadInputGetsClearErrorsAndTheServerStaysUp) {
  CheckResponse response;
  grpc::Status s = Check(CheckRequest(), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("attributes.request.http: required", 0), 0u) << s.error_message();

  // Huge headers: 200 of 4 KiB each (800 KiB, under the 1 MiB message limit) are read through;
  // a 2 MiB request is refused by the message limit; a 64 KiB token is simply unknown.
  CheckRequest big = Request("GET", BucketPath(bucket_), "Token " + operator_);
  auto& headers = *big.mutable_attributes()->mutable_request()->mutable_http()->mutable_headers();
  for (int i = 0; i < 200; ++i) headers[absl::StrCat("x-filler-", i)] = std::string(4096, 'f');
  EXPECT_EQ(HttpStatus(big), 200);
  headers["x-huge"] = std::string(2 << 20, 'h');
  s = Check(big, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + std::string(64 << 10, 't')),
                       &response),
            401);
  EXPECT_EQ(response.status().message(), "unknown token");

  // Still serving, and health knows the service.
  EXPECT_EQ(HttpStatus(Request("GET", BucketPath(bucket_), "Token " + operator_)), 200);
  auto health = grpc::health::v1::Health::NewStub(authd_->channel());
  grpc::health::v1::HealthCheckRequest hreq;
  hreq.set_service("envoy.service.auth.v3.Authorization");
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(AuthdClient::Ctx().get(), hreq, &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(authd_->Log().find(operator_), std::string::npos);
}

TEST(ExtAuthzStartupE2eTest, ABadRouteFileStopsStartUpNamingTheProblem) {
  const std::string dir = MakeTempDir("ext-authz-bad");
  {
    std::ofstream out(dir + "/routes.yaml");
    out << "version: 1\nroutes:\n  - path: /a\n    action: delete\n    resource_type: buckets\n";
  }
  absl::StatusOr<ProcessResult> r = RunCommand(
      {RunfilePath("services/authd"), "--data-dir=" + dir + "/data", "--listen=127.0.0.1:0",
       "--ext-authz-routes=" + dir + "/routes.yaml"},
      absl::Seconds(30));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->output.find(absl::StrCat("--ext-authz-routes: ", dir,
                                        "/routes.yaml: routes[0].action: must be read or write")),
            std::string::npos)
      << r->output;
}

TEST_F(ExtAuthzE2eTest, BatchAuthorizeAnswersInOrderAsAuthorizeWould) {
  grpc::Status s;
  v1::Authorization reader = client_->CreateBucketReader(operator_, org_, bucket_, &s);
  ASSERT_TRUE(s.ok());
  v1::BatchAuthorizeRequest batch;
  auto add = [&](const std::string& token, const std::string& action, const std::string& type,
                 const std::string& id) {
    v1::AuthorizeRequest* c = batch.add_checks();
    c->set_token(token);
    c->set_action(action);
    c->mutable_resource()->set_type(type);
    c->mutable_resource()->set_id(id);
    c->mutable_resource()->set_org_id(org_);
  };
  add(reader.token(), "read", "buckets", bucket_);
  add(reader.token(), "write", "buckets", bucket_);
  add("nope-nope-nope-nope-nope", "read", "buckets", bucket_);
  add(reader.token(), "destroy", "buckets", bucket_);  // malformed: judged as a denial
  add(operator_, "write", "orgs", "");
  v1::BatchAuthorizeResponse out;
  ASSERT_TRUE(
      client_->authorize->BatchAuthorize(AuthdClient::Ctx().get(), batch, &out).ok());
  ASSERT_EQ(out.results_size(), 5);
  for (int i : {0, 1, 2, 4}) {
    const v1::AuthorizeRequest& c = batch.checks(i);
    v1::AuthorizeResponse single = client_->Authorize(
        c.token(), c.action(), c.resource().type(), c.resource().id(), c.resource().org_id());
    EXPECT_EQ(out.results(i).SerializeAsString(), single.SerializeAsString()) << i;
  }
  EXPECT_TRUE(out.results(0).allowed());
  EXPECT_EQ(out.results(1).reason(), v1::DENY_REASON_NO_PERMISSION);
  EXPECT_EQ(out.results(2).reason(), v1::DENY_REASON_UNKNOWN_TOKEN);
  EXPECT_FALSE(out.results(3).allowed());
  EXPECT_EQ(out.results(3).reason(), v1::DENY_REASON_UNSPECIFIED);
  EXPECT_TRUE(out.results(4).allowed());
  ASSERT_EQ(out.errors_size(), 1);
  EXPECT_EQ(out.errors(0).index(), 3u);
  EXPECT_EQ(out.errors(0).message(), "checks[3].action: must be read or write");
  EXPECT_EQ(out.position(), 0u);

  // min_position is the batch's.
  batch.set_min_position(1);
  ASSERT_TRUE(client_->authorize->BatchAuthorize(AuthdClient::Ctx().get(), batch, &out).ok());
  EXPECT_GE(out.position(), 1u);
  batch.mutable_checks(0)->set_min_position(1);
  s = client_->authorize->BatchAuthorize(AuthdClient::Ctx().get(), batch, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "checks[0].min_position: set min_position on the batch, not on a check");

  // The limits.
  v1::BatchAuthorizeRequest empty;
  s = client_->authorize->BatchAuthorize(AuthdClient::Ctx().get(), empty, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "checks: at least one check");
  v1::BatchAuthorizeRequest too_many;
  for (int i = 0; i < 1001; ++i) *too_many.add_checks() = batch.checks(1);
  s = client_->authorize->BatchAuthorize(AuthdClient::Ctx().get(), too_many, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "checks: at most 1000 per call, got 1001");
  too_many.mutable_checks()->RemoveLast();
  ASSERT_TRUE(client_->authorize->BatchAuthorize(AuthdClient::Ctx().get(), too_many, &out).ok());
  EXPECT_EQ(out.results_size(), 1000);
  EXPECT_EQ(out.results(999).reason(), v1::DENY_REASON_NO_PERMISSION);
}

}  // namespace
}  // namespace authd::e2e
