// bench/ext_authz_requests: every tokens-file line becomes a CheckRequest that, under the route
// table the same file prints, asks services::CheckOnce for exactly the permission the line's
// AuthorizeRequest asks for, with the line's token; and the request has the shape Envoy sends.
#include "bench/ext_authz_requests.h"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token.h"
#include "gtest/gtest.h"
#include "services/ext_authz_check.h"
#include "services/ext_authz_routes.h"

namespace authd::bench {
namespace {

constexpr char kOrg[] = "0a0b0c0d0e0f1011";
constexpr char kBucket[] = "0000000000001000";

// The permission AuthorizeService.Authorize parses from the line's fields.
authz::Permission AuthorizePermission(const BenchRequest& r) {
  authz::Permission p;
  p.action = *authz::ParseAction(r.action);
  p.resource.type = *authz::ParseResourceType(r.type);
  p.resource.org_id = *authz::ParseOptionalId(r.org_id, "org_id");
  p.resource.id = *authz::ParseOptionalId(r.id, "id");
  return p;
}

services::ExtAuthzRouteTable Routes() {
  auto table = services::ExtAuthzRouteTable::Parse(ExtAuthzRoutesYaml(), "load_gen routes");
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : services::ExtAuthzRouteTable();
}

TEST(ExtAuthzRequestsTest, RouteTableParsesWithFourRoutesPerTypeAndTheWriteRoute) {
  EXPECT_EQ(Routes().size(), 1u + 4u * authz::kResourceTypeCount);
}

TEST(ExtAuthzRequestsTest, EveryLineShapeAsksCheckForItsAuthorizePermission) {
  services::ExtAuthzOptions options;
  options.routes = Routes();
  const std::string token = authz::GenerateToken();
  int cases = 0;
  for (authz::ResourceType type : authz::AllResourceTypes()) {
    for (const char* action : {"read", "write"}) {
      for (const char* org : {kOrg, ""}) {
        for (const char* id : {kBucket, ""}) {
          const BenchRequest line{RequestKind::kAllowed, token, action,
                                  std::string(authz::ResourceTypeName(type)), org, id};
          const std::string label = absl::StrCat(action, " ", line.type, " org=", org, " id=", id);
          auto request = CheckRequestFor(line, 7);
          ASSERT_TRUE(request.ok()) << label << ": " << request.status();
          std::string seen_token;
          authz::Permission seen;
          int decisions = 0;
          envoy::service::auth::v3::CheckResponse response;
          absl::Status s = services::CheckOnce(
              options, *request,
              [&](absl::string_view t, const authz::Permission& p) {
                ++decisions;
                seen_token = std::string(t);
                seen = p;
                authz::Decision d;
                d.allowed = true;
                d.reason = authz::DenyReason::kNone;
                return d;
              },
              &response);
          ASSERT_TRUE(s.ok()) << label << ": " << s;
          ASSERT_EQ(decisions, 1) << label << ": " << response.status().message();
          EXPECT_EQ(seen_token, token) << label;
          EXPECT_EQ(seen, AuthorizePermission(line))
              << label << ": check asked " << authz::PermissionString(seen) << " for "
              << request->attributes().request().http().method() << " "
              << request->attributes().request().http().path();
          EXPECT_TRUE(response.has_ok_response()) << label;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, authz::kResourceTypeCount * 8);
}

TEST(ExtAuthzRequestsTest, BucketLinesUseInfluxDbPaths) {
  const std::string token = authz::GenerateToken();
  auto read = HttpTargetFor(BenchRequest{RequestKind::kAllowed, token, "read", "buckets", kOrg, kBucket});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->method, "GET");
  EXPECT_EQ(read->path, absl::StrCat("/api/v2/buckets/", kBucket, "?orgID=", kOrg));
  auto write = HttpTargetFor(BenchRequest{RequestKind::kDenied, token, "write", "buckets", kOrg, kBucket});
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_EQ(write->method, "POST");
  EXPECT_EQ(write->path,
            absl::StrCat("/api/v2/write?orgID=", kOrg, "&bucket=", kBucket, "&precision=ns"));
  auto list = HttpTargetFor(BenchRequest{RequestKind::kDenied, token, "read", "authorizations", kOrg, ""});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->method, "GET");
  EXPECT_EQ(list->path, absl::StrCat("/api/v2/authorizations?orgID=", kOrg));
}

TEST(ExtAuthzRequestsTest, CheckRequestCarriesWhatEnvoysFilterSends) {
  const std::string token = authz::GenerateToken();
  const BenchRequest line{RequestKind::kAllowed, token, "read", "buckets", kOrg, kBucket};
  auto a = CheckRequestFor(line, 1);
  auto b = CheckRequestFor(line, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto& attrs = a->attributes();
  EXPECT_FALSE(attrs.source().address().socket_address().address().empty());
  EXPECT_NE(attrs.source().address().socket_address().port_value(), 0u);
  EXPECT_EQ(attrs.destination().address().socket_address().port_value(), 8086u);
  EXPECT_TRUE(attrs.request().has_time());
  EXPECT_TRUE(attrs.context_extensions().empty());
  const auto& http = attrs.request().http();
  EXPECT_FALSE(http.id().empty());
  EXPECT_EQ(http.method(), "GET");
  EXPECT_EQ(http.scheme(), "http");
  EXPECT_EQ(http.protocol(), "HTTP/1.1");
  EXPECT_FALSE(http.host().empty());
  EXPECT_FALSE(http.has_header_map());
  EXPECT_EQ(http.headers_size(), 8);
  for (const auto& [key, value] : http.headers()) {
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(key, lower) << "Envoy lowercases header names";
  }
  EXPECT_EQ(http.headers().at("authorization"), "Token " + token);
  EXPECT_EQ(http.headers().at(":path"), http.path());
  EXPECT_EQ(http.headers().at(":method"), http.method());
  EXPECT_EQ(http.headers().at(":authority"), http.host());
  EXPECT_EQ(http.headers().at("x-request-id").size(), 36u);
  // Each stream is its own request.
  EXPECT_NE(http.id(), b->attributes().request().http().id());
  EXPECT_NE(http.headers().at("x-request-id"),
            b->attributes().request().http().headers().at("x-request-id"));

  auto write = CheckRequestFor(BenchRequest{RequestKind::kDenied, token, "write", "buckets", kOrg, kBucket}, 3);
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->attributes().request().http().headers_size(), 8);
  EXPECT_EQ(write->attributes().request().http().headers().at("content-encoding"), "gzip");
}

TEST(ExtAuthzRequestsTest, AuthorizationOnlyRequestKeepsOneHeaderAndItsPermission) {
  services::ExtAuthzOptions options;
  options.routes = Routes();
  const std::string token = authz::GenerateToken();
  const BenchRequest line{RequestKind::kDenied, token, "write", "buckets", kOrg, kBucket};
  auto request = CheckRequestFor(line, 9, CheckHeaders::kAuthorizationOnly);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& http = request->attributes().request().http();
  ASSERT_EQ(http.headers_size(), 1);
  EXPECT_EQ(http.headers().at("authorization"), "Token " + token);
  EXPECT_EQ(http.method(), "POST");
  authz::Permission seen;
  envoy::service::auth::v3::CheckResponse response;
  ASSERT_TRUE(services::CheckOnce(options, *request,
                                  [&](absl::string_view, const authz::Permission& p) {
                                    seen = p;
                                    return authz::Decision{};
                                  },
                                  &response)
                  .ok());
  EXPECT_EQ(seen, AuthorizePermission(line));
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Unauthorized);
}

TEST(ExtAuthzRequestsTest, LinesNoRouteCanMapAreRefused) {
  const std::string token = authz::GenerateToken();
  auto bad_action = CheckRequestFor(BenchRequest{RequestKind::kAllowed, token, "delete", "buckets", kOrg, ""}, 1);
  EXPECT_EQ(bad_action.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_action.status().message(), "action: must be read or write");
  auto bad_type = HttpTargetFor(BenchRequest{RequestKind::kAllowed, token, "read", "widgets", kOrg, ""});
  EXPECT_EQ(bad_type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_type.status().message(), "type: \"widgets\" has no HTTP route");
}

}  // namespace
}  // namespace authd::bench
