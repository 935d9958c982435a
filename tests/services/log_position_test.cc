// Log positions on the wire (services/log_position.h), in-process: every authenticated answer says
// `authd-position`; a write's position is at least the one before it plus its events; a call with
// `authd-min-position` beyond what is applied waits and is answered once a later write reaches it,
// or gets UNAVAILABLE at its deadline; a malformed header is INVALID_ARGUMENT; Authorize takes
// `min_position` and then says `position`, and says nothing new without it.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authd/v1/tenant_service.grpc.pb.h"
#include "authz/id.h"
#include "authz/token.h"
#include "gtest/gtest.h"
#include "services/log_position.h"
#include "storage/token_store.h"
#include "tests/services/in_process_authd.h"

namespace authd::services {
namespace {

namespace v1 = authd::v1;

class LogPositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::SetupCommand setup;
    setup.username = "alice";
    setup.org = "acme";
    setup.bucket = "metrics";
    setup.token = token_ = authz::GenerateToken();
    auto done = authd_.store().Setup(setup);
    ASSERT_TRUE(done.ok()) << done.status();
    org_ = authz::FormatId(done->org.id());
    tenant_ = v1::TenantService::NewStub(authd_.channel());
  }

  std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds deadline =
                                                   std::chrono::seconds(20)) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", absl::StrCat("Token ", token_));
    c->set_deadline(std::chrono::system_clock::now() + deadline);
    return c;
  }

  static uint64_t PositionOf(const grpc::ClientContext& c) {
    auto md = c.GetServerInitialMetadata();
    auto it = md.find(kPositionHeader);
    uint64_t p = 0;
    if (it == md.end() || !absl::SimpleAtoi(std::string(it->second.data(), it->second.size()), &p)) {
      ADD_FAILURE() << "no " << kPositionHeader << " in the answer";
    }
    return p;
  }

  grpc::Status CreateOrg(const std::string& name, uint64_t* position) {
    auto c = Context();
    v1::CreateOrgRequest req;
    req.set_name(name);
    v1::Org resp;
    grpc::Status s = tenant_->CreateOrg(c.get(), req, &resp);
    if (s.ok()) *position = PositionOf(*c);
    return s;
  }

  InProcessAuthd authd_;
  std::string token_;
  std::string org_;
  std::unique_ptr<v1::TenantService::Stub> tenant_;
};

TEST(PositionWaitDeadlineTest, ALittleBeforeTheCallsDeadlineAndNeverPastTheCap) {
  const absl::Time now = absl::Now();
  const auto at = [&](absl::Duration d) { return absl::ToChronoTime(now + d); };
  EXPECT_EQ(PositionWaitDeadline(std::chrono::system_clock::time_point::max(), now),
            now + kMaxPositionWait);
  EXPECT_EQ(PositionWaitDeadline(at(absl::Minutes(5)), now), now + kMaxPositionWait);
  EXPECT_EQ(PositionWaitDeadline(at(absl::Seconds(1)), now), now + absl::Milliseconds(950));
  EXPECT_EQ(PositionWaitDeadline(at(absl::Milliseconds(100)), now), now + absl::Milliseconds(90));
  // A deadline already past stays where it is (no margin added the wrong way).
  EXPECT_EQ(PositionWaitDeadline(at(-absl::Seconds(1)), now), now - absl::Seconds(1));
}

TEST_F(LogPositionTest, WritesAndReadsSayThePositionTheyReflect) {
  const uint64_t start = authd_.store().AppliedPosition();
  uint64_t first = 0, second = 0;
  ASSERT_TRUE(CreateOrg("one", &first).ok());
  ASSERT_TRUE(CreateOrg("two", &second).ok());
  EXPECT_GT(first, start);
  EXPECT_GT(second, first);
  // A read at that position says it.
  auto c = Context();
  c->AddMetadata(kMinPositionHeader, absl::StrCat(second));
  v1::GetOrgRequest req;
  req.set_id(org_);
  v1::Org resp;
  ASSERT_TRUE(tenant_->GetOrg(c.get(), req, &resp).ok());
  EXPECT_EQ(PositionOf(*c), second);
}

TEST_F(LogPositionTest, AReadWaitsForItsMinPositionAndIsAnsweredOnceAWriteReachesIt) {
  const uint64_t next = authd_.store().AppliedPosition() + 1;
  grpc::Status read_status;
  uint64_t read_position = 0;
  std::thread reader([&] {
    auto c = Context();
    c->AddMetadata(kMinPositionHeader, absl::StrCat(next));
    v1::GetOrgRequest req;
    req.set_id(org_);
    v1::Org resp;
    read_status = tenant_->GetOrg(c.get(), req, &resp);
    if (read_status.ok()) read_position = PositionOf(*c);
  });
  uint64_t written = 0;
  ASSERT_TRUE(CreateOrg("reaches-it", &written).ok());
  reader.join();
  EXPECT_TRUE(read_status.ok()) << read_status.error_message();
  EXPECT_GE(read_position, next);
  EXPECT_GE(written, next);
}

TEST_F(LogPositionTest, APositionNotReachedByTheDeadlineIsUnavailable) {
  auto c = Context(std::chrono::milliseconds(300));
  c->AddMetadata(kMinPositionHeader, absl::StrCat(authd_.store().AppliedPosition() + 1000));
  v1::GetOrgRequest req;
  req.set_id(org_);
  v1::Org resp;
  grpc::Status s = tenant_->GetOrg(c.get(), req, &resp);
  // The server gives up at the call's deadline; whichever side notices first words it.
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
              s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_code() << " " << s.error_message();
}

TEST_F(LogPositionTest, AMalformedMinPositionIsInvalidArgument) {
  for (const char* bad : {"", "-1", "12x", "0x10", "99999999999999999999999", " 5"}) {
    auto c = Context();
    c->AddMetadata(kMinPositionHeader, bad);
    v1::GetOrgRequest req;
    req.set_id(org_);
    v1::Org resp;
    grpc::Status s = tenant_->GetOrg(c.get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "'" << bad << "'";
    EXPECT_EQ(s.error_message(), "authd-min-position: must be a log position (a decimal number)");
  }
}

TEST_F(LogPositionTest, AuthorizeTakesMinPositionAndOnlyThenSaysItsPosition) {
  auto stub = v1::AuthorizeService::NewStub(authd_.channel());
  v1::AuthorizeRequest req;
  req.set_token(token_);
  req.set_action("read");
  req.mutable_resource()->set_type("orgs");
  {
    v1::AuthorizeResponse resp;
    grpc::ClientContext c;
    ASSERT_TRUE(stub->Authorize(&c, req, &resp).ok());
    EXPECT_TRUE(resp.allowed());
    EXPECT_EQ(resp.position(), 0u) << "the default answer must not grow";
  }
  const uint64_t applied = authd_.store().AppliedPosition();
  req.set_min_position(applied);
  {
    v1::AuthorizeResponse resp;
    grpc::ClientContext c;
    ASSERT_TRUE(stub->Authorize(&c, req, &resp).ok());
    EXPECT_TRUE(resp.allowed());
    EXPECT_EQ(resp.position(), applied);
  }
  req.set_min_position(applied + 1000);
  {
    v1::AuthorizeResponse resp;
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    grpc::Status s = stub->Authorize(&c, req, &resp);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << s.error_code() << " " << s.error_message();
  }
}

}  // namespace
}  // namespace authd::services
