// CheckOnce (services/ext_authz_check.h) on CheckRequests built from Envoy's own generated classes,
// as Envoy's ext_authz filter fills them, with a fake decider: every decision kind, both header
// encodings, context_extensions over the table, and the malformed requests.
#include "services/ext_authz_check.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

constexpr char kBucket[] = "0123456789abcdef";
constexpr char kGood[] = "good-token-good-token";

ExtAuthzOptions Options(bool remove_authorization = false) {
  ExtAuthzOptions o;
  absl::StatusOr<ExtAuthzRouteTable> t = ExtAuthzRouteTable::Parse(R"(
version: 1
routes:
  - methods: [GET]
    path: /api/v2/buckets/{bucket}
    action: read
    resource_type: buckets
    resource_id: "{bucket}"
)",
                                                                  "test");
  EXPECT_TRUE(t.ok()) << t.status();
  o.routes = *t;
  o.remove_authorization = remove_authorization;
  return o;
}

CheckRequest Request(const std::string& method, const std::string& path,
                     const std::string& authorization) {
  CheckRequest r;
  auto* http = r.mutable_attributes()->mutable_request()->mutable_http();
  http->set_id("1234");
  http->set_method(method);
  http->set_path(path);
  http->set_host("api.example");
  http->set_scheme("https");
  http->set_protocol("HTTP/2");
  (*http->mutable_headers())[":authority"] = "api.example";
  (*http->mutable_headers())["user-agent"] = "curl/8";
  if (!authorization.empty()) (*http->mutable_headers())["authorization"] = authorization;
  r.mutable_attributes()->mutable_source()->mutable_address()->mutable_socket_address()->set_address(
      "127.0.0.1");
  return r;
}

// A decider that knows kGood (allowed for read buckets kBucket only) and answers `reason` for
// every other token.
struct FakeDecider {
  authz::DenyReason other = authz::DenyReason::kUnknownToken;
  int calls = 0;
  std::string last_token;
  authz::Permission last_permission;
  authz::Decision operator()(absl::string_view token, const authz::Permission& p) {
    ++calls;
    last_token = std::string(token);
    last_permission = p;
    authz::Decision d;
    if (token == kGood) {
      d.authorization_id = 0x1111;
      d.user_id = 0x2222;
      d.org_id = 0x3333;
      d.allowed = p.action == authz::Action::kRead;
      d.reason = d.allowed ? authz::DenyReason::kNone : authz::DenyReason::kNoPermission;
      return d;
    }
    d.reason = other;
    return d;
  }
};

std::string HeaderValue(const google::protobuf::RepeatedPtrField<
                            envoy::config::core::v3::HeaderValueOption>& headers,
                        const std::string& key) {
  for (const auto& h : headers) {
    if (h.header().key() == key) return h.header().value();
  }
  return "<absent>";
}

