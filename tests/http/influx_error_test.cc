#include "http/influx_error.h"

#include <nlohmann/json.hpp>

#include "authz/permission.h"
#include "authz/principal.h"
#include "gtest/gtest.h"

namespace authd::http {
namespace {

TEST(InfluxErrorTest, GrpcCodesBecomeInfluxDbStatusesAndCodes) {
  struct Case {
    grpc::StatusCode code;
    const char* message;
    int status;
    std::string influx_code;
  };
  const Case cases[] = {
      {grpc::StatusCode::INVALID_ARGUMENT, "org id required", 400, "invalid"},
      {grpc::StatusCode::OUT_OF_RANGE, "x", 400, "invalid"},
      {grpc::StatusCode::UNAUTHENTICATED, "unauthorized access", 401, "unauthorized"},
      {grpc::StatusCode::PERMISSION_DENIED, "read:orgs/0000000000000001/authorizations is unauthorized",
       401, "unauthorized"},
      {grpc::StatusCode::PERMISSION_DENIED, "permission write:buckets is not allowed", 403,
       "forbidden"},
      {grpc::StatusCode::PERMISSION_DENIED, "user is inactive", 403, "forbidden"},
      {grpc::StatusCode::NOT_FOUND, "authorization not found", 404, "not found"},
      {grpc::StatusCode::ALREADY_EXISTS, "token already exists", 422, "conflict"},
      {grpc::StatusCode::FAILED_PRECONDITION, "onboarding has already been completed", 422,
       "conflict"},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", 503, "unavailable"},
      {grpc::StatusCode::UNAVAILABLE, "etcd", 503, "unavailable"},
      {grpc::StatusCode::DEADLINE_EXCEEDED, "late", 408, "unavailable"},
      {grpc::StatusCode::UNIMPLEMENTED, "no", 501, "not implemented"},
      {grpc::StatusCode::INTERNAL, "boom", 500, "internal error"},
      {grpc::StatusCode::DATA_LOSS, "bad record", 500, "internal error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    InfluxError e = InfluxErrorFor(c.code, c.message);
    EXPECT_EQ(e.http_status, c.status);
    EXPECT_EQ(e.code, c.influx_code);
  }
}

// The 401/403 split rests on authz::Require's wording: this fails if that wording changes.
TEST(InfluxErrorTest, AFailedPermissionCheckFromAuthzIs401) {
  authz::Principal nobody;
  absl::Status denied = authz::Require(
      nobody, authz::OrgPermission(authz::Action::kWrite, authz::ResourceType::kAuthorizations, 7));
  ASSERT_TRUE(absl::IsPermissionDenied(denied));
  EXPECT_EQ(InfluxErrorFor(grpc::StatusCode::PERMISSION_DENIED, denied.message()).http_status, 401);
  absl::Status escalation = authz::CheckGrantable(
      nobody, {authz::OrgPermission(authz::Action::kRead, authz::ResourceType::kBuckets, 7)});
  ASSERT_TRUE(absl::IsPermissionDenied(escalation));
  EXPECT_EQ(InfluxErrorFor(grpc::StatusCode::PERMISSION_DENIED, escalation.message()).http_status,
            403);
}

TEST(InfluxErrorTest, TheBodyIsCodeAndMessageWithTheHeader) {
  HttpResponse r = ErrorResponse(grpc::Status(grpc::StatusCode::NOT_FOUND, "authorization not found"));
  EXPECT_EQ(r.status, 404);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j, (nlohmann::json{{"code", "not found"}, {"message", "authorization not found"}}));
  bool header = false;
  for (const auto& [k, v] : r.headers) header |= k == "X-Platform-Error-Code" && v == "not found";
  EXPECT_TRUE(header);
}

TEST(InfluxErrorTest, InternalDetailsStayInTheLog) {
  HttpResponse r = ErrorResponse(grpc::Status(grpc::StatusCode::INTERNAL, "rocksdb: /data/x corrupt"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("rocksdb"), std::string::npos);
  EXPECT_NE(r.body.find("An internal error has occurred"), std::string::npos);
}

}  // namespace
}  // namespace authd::http
