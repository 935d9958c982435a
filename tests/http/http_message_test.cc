#include "http/http_message.h"

#include "gtest/gtest.h"

namespace authd::http {
namespace {

TEST(ParseTargetTest, DecodesPathAndQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  ASSERT_TRUE(ParseTarget("/api/v2/authorizations?org=my%20org&userID=abc&flag&x=a+b", &path,
                          &query));
  EXPECT_EQ(path, "/api/v2/authorizations");
  ASSERT_EQ(query.size(), 4u);
  EXPECT_EQ(query[0], std::make_pair(std::string("org"), std::string("my org")));
  EXPECT_EQ(query[1], std::make_pair(std::string("userID"), std::string("abc")));
  EXPECT_EQ(query[2], std::make_pair(std::string("flag"), std::string("")));
  EXPECT_EQ(query[3], std::make_pair(std::string("x"), std::string("a b")));
  ASSERT_TRUE(ParseTarget("/a%2Fb+c", &path, &query));
  EXPECT_EQ(path, "/a/b+c");  // '+' is a space only in the query
  EXPECT_TRUE(query.empty());
}

TEST(ParseTargetTest, TheAbsoluteFormCountsByItsPathAndQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  ASSERT_TRUE(ParseTarget("http://127.0.0.1:8086/api/v2/orgs?org=a", &path, &query));
  EXPECT_EQ(path, "/api/v2/orgs");
  ASSERT_EQ(query.size(), 1u);
  ASSERT_TRUE(ParseTarget("HTTPS://example/", &path, &query));
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(ParseTarget("http://example", &path, &query));
  EXPECT_EQ(path, "/");
  EXPECT_FALSE(ParseTarget("http://example?x=1", &path, &query));
  EXPECT_FALSE(ParseTarget("ftp://example/x", &path, &query));
}

TEST(ParseTargetTest, RefusesMalformedTargets) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  for (const char* bad : {"", "api/v2", "h://x/y", "/a%", "/a%2", "/a%zz", "/a%00b",
                          "/a?x=%0", "/a?x=%00", "/a?%g1=1"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseTarget(bad, &path, &query));
  }
}

TEST(HttpRequestTest, HeadersAreCaseInsensitiveAndQueriesAreNot) {
  HttpRequest r;
  r.headers = {{"Content-Type", "a"}, {"authorization", "Token t"}, {"Authorization", "second"}};
  r.query = {{"org", "x"}};
  EXPECT_EQ(r.Header("AUTHORIZATION").value_or(""), "Token t");
  EXPECT_EQ(r.Header("content-type").value_or(""), "a");
  EXPECT_FALSE(r.Header("cookie").has_value());
  EXPECT_EQ(r.Query("org").value_or(""), "x");
  EXPECT_FALSE(r.Query("Org").has_value());
}

}  // namespace
}  // namespace authd::http
