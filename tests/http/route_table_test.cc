#include "http/route_table.h"

#include "gtest/gtest.h"

namespace authd::http {
namespace {

RouteTable Table() {
  RouteTable t;
  t.Add("GET", "/api/v2/authorizations", 1);
  t.Add("POST", "/api/v2/authorizations", 2);
  t.Add("GET", "/api/v2/authorizations/{id}", 3);
  t.Add("DELETE", "/api/v2/authorizations/{id}", 4);
  t.Add("GET", "/api/v2/users/{id}/password", 5);
  return t;
}

TEST(RouteTableTest, FindsTheRouteAndItsCaptures) {
  struct Case {
    const char* method;
    const char* path;
    RouteMatch::Kind kind;
    int handler;
    const char* id;
    const char* allowed;
  };
  const Case cases[] = {
      {"GET", "/api/v2/authorizations", RouteMatch::Kind::kFound, 1, "", ""},
      {"GET", "/api/v2/authorizations/", RouteMatch::Kind::kFound, 1, "", ""},
      {"POST", "/api/v2/authorizations", RouteMatch::Kind::kFound, 2, "", ""},
      {"GET", "/api/v2/authorizations/0123456789abcdef", RouteMatch::Kind::kFound, 3,
       "0123456789abcdef", ""},
      {"DELETE", "/api/v2/authorizations/x", RouteMatch::Kind::kFound, 4, "x", ""},
      {"GET", "/api/v2/users/u1/password", RouteMatch::Kind::kFound, 5, "u1", ""},
      {"PUT", "/api/v2/authorizations", RouteMatch::Kind::kWrongMethod, 0, "", "GET, POST"},
      {"PATCH", "/api/v2/authorizations/x", RouteMatch::Kind::kWrongMethod, 0, "",
       "GET, DELETE"},
      {"get", "/api/v2/authorizations", RouteMatch::Kind::kWrongMethod, 0, "", "GET, POST"},
      {"GET", "/api/v2/authorizations/x/y", RouteMatch::Kind::kNoPath, 0, "", ""},
      {"GET", "/api/v2", RouteMatch::Kind::kNoPath, 0, "", ""},
      {"GET", "/", RouteMatch::Kind::kNoPath, 0, "", ""},
      {"GET", "/api/v2/Authorizations", RouteMatch::Kind::kNoPath, 0, "", ""},
  };
  const RouteTable t = Table();
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path);
    RouteMatch m = t.Find(c.method, c.path);
    EXPECT_EQ(m.kind, c.kind);
    EXPECT_EQ(m.handler, c.handler);
    EXPECT_EQ(m.Param("id"), c.id);
    EXPECT_EQ(m.allowed, c.allowed);
  }
}

}  // namespace
}  // namespace authd::http