TEST(ExtAuthzCheckTest, AllowedSetsUpstreamHeadersAndRemovesEmptyOnes) {
  FakeDecider decide;
  CheckResponse response;
  ExtAuthzOptions options = Options(/*remove_authorization=*/true);
  ASSERT_TRUE(CheckOnce(options,
                        Request("GET", absl::StrCat("/api/v2/buckets/", kBucket),
                                absl::StrCat("Token ", kGood)),
                        std::ref(decide), &response)
                  .ok());
  EXPECT_EQ(response.status().code(), 0);
  ASSERT_TRUE(response.has_ok_response());
  const auto& ok = response.ok_response();
  EXPECT_EQ(HeaderValue(ok.headers(), "x-authd-authorization-id"), "0000000000001111");
  EXPECT_EQ(HeaderValue(ok.headers(), "x-authd-user-id"), "0000000000002222");
  EXPECT_EQ(HeaderValue(ok.headers(), "x-authd-org-id"), "0000000000003333");
  for (const auto& h : ok.headers()) {
    EXPECT_EQ(h.append_action(),
              envoy::config::core::v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  }
  EXPECT_EQ(std::vector<std::string>(ok.headers_to_remove().begin(), ok.headers_to_remove().end()),
            std::vector<std::string>{"authorization"});
  EXPECT_EQ(decide.last_token, kGood);
  EXPECT_EQ(decide.last_permission,
            authz::IdPermission(authz::Action::kRead, authz::ResourceType::kBuckets,
                                0x0123456789abcdef));
  EXPECT_FALSE(response.has_denied_response());
}

TEST(ExtAuthzCheckTest, AllowedWithoutAnOrgRemovesTheOrgHeaderAndHonoursThePrefix) {
  ExtAuthzOptions options = Options();
  options.header_prefix = "x-acme-";
  auto decide = [](absl::string_view, const authz::Permission&) {
    authz::Decision d;
    d.allowed = true;
    d.reason = authz::DenyReason::kNone;
    d.authorization_id = 7;
    d.user_id = 8;  // a session token: no org
    return d;
  };
  CheckResponse response;
  ASSERT_TRUE(CheckOnce(options,
                        Request("GET", absl::StrCat("/api/v2/buckets/", kBucket), "Bearer abc"),
                        decide, &response)
                  .ok());
  const auto& ok = response.ok_response();
  EXPECT_EQ(HeaderValue(ok.headers(), "x-acme-user-id"), "0000000000000008");
  EXPECT_EQ(HeaderValue(ok.headers(), "x-acme-org-id"), "<absent>");
  EXPECT_EQ(std::vector<std::string>(ok.headers_to_remove().begin(), ok.headers_to_remove().end()),
            std::vector<std::string>{"x-acme-org-id"});
}

TEST(ExtAuthzCheckTest, EveryDenialAsTabled) {
  const std::string bucket_path = absl::StrCat("/api/v2/buckets/", kBucket);
  struct Case {
    std::string name;
    std::string method;
    std::string path;
    std::string authorization;
    authz::DenyReason other;
    int http;
    int rpc;
    std::string message;
  };
  const Case cases[] = {
      {"missing header", "GET", bucket_path, "", {}, 401, 16, "no authorization header"},
      {"basic scheme", "GET", bucket_path, "Basic dXNlcjpwYXNz", {}, 401, 16,
       "authorization header: want Token <token> or Bearer <token>"},
      {"scheme only", "GET", bucket_path, "Token ", {}, 401, 16,
       "authorization header: want Token <token> or Bearer <token>"},
      {"unknown", "GET", bucket_path, "Token nope", authz::DenyReason::kUnknownToken, 401, 16,
       "unknown token"},
      {"inactive", "GET", bucket_path, "token x", authz::DenyReason::kInactiveToken, 401, 16,
       "token is inactive"},
      {"expired", "GET", bucket_path, "BEARER x", authz::DenyReason::kExpired, 401, 16,
       "token expired"},
      {"inactive user", "GET", bucket_path, "Token x", authz::DenyReason::kInactiveUser, 401, 16,
       "the token's user is inactive"},
      {"no permission", "GET", bucket_path, "Token x", authz::DenyReason::kNoPermission, 403, 7,
       "token may not read buckets"},
      {"no route", "DELETE", bucket_path, absl::StrCat("Token ", kGood), {}, 403, 7,
       absl::StrCat("no authd route for DELETE ", bucket_path)},
      {"not an id", "GET", "/api/v2/buckets/zzz", absl::StrCat("Token ", kGood), {}, 400, 3,
       "resource id from {bucket} is not a valid ID"},
      {"dot dot", "GET", "/api/v2/buckets/../orgs", absl::StrCat("Token ", kGood), {}, 400, 3,
       "the request path is not normalized"},
      {"double slash", "GET", "/api/v2//buckets/x", absl::StrCat("Token ", kGood), {}, 400, 3,
       "the request path is not normalized"},
  };
  for (const Case& c : cases) {
    FakeDecider decide;
    decide.other = c.other;
    CheckResponse response;
    ASSERT_TRUE(
        CheckOnce(Options(), Request(c.method, c.path, c.authorization), std::ref(decide), &response)
            .ok())
        << c.name;
    EXPECT_EQ(response.status().code(), c.rpc) << c.name;
    EXPECT_TRUE(absl::StartsWith(response.status().message(), c.message))
        << c.name << ": " << response.status().message();
    ASSERT_TRUE(response.has_denied_response()) << c.name;
    EXPECT_FALSE(response.has_ok_response()) << c.name;
    const auto& denied = response.denied_response();
    EXPECT_EQ(static_cast<int>(denied.status().code()), c.http) << c.name;
    EXPECT_EQ(HeaderValue(denied.headers(), "content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(HeaderValue(denied.headers(), "www-authenticate"),
              c.http == 401 ? "Token realm=\"authd\"" : "<absent>")
        << c.name;
    EXPECT_TRUE(absl::StartsWith(denied.body(), "{\"code\":\"")) << denied.body();
    EXPECT_NE(denied.body().find(c.message.substr(0, 20)), std::string::npos) << denied.body();
    // Never the token, whatever was presented.
    EXPECT_EQ(denied.body().find(kGood), std::string::npos) << c.name;
    EXPECT_EQ(response.status().message().find(kGood), std::string::npos) << c.name;
  }
}

TEST(ExtAuthzCheckTest, RawHeaderMapIsReadAndTwoAuthorizationHeadersAreRefused) {
  CheckRequest r = Request("GET", absl::StrCat("/api/v2/buckets/", kBucket), "");
  auto* map = r.mutable_attributes()->mutable_request()->mutable_http()->mutable_header_map();
  auto* h = map->add_headers();
  h->set_key("Authorization");
  h->set_raw_value(absl::StrCat("Token ", kGood));
  FakeDecider decide;
  CheckResponse response;
  ASSERT_TRUE(CheckOnce(Options(), r, std::ref(decide), &response).ok());
  EXPECT_TRUE(response.has_ok_response());
  EXPECT_EQ(decide.last_token, kGood);

  h = map->add_headers();
  h->set_key("authorization");
  h->set_raw_value("Token other-token-other");
  response.Clear();
  ASSERT_TRUE(CheckOnce(Options(), r, std::ref(decide), &response).ok());
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Unauthorized);
  EXPECT_EQ(response.status().message(), "more than one authorization header");
}

TEST(ExtAuthzCheckTest, ContextExtensionsTakePrecedenceOverTheTable) {
  CheckRequest r = Request("POST", "/ingest/points", absl::StrCat("Token ", kGood));
  auto& ext = *r.mutable_attributes()->mutable_context_extensions();
  ext["authd_action"] = "read";
  ext["authd_resource_type"] = "buckets";
  ext["authd_resource_id"] = kBucket;
  FakeDecider decide;
  CheckResponse response;
  ASSERT_TRUE(CheckOnce(Options(), r, std::ref(decide), &response).ok());
  EXPECT_TRUE(response.has_ok_response());
  EXPECT_EQ(decide.last_permission,
            authz::IdPermission(authz::Action::kRead, authz::ResourceType::kBuckets,
                                0x0123456789abcdef));

  ext["authd_action"] = "write";
  response.Clear();
  ASSERT_TRUE(CheckOnce(Options(), r, std::ref(decide), &response).ok());
  EXPECT_EQ(response.status().message(), "token may not write buckets");

  ext["authd_path"] = "/other/**";
  response.Clear();
  ASSERT_TRUE(CheckOnce(Options(), r, std::ref(decide), &response).ok());
  EXPECT_EQ(response.status().message(),
            "the request path does not match context_extensions.authd_path");

  ext["authd_action"] = "destroy";
  absl::Status s = CheckOnce(Options(), r, std::ref(decide), &response);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "context_extensions.authd_action: must be read or write");
}

