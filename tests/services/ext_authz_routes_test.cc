// ExtAuthzRouteTable, PathPattern and the path helpers (services/ext_authz_routes.h): table tests
// of matching, resolving, parsing and every refusal of a route file.
#include "services/ext_authz_routes.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

constexpr char kBucket[] = "0123456789abcdef";
constexpr char kOrg[] = "fedcba9876543210";

TEST(PathPatternTest, MatchesAsTabled) {
  struct Case {
    const char* pattern;
    const char* path;
    bool match;
    std::vector<std::string> captures;
  };
  const Case cases[] = {
      {"/", "/", true, {}},
      {"/", "/a", false, {}},
      {"/api/v2/buckets", "/api/v2/buckets", true, {}},
      {"/api/v2/buckets", "/api/v2/buckets/", true, {}},
      {"/api/v2/buckets", "/api/v2/bucket", false, {}},
      {"/api/v2/buckets", "/api/v2/buckets/x", false, {}},
      {"/api/v2/buckets/{id}", "/api/v2/buckets/abc", true, {"abc"}},
      {"/api/v2/buckets/{id}", "/api/v2/buckets", false, {}},
      {"/api/v2/buckets/{id}", "/api/v2/buckets/abc/labels", false, {}},
      {"/api/v2/buckets/{id}/**", "/api/v2/buckets/abc", true, {"abc"}},
      {"/api/v2/buckets/{id}/**", "/api/v2/buckets/abc/labels/x", true, {"abc"}},
      {"/orgs/{org}/buckets/{bucket}", "/orgs/o1/buckets/b1", true, {"o1", "b1"}},
      {"/api/*/buckets", "/api/v9/buckets", true, {}},
      {"/api/*/buckets", "/api/buckets", false, {}},
      {"/**", "/", true, {}},
      {"/**", "/anything/at/all", true, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PathPattern> p = PathPattern::Parse(c.pattern);
    ASSERT_TRUE(p.ok()) << c.pattern << ": " << p.status();
    PathCaptures captures;
    EXPECT_EQ(p->Match(c.path, &captures), c.match) << c.pattern << " vs " << c.path;
    if (!c.match) continue;
    ASSERT_EQ(captures.size, c.captures.size()) << c.pattern << " vs " << c.path;
    for (size_t i = 0; i < captures.size; ++i) EXPECT_EQ(captures.values[i], c.captures[i]);
  }
}

TEST(PathPatternTest, ParseRefusesMalformedPatterns) {
  struct Case {
    const char* pattern;
    const char* message;
  };
  const Case cases[] = {
      {"api/v2", "must start with '/'"},
      {"", "must start with '/'"},
      {"/a/**/b", "** must be the last segment"},
      {"/a/{}", "is not a capture"},
      {"/a/{bad name}", "is not a capture"},
      {"/a/{query.x}", "is not a capture"},
      {"/a/{id}/{id}", "appears twice"},
      {"/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "more than 8 captures"},
      {"/a//b", "is not a path segment"},
      {"/a/../b", "is not a path segment"},
      {"/a/b?c", "is not a path segment"},
      {"/a/x*", "is not a path segment"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PathPattern> p = PathPattern::Parse(c.pattern);
    ASSERT_FALSE(p.ok()) << c.pattern;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.message), std::string::npos)
        << c.pattern << ": " << p.status();
  }
}

TEST(PathHelpersTest, SplitAndNormalAndQuery) {
  SplitPath s = SplitPathAndQuery("/a/b?x=1&y=2#frag");
  EXPECT_EQ(s.path, "/a/b");
  EXPECT_EQ(s.query, "x=1&y=2");
  s = SplitPathAndQuery("/a");
  EXPECT_EQ(s.path, "/a");
  EXPECT_EQ(s.query, "");

  for (const char* ok : {"/", "/a", "/a/b/", "/api/v2/buckets/0123", "/a%20b", "/a%3Fb"}) {
    EXPECT_TRUE(IsNormalPath(ok)) << ok;
  }
  for (const char* bad : {"", "a/b", "//a", "/a//b", "/a/./b", "/a/../b", "/..", "/a/%2Fb",
                          "/a/%2e%2E/b", "/a%5cb", "/a\\b", "/api/v2/%62uckets", "/a%7e",
                          "/a%", "/a%4", "/a%zz"}) {
    EXPECT_FALSE(IsNormalPath(bad)) << bad;
  }

  auto q = [](absl::string_view query, absl::string_view name) {
    absl::StatusOr<std::optional<std::string>> v = QueryParam(query, name);
    return v.ok() ? (*v ? **v : std::string("<absent>")) : "error: " + std::string(v.status().message());
  };
  EXPECT_EQ(q("orgID=1&bucket=2", "bucket"), "2");
  EXPECT_EQ(q("orgID=1&bucket=2", "orgID"), "1");
  EXPECT_EQ(q("orgID=1&bucket", "bucket"), "");
  EXPECT_EQ(q("orgIDx=1", "orgID"), "<absent>");
  EXPECT_EQ(q("", "orgID"), "<absent>");
  // Decoded as the upstream decodes them: keys and values.
  EXPECT_EQ(q("bucke%74=ab%63d&x=1", "bucket"), "abcd");
  EXPECT_EQ(q("a+b=c+d", "a b"), "c d");
  // What upstreams read differently is refused.
  EXPECT_EQ(q("bucke%74=victim&bucket=mine", "bucket"),
            "error: query parameter \"bucket\" appears more than once");
  EXPECT_EQ(q("bucket=a&bucket=b", "bucket"),
            "error: query parameter \"bucket\" appears more than once");
  EXPECT_EQ(q("bucket=a;bucket=b", "bucket"),
            "error: the query holds ';', which upstreams split on differently: refused");
  EXPECT_EQ(q("bucket=%zz", "bucket"), "error: the query holds a malformed %-escape");
  EXPECT_EQ(q("bucket=%4", "bucket"), "error: the query holds a malformed %-escape");
}

constexpr char kTable[] = R"(
version: 1
routes:
  - methods: [GET, head]
    path: /api/v2/buckets/{bucket}/**
    action: read
    resource_type: buckets
    resource_id: "{bucket}"
    org_id: "{query.orgID}"
  - methods: [POST]
    path: /api/v2/write
    action: write
    resource_type: buckets
    resource_id: "{query.bucketID}"
    org_id: "{query.orgID}"
  - path: /api/v2/orgs/{org}/**
    action: read
    resource_type: orgs
    resource_id: "{org}"
  - path: /fixed
    action: write
    resource_type: dashboards
    resource_id: "0123456789abcdef"
    org_id: "fedcba9876543210"
)";

TEST(ExtAuthzRouteTableTest, FindsTheFirstMatchAndResolvesItsPermission) {
  absl::StatusOr<ExtAuthzRouteTable> table = ExtAuthzRouteTable::Parse(kTable, "routes.yaml");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 4u);
  struct Case {
    const char* method;
    std::string path;
    bool found;
    authz::Permission want;
  };
  const authz::Id b = 0x0123456789abcdef, o = 0xfedcba9876543210;
  const Case cases[] = {
      {"GET", absl::StrCat("/api/v2/buckets/", kBucket, "?orgID=", kOrg), true,
       authz::OrgIdPermission(authz::Action::kRead, authz::ResourceType::kBuckets, o, b)},
      {"HEAD", absl::StrCat("/api/v2/buckets/", kBucket, "/labels"), true,
       authz::IdPermission(authz::Action::kRead, authz::ResourceType::kBuckets, b)},
      {"DELETE", absl::StrCat("/api/v2/buckets/", kBucket), false, {}},
      {"POST", absl::StrCat("/api/v2/write?orgID=", kOrg, "&bucketID=", kBucket), true,
       authz::OrgIdPermission(authz::Action::kWrite, authz::ResourceType::kBuckets, o, b)},
      // No bucketID: the wider permission (every bucket of the org), never a narrower one.
      {"POST", absl::StrCat("/api/v2/write?orgID=", kOrg), true,
       authz::OrgPermission(authz::Action::kWrite, authz::ResourceType::kBuckets, o)},
      {"PATCH", absl::StrCat("/api/v2/orgs/", kOrg), true,
       authz::IdPermission(authz::Action::kRead, authz::ResourceType::kOrgs, o)},
      {"PUT", "/fixed", true,
       authz::OrgIdPermission(authz::Action::kWrite, authz::ResourceType::kDashboards, o, b)},
      {"GET", "/other", false, {}},
  };
  for (const Case& c : cases) {
    const SplitPath split = SplitPathAndQuery(c.path);
    PathCaptures captures;
    const ExtAuthzRoute* route = table->Find(c.method, split.path, &captures);
    ASSERT_EQ(route != nullptr, c.found) << c.method << " " << c.path;
    if (route == nullptr) continue;
    absl::StatusOr<authz::Permission> p = ResolveTarget(route->target, captures, split.query);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(*p, c.want) << c.method << " " << c.path;
  }
}

TEST(ExtAuthzRouteTableTest, ResolveRefusesAValueThatIsNotAnIdWithoutEchoingIt) {
  absl::StatusOr<ExtAuthzRouteTable> table = ExtAuthzRouteTable::Parse(kTable, "routes.yaml");
  ASSERT_TRUE(table.ok());
  PathCaptures captures;
  const ExtAuthzRoute* route = table->Find("GET", "/api/v2/buckets/secret-ish", &captures);
  ASSERT_NE(route, nullptr);
  absl::StatusOr<authz::Permission> p = ResolveTarget(route->target, captures, "");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), "resource id from {bucket} is not a valid ID");
  p = ResolveTarget(route->target, captures, "orgID=zz");
  const std::string path = absl::StrCat("/api/v2/buckets/", kBucket);  // captures view into it
  route = table->Find("GET", path, &captures);
  p = ResolveTarget(route->target, captures, "orgID=zz");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "org id from {query.orgID} is not a valid ID");
}

TEST(ExtAuthzRouteTableTest, ParseRefusesBadFilesNamingTheField) {
  struct Case {
    std::string yaml;
    const char* message;
  };
  const std::string route = "  - path: /a\n    action: read\n    resource_type: buckets\n";
  const Case cases[] = {
      {"[1, 2", "routes.yaml: not YAML"},
      {"- a", "routes.yaml: want a mapping with version and routes"},
      {"routes: []", "routes.yaml: version: this authd reads version 1"},
      {"version: 2\nroutes: []", "routes.yaml: version: this authd reads version 1"},
      {"version: 1\nroutes: {}", "routes.yaml: routes: want a list of routes"},
      {"version: 1\nroute: []", "routes.yaml: unknown key \"route\""},
      {"version: 1\nroutes:\n  - path: /a\n    action: delete\n    resource_type: buckets\n",
       "routes.yaml: routes[0].action: must be read or write"},
      {"version: 1\nroutes:\n  - path: /a\n    action: read\n    resource_type: bukkits\n",
       "routes.yaml: routes[0].resource_type: unknown resource type \"bukkits\""},
      {"version: 1\nroutes:\n" + route + "  - action: read\n    resource_type: buckets\n",
       "routes.yaml: routes[1].path: required"},
      {"version: 1\nroutes:\n  - path: a\n    action: read\n    resource_type: buckets\n",
       "routes.yaml: routes[0].path: \"a\" must start with '/'"},
      {"version: 1\nroutes:\n" + route + "    resource_id: \"{nope}\"\n",
       "routes.yaml: routes[0].resource_id: \"{nope}\" is not a capture of path \"/a\""},
      {"version: 1\nroutes:\n" + route + "    org_id: \"xyz\"\n",
       "routes.yaml: routes[0].org_id: want a 16-digit hex ID, {capture} or {query.name}"},
      {"version: 1\nroutes:\n" + route + "    org_id: \"{query.a b}\"\n",
       "routes.yaml: routes[0].org_id: \"{query.a b}\" is not a query parameter name"},
      {"version: 1\nroutes:\n" + route + "    methods: []\n",
       "routes.yaml: routes[0].methods: want a list"},
      {"version: 1\nroutes:\n" + route + "    methods: [\"GE T\"]\n",
       "routes.yaml: routes[0].methods: \"GE T\" is not an HTTP method"},
      {"version: 1\nroutes:\n" + route + "    resource_ids: x\n",
       "routes.yaml: routes[0]: unknown key \"resource_ids\""},
      {"version: 1\nroutes:\n" + route + "    action: write\n",
       "routes.yaml: routes[0]: key \"action\" given twice"},
      {"version: 1\nroutes:\n  - path: /a\n    action: [read]\n    resource_type: buckets\n",
       "routes.yaml: routes[0].action: want a string"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ExtAuthzRouteTable> t = ExtAuthzRouteTable::Parse(c.yaml, "routes.yaml");
    ASSERT_FALSE(t.ok()) << c.yaml;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.message), std::string::npos)
        << c.yaml << "\n=> " << t.status();
  }
  absl::StatusOr<ExtAuthzRouteTable> missing = ExtAuthzRouteTable::Load("/nonexistent/routes.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "/nonexistent/routes.yaml: cannot read");
}

TEST(ContextExtensionsTest, DescribeARouteOrNone) {
  std::map<std::string, std::string> ext;
  auto lookup = [&](absl::string_view key) -> std::optional<absl::string_view> {
    auto it = ext.find(std::string(key));
    if (it == ext.end()) return std::nullopt;
    return absl::string_view(it->second);
  };
  absl::StatusOr<std::optional<ExtAuthzRoute>> r = RouteFromContextExtensions(lookup);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());

  ext = {{"authd_action", "write"},
         {"authd_resource_type", "buckets"},
         {"authd_path", "/v1/{bucket}/**"},
         {"authd_resource_id", "{bucket}"},
         {"authd_org_id", kOrg}};
  r = RouteFromContextExtensions(lookup);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  PathCaptures captures;
  const std::string path = absl::StrCat("/v1/", kBucket, "/points");  // captures view into it
  ASSERT_TRUE((*r)->path.Match(path, &captures));
  absl::StatusOr<authz::Permission> p = ResolveTarget((*r)->target, captures, "");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, authz::OrgIdPermission(authz::Action::kWrite, authz::ResourceType::kBuckets,
                                       0xfedcba9876543210, 0x0123456789abcdef));

  ext = {{"authd_resource_type", "buckets"}};
  r = RouteFromContextExtensions(lookup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "context_extensions.authd_resource_type: set without authd_action");

  ext = {{"authd_action", "write"}, {"authd_resource_type", "nope"}};
  r = RouteFromContextExtensions(lookup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "context_extensions.authd_resource_type: unknown resource type \"nope\"");
  ext = {{"authd_action", "read"}, {"authd_resource_type", "buckets"}, {"authd_path", "x"}};
  r = RouteFromContextExtensions(lookup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "context_extensions.authd_path: \"x\" must start with '/'");
}

}  // namespace
}  // namespace authd::services
