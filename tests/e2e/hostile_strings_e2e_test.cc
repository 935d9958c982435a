// End-to-end: every string field of every authd.v1 RPC gets hostile values (empty, over and under
// the 1 MiB request cap, invalid UTF-8, control characters) against the real authd binary. The
// fields are not listed by hand: the test walks the descriptors of every service declared in
// proto/authd/v1 and every string field reachable from each request (nested, repeated). Each call
// is a valid base request (tests/e2e/base_requests.cc) with one field changed, sent as raw bytes
// (so invalid UTF-8 reaches the server). It checks the status code class, that the message never
// echoes the value or a token, and afterwards that authd still serves, stored nothing dirty, and
// passes `authd verify`.
#include <grpcpp/client_context.h>

#include <iostream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/e2e/base_requests.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/raw_call.h"
#include "tests/e2e/string_field_paths.h"

namespace authd::e2e {
namespace {

namespace pb = ::google::protobuf;
using grpc::StatusCode;

struct HostileValue {
  std::string label;
  std::string value;
  // The codes this value may get in any string field.
  std::set<StatusCode> allowed;
  // Whether the value may also be harmless where it lands (then it gets the base request's code).
  bool may_be_harmless;
};

// Refused as malformed, or as a name, ID or token that simply does not exist.
const std::set<StatusCode> kRefused = {StatusCode::INVALID_ARGUMENT, StatusCode::NOT_FOUND,
                                       StatusCode::UNAUTHENTICATED};

std::vector<HostileValue> HostileValues() {
  const std::set<StatusCode> bad_utf8 = {StatusCode::INVALID_ARGUMENT};
  return {
      {"empty", "", kRefused, true},
      {"2MiB", std::string(2 << 20, 'x'), {StatusCode::RESOURCE_EXHAUSTED}, false},
      {"10KiB", std::string(10 << 10, 'x'), kRefused, true},
      {"utf8:ff-fe", "\xff\xfe", bad_utf8, false},
      {"utf8:truncated", "caf\xc3", bad_utf8, false},
      {"utf8:overlong", "over\xc0\xaflong", bad_utf8, false},
      {"ctl:0x01", "ctl\x01-in-the-middle", kRefused, true},
      {"ctl:newline", "two\nlines-of-text", kRefused, true},
      {"ctl:0x7f", "del\x7f-in-the-middle", kRefused, true},
      {"ctl:nul", std::string("nul\0-in-the-middle", 18), kRefused, true},
      {"ctl:escape", "\x1b[2Jansi-escape", kRefused, true},
  };
}

// UTF-8 without control characters (tab allowed where `allow_tab`), at most `max_bytes`.
bool IsCleanText(const std::string& s, size_t max_bytes, bool allow_tab) {
  if (s.size() > max_bytes) return false;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f) return false;
      ++i;
      continue;
    }
    int n = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : -1;
    if (n < 0 || i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string MethodPath(const pb::MethodDescriptor* m) {
  return absl::StrCat("/", m->service()->full_name(), "/", m->name());
}

class HostileStringsE2eTest : public SetUpAuthdTest {
 protected:
  // Sends `base` as raw bytes to `method`.
  RawCallResult Send(const pb::MethodDescriptor* method, const BaseRequest& base) {
    std::vector<std::string> bytes;
    for (const auto& m : base.messages) bytes.push_back(SerializeRaw(*m));
    return RawCall(authd_->channel(), MethodPath(method), base.token, bytes, base.deadline);
  }

  // Every org, user, bucket and token name/description/status the operator can list is clean.
  void ExpectStoredTextIsClean() {
    auto ctx = [&] { return AuthdClient::Ctx(operator_token_); };
    std::string page;
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListOrgsRequest req;
      req.set_page_token(page);
      v1::ListOrgsResponse resp;
      ASSERT_TRUE(client_->tenant->ListOrgs(ctx().get(), req, &resp).ok());
      for (const auto& o : resp.orgs()) {
        EXPECT_TRUE(IsCleanText(o.name(), 256, false)) << "org " << o.id();
        EXPECT_TRUE(IsCleanText(o.description(), 1024, true)) << "org " << o.id();
      }
      if ((page = resp.next_page_token()).empty()) break;
    }
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListUsersRequest req;
      req.set_page_token(page);
      v1::ListUsersResponse resp;
      ASSERT_TRUE(client_->tenant->ListUsers(ctx().get(), req, &resp).ok());
      for (const auto& u : resp.users()) {
        EXPECT_TRUE(IsCleanText(u.name(), 256, false)) << "user " << u.id();
        EXPECT_TRUE(u.status() == "active" || u.status() == "inactive") << "user " << u.id();
      }
      if ((page = resp.next_page_token()).empty()) break;
    }
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListBucketsRequest req;
      req.set_page_token(page);
      v1::ListBucketsResponse resp;
      ASSERT_TRUE(client_->tenant->ListBuckets(ctx().get(), req, &resp).ok());
      for (const auto& b : resp.buckets()) {
        EXPECT_TRUE(IsCleanText(b.name(), 256, false)) << "bucket " << b.id();
        EXPECT_TRUE(IsCleanText(b.description(), 1024, true)) << "bucket " << b.id();
      }
      if ((page = resp.next_page_token()).empty()) break;
    }
    for (int guard = 0; guard < 100; ++guard) {
      v1::ListAuthorizationsRequest req;
      req.set_page_token(page);
      v1::ListAuthorizationsResponse resp;
      ASSERT_TRUE(client_->auths->ListAuthorizations(ctx().get(), req, &resp).ok());
      for (const auto& a : resp.authorizations()) {
        EXPECT_TRUE(IsCleanText(a.description(), 1024, true)) << "authorization " << a.id();
        EXPECT_TRUE(a.status() == "active" || a.status() == "inactive") << a.id();
        for (const auto& p : a.permissions()) {
          EXPECT_TRUE(IsCleanText(p.resource().name(), 256, false)) << a.id();
          EXPECT_TRUE(IsCleanText(p.resource().org(), 256, false)) << a.id();
        }
      }
      if ((page = resp.next_page_token()).empty()) break;
    }
  }
};