TEST(ExtAuthzCheckTest, MalformedRequestsAreInvalidArgumentNamingTheField) {
  FakeDecider decide;
  CheckResponse response;
  CheckRequest empty;
  absl::Status s = CheckOnce(Options(), empty, std::ref(decide), &response);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), "attributes.request.http: required")) << s;

  CheckRequest no_method = Request("", "/a", "Token x");
  s = CheckOnce(Options(), no_method, std::ref(decide), &response);
  EXPECT_EQ(s.message(), "attributes.request.http.method: required");
  CheckRequest no_path = Request("GET", "", "Token x");
  s = CheckOnce(Options(), no_path, std::ref(decide), &response);
  EXPECT_EQ(s.message(), "attributes.request.http.path: required");
  EXPECT_EQ(decide.calls, 0);
}

TEST(ExtAuthzCheckTest, TokenFromAuthorizationAcceptsTokenAndBearerOnly) {
  EXPECT_EQ(TokenFromAuthorization("Token abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("token   abc "), "abc");
  EXPECT_EQ(TokenFromAuthorization("Bearer abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("bearer abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("Tokenabc"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("Basic abc"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("abc"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization("Token"), std::nullopt);
  EXPECT_EQ(TokenFromAuthorization(""), std::nullopt);
}

}  // namespace
}  // namespace authd::services
