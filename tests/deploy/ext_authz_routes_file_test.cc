// deploy/ext-authz/routes.yaml, the ready-to-use route table for Envoy ext_authz in front of
// InfluxDB: it loads with the parser authd uses at start-up (services/ext_authz_routes.h), each
// InfluxDB request below asks for the permission the file's comments promise, and docs/envoy.md
// shows the file as it is.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "authz/permission.h"
#include "gtest/gtest.h"
#include "services/ext_authz_routes.h"

namespace authd::services {
namespace {

constexpr char kOrg[] = "0000000000000a01";
constexpr char kBucket[] = "00000000000000b1";

std::string Runfile(const std::string& path) {
  const char* root = std::getenv("TEST_SRCDIR");
  return std::string(root == nullptr ? "." : root) + "/authd/" + path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RoutesFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ExtAuthzRouteTable> table =
        ExtAuthzRouteTable::Load(Runfile("deploy/ext-authz/routes.yaml"));
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *std::move(table);
  }

  // What Check asks for on `method` `path_and_query`: the permission as InfluxDB writes it,
  // "no route" (403) or "invalid: <message>" (400).
  std::string Asks(const std::string& method, const std::string& path_and_query) {
    const SplitPath split = SplitPathAndQuery(path_and_query);
    PathCaptures captures;
    const ExtAuthzRoute* route = table_.Find(method, split.path, &captures);
    if (route == nullptr) return "no route";
    absl::StatusOr<authz::Permission> p = ResolveTarget(route->target, captures, split.query);
    if (!p.ok()) return "invalid: " + std::string(p.status().message());
    return authz::PermissionString(*p);
  }

  ExtAuthzRouteTable table_;
};

TEST_F(RoutesFileTest, LoadsWithEveryRoute) { EXPECT_EQ(table_.size(), 10u); }

TEST_F(RoutesFileTest, InfluxDbRequestsAskForThePermissionsTheCommentsPromise) {
  const std::string org = kOrg, bucket = kBucket;
  struct Case {
    std::string method, path, asks;
  };
  const Case cases[] = {
      {"GET", "/api/v2/buckets?orgID=" + org, "read:orgs/" + org + "/buckets"},
      {"GET", "/api/v2/buckets", "read:buckets"},
      {"GET", "/api/v2/buckets/" + bucket, "read:buckets/" + bucket},
      // orgID is not InfluxDB's scope here: it is ignored, never trusted.
      {"GET", "/api/v2/buckets/" + bucket + "?orgID=" + org, "read:buckets/" + bucket},
      {"HEAD", "/api/v2/buckets/" + bucket + "/labels", "read:buckets/" + bucket},
      {"PATCH", "/api/v2/buckets/" + bucket, "write:buckets/" + bucket},
      {"DELETE", "/api/v2/buckets/" + bucket, "write:buckets/" + bucket},
      {"POST", "/api/v2/buckets/" + bucket + "/labels", "write:buckets/" + bucket},
      {"POST", "/api/v2/write?orgID=" + org + "&bucket=" + bucket + "&precision=s",
       "write:orgs/" + org + "/buckets/" + bucket},
      {"POST", "/api/v2/write?org=acme&bucket=" + bucket, "write:buckets/" + bucket},
      {"POST", "/api/v2/write?org=acme&bucket=metrics",
       "invalid: resource id from {query.bucket} is not a valid ID"},
      {"POST", "/api/v2/delete?orgID=" + org + "&bucketID=" + bucket,
       "write:orgs/" + org + "/buckets/" + bucket},
      {"POST", "/api/v2/query?orgID=" + org, "read:orgs/" + org + "/buckets"},
      {"POST", "/api/v2/query/analyze?orgID=" + org, "read:orgs/" + org + "/buckets"},
      {"GET", "/api/v2/query/suggestions?orgID=" + org, "read:orgs/" + org + "/buckets"},
      {"GET", "/api/v2/orgs/" + org, "read:orgs/" + org},
      {"GET", "/api/v2/orgs/" + org + "/members", "read:orgs/" + org},
      {"PATCH", "/api/v2/orgs/" + org, "write:orgs/" + org},
      {"GET", "/api/v2/orgs/acme", "invalid: resource id from {org} is not a valid ID"},
      // Secrets are their own type (InfluxDB's): reading the org is not enough.
      {"GET", "/api/v2/orgs/" + org + "/secrets", "read:orgs/" + org + "/secrets"},
      {"PATCH", "/api/v2/orgs/" + org + "/secrets", "write:orgs/" + org + "/secrets"},
      {"POST", "/api/v2/orgs/" + org + "/secrets/delete", "write:orgs/" + org + "/secrets"},
      // A parameter named twice (once escaped) is refused: upstreams differ on which one counts.
      {"POST", "/api/v2/write?bucke%74=" + bucket + "&bucket=" + bucket + "&orgID=" + org,
       "invalid: query parameter \"bucket\" appears more than once"},
      // Not routed: denied 403 (health endpoints are kept out of the check in Envoy).
      {"GET", "/health", "no route"},
      {"GET", "/api/v2/write", "no route"},
      {"POST", "/api/v2/buckets", "no route"},
      {"GET", "/api/v2/orgs", "no route"},
      {"GET", "/api/v2/authorizations", "no route"},
      {"get", "/api/v2/buckets/" + bucket, "no route"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Asks(c.method, c.path), c.asks) << c.method << " " << c.path;
  }
}

TEST_F(RoutesFileTest, DocsEnvoyMdShowsTheFileAsItIs) {
  const std::string file = ReadAll(Runfile("deploy/ext-authz/routes.yaml"));
  const std::string doc = ReadAll(Runfile("docs/envoy.md"));
  ASSERT_FALSE(file.empty());
  ASSERT_FALSE(doc.empty());
  EXPECT_NE(doc.find("```yaml\n" + file + "```\n"), std::string::npos)
      << "docs/envoy.md must show deploy/ext-authz/routes.yaml verbatim in a ```yaml block";
}

}  // namespace
}  // namespace authd::services
