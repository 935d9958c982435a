// End-to-end: the List RPCs page (page_size, page_token), bounded per call, filtered per caller.
#include <set>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace authd::e2e {
namespace {

class PagingE2eTest : public SetUpAuthdTest {
 protected:
  // Lists with `req` as `token`, following pages; returns the IDs and counts the pages.
  std::vector<std::string> ListAll(v1::ListAuthorizationsRequest req, const std::string& token,
                                   int* pages) {
    std::vector<std::string> ids;
    *pages = 0;
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListAuthorizationsResponse resp;
      grpc::Status s = client_->auths->ListAuthorizations(AuthdClient::Ctx(token).get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      ++*pages;
      for (const auto& a : resp.authorizations()) ids.push_back(a.id());
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return ids;
  }
};

TEST_F(PagingE2eTest, ListAuthorizationsPagesThroughEveryTokenOnceInIdOrder) {
  for (int i = 0; i < 120; ++i) MustCreate({Perm("read", "buckets", bucket_id_, org_id_)});
  v1::ListAuthorizationsRequest req;
  req.set_page_size(50);
  int pages = 0;
  std::vector<std::string> ids = ListAll(req, operator_token_, &pages);
  EXPECT_EQ(ids.size(), 121u);
  EXPECT_EQ(pages, 3);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "duplicates";

  // The default page is 100; too large a page is lowered to 1000.
  v1::ListAuthorizationsResponse resp;
  ASSERT_TRUE(client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), {}, &resp).ok());
  EXPECT_EQ(resp.authorizations_size(), 100);
  EXPECT_FALSE(resp.next_page_token().empty());
  req.set_page_size(5000);
  ASSERT_TRUE(client_->auths->ListAuthorizations(AuthdClient::Ctx(operator_token_).get(), req, &resp).ok());
  EXPECT_EQ(resp.authorizations_size(), 121);
  EXPECT_TRUE(resp.next_page_token().empty());

  // Filters combine with paging.
  v1::ListAuthorizationsRequest by_org;
  by_org.set_org_id(org_id_);
  by_org.set_page_size(40);
  EXPECT_EQ(ListAll(by_org, operator_token_, &pages).size(), 121u);
  EXPECT_EQ(pages, 4);
}

TEST_F(PagingE2eTest, PagesSkipWhatTheCallerMayNotReadWithBoundedWork) {
  // 60 tokens of another user the all-access caller cannot see, then its own.
  v1::CreateUserRequest u;
  u.set_name("other");
  v1::User other;
  ASSERT_TRUE(client_->tenant->CreateUser(AuthdClient::Ctx(operator_token_).get(), u, &other).ok());
  for (int i = 0; i < 60; ++i) MustCreate({Perm("read", "buckets", bucket_id_, org_id_)}, "", "", other.id());
  v1::CreateAuthorizationRequest all_req;
  all_req.set_org_id(org_id_);
  all_req.set_preset(v1::PRESET_ALL_ACCESS);
  v1::Authorization all;
  ASSERT_TRUE(client_->Create(operator_token_, all_req, &all).ok());
  v1::ListAuthorizationsRequest req;
  req.set_page_size(2);  // Examines at most 20 tokens per call.
  int pages = 0;
  std::vector<std::string> ids = ListAll(req, all.token(), &pages);
  // The admin's own tokens: the operator token and the all-access one.
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_GE(pages, 4) << "a page never examines more than 10 x page_size tokens";
}

TEST_F(PagingE2eTest, BadPagingArgumentsAreInvalidArgument) {
  v1::ListOrgsRequest req;
  req.set_page_size(-1);
  v1::ListOrgsResponse resp;
  grpc::Status s = client_->tenant->ListOrgs(AuthdClient::Ctx(operator_token_).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "page_size: must not be negative");
  for (const std::string token : {"garbage", "p1.XYZ", "p2.0000000000000001"}) {
    v1::ListUsersRequest users;
    users.set_page_token(token);
    v1::ListUsersResponse out;
    s = client_->tenant->ListUsers(AuthdClient::Ctx(operator_token_).get(), users, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << token;
    EXPECT_EQ(s.error_message(), "page_token: malformed");
  }
  // Buckets and orgs page too.
  for (int i = 0; i < 3; ++i) {
    v1::CreateBucketRequest b;
    b.set_org_id(org_id_);
    b.set_name("b" + std::to_string(i));
    v1::Bucket bucket;
    ASSERT_TRUE(client_->tenant->CreateBucket(AuthdClient::Ctx(operator_token_).get(), b, &bucket).ok());
  }
  v1::ListBucketsRequest breq;
  breq.set_page_size(2);
  v1::ListBucketsResponse bresp;
  ASSERT_TRUE(client_->tenant->ListBuckets(AuthdClient::Ctx(operator_token_).get(), breq, &bresp).ok());
  EXPECT_EQ(bresp.buckets_size(), 2);
  ASSERT_FALSE(bresp.next_page_token().empty());
  breq.set_page_token(bresp.next_page_token());
  ASSERT_TRUE(client_->tenant->ListBuckets(AuthdClient::Ctx(operator_token_).get(), breq, &bresp).ok());
  EXPECT_EQ(bresp.buckets_size(), 2);
  EXPECT_TRUE(bresp.next_page_token().empty());
}

}  // namespace
}  // namespace authd::e2e