TEST_F(HostileStringsE2eTest, EveryStringFieldOfEveryRpcRefusesHostileValuesCleanly) {
  auto services = ServicesInProtoDir(RunfilePath("proto/authd/v1"), "authd/v1/");
  ASSERT_TRUE(services.ok()) << services.status();
  ASSERT_GE(services->size(), 6u);
  RequestEnv env(client_.get(), operator_token_, user_id_, org_id_, bucket_id_);
  const auto& builders = BaseRequestBuilders();
  const std::vector<HostileValue> values = HostileValues();
  auto health = grpc::health::v1::Health::NewStub(authd_->channel());

  std::set<std::string> methods_seen;
  std::vector<std::string> matrix;  // one line per field: the code each value got
  size_t calls = 0;
  for (const pb::ServiceDescriptor* service : *services) {
    // Every declared service is the one the binary serves.
    grpc::health::v1::HealthCheckRequest hreq;
    hreq.set_service(service->full_name());
    grpc::health::v1::HealthCheckResponse hresp;
    ASSERT_TRUE(health->Check(AuthdClient::Ctx().get(), hreq, &hresp).ok()) << service->full_name();
    EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

    for (int mi = 0; mi < service->method_count(); ++mi) {
      const pb::MethodDescriptor* method = service->method(mi);
      methods_seen.insert(method->full_name());
      auto builder = builders.find(method->full_name());
      if (builder == builders.end()) {
        ADD_FAILURE() << method->full_name() << " has no base request in base_requests.cc";
        continue;
      }
      SCOPED_TRACE(method->full_name());
      {  // The base request itself gets what it should: the mutations below start from valid.
        BaseRequest base = builder->second(env);
        RawCallResult r = Send(method, base);
        ASSERT_EQ(r.status.error_code(), base.code) << r.status.error_message();
      }
      for (const FieldPath& path : StringFieldPaths(method->input_type())) {
        std::string row = absl::StrCat(method->full_name(), " ", PathName(path), ":");
        for (const HostileValue& v : values) {
          SCOPED_TRACE(absl::StrCat(PathName(path), " = ", v.label));
          BaseRequest base = builder->second(env);
          ASSERT_FALSE(base.messages.empty());
          size_t target = 0;
          for (size_t i = 0; i < base.messages.size(); ++i) {
            if (PathExists(*base.messages[i], path)) {
              target = i;
              break;
            }
          }
          SetStringAt(base.messages[target].get(), path, v.value);
          RawCallResult r = Send(method, base);
          ++calls;
          const StatusCode code = r.status.error_code();
          const std::string& message = r.status.error_message();
          absl::StrAppend(&row, " ", v.label, "=", static_cast<int>(code));
          bool allowed = v.allowed.count(code) > 0 || (v.may_be_harmless && code == base.code);
          EXPECT_TRUE(allowed) << "code " << code << ": " << message;
          if (code != StatusCode::OK) {
            EXPECT_FALSE(message.empty()) << "an error says why";
          }
          EXPECT_LT(message.size(), 512u) << "an error message this long echoes something";
          if (!v.value.empty()) {
            EXPECT_EQ(message.find(v.value.substr(0, 64)), std::string::npos)
                << "the error message echoes the value: " << message;
          }
          EXPECT_EQ(message.find(operator_token_), std::string::npos) << "token in the message";
        }
        matrix.push_back(row);
      }
    }
  }
  for (const auto& [name, builder] : builders) {
    EXPECT_TRUE(methods_seen.count(name)) << name << " has a base request but is not in proto/";
  }
  std::cout << "hostile strings: " << matrix.size() << " fields, " << calls << " calls\n"
            << "codes: 0 OK, 3 INVALID_ARGUMENT, 5 NOT_FOUND, 8 RESOURCE_EXHAUSTED, "
               "9 FAILED_PRECONDITION, 16 UNAUTHENTICATED\n"
            << absl::StrJoin(matrix, "\n") << "\n";

  // authd still serves, stored only clean text, logged no token and no raw control character.
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());
  ExpectStoredTextIsClean();
  const std::string log = authd_->Log();
  EXPECT_EQ(log.find(operator_token_), std::string::npos) << "token in the log";
  for (const char* raw : {"\x01", "\x7f", "\x1b"}) {
    EXPECT_EQ(log.find(raw), std::string::npos) << "raw control character in the log";
  }

  ASSERT_EQ(StopAuthd(), 0);
  auto verify = RunCommand(
      {RunfilePath("services/authd"), "verify", "--data-dir=" + authd_->data_dir()},
      absl::Seconds(60));
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_EQ(verify->exit_code, 0) << verify->output;
}

}  // namespace
}  // namespace authd::e2e
