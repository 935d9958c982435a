// End to end: InfluxDB's /api/v2 over HTTP on the real authd binary (--http-listen on 127.0.0.1,
// port 0), driven by a Beast HTTP client and, for agreement, authd's gRPC API on the same process:
// setup, sign-in and sign-out with the session cookie, token CRUD with each filter, InfluxDB's
// status codes and error bodies, the CSRF check, and the transport's limits (huge header, huge
// body, bad JSON, slow and idle connections, the connection cap).
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/support/http_client.h"

namespace authd::e2e {
namespace {

using nlohmann::json;
using test_support::HttpCall;
using test_support::HttpHeaders;
using test_support::HttpReply;
using test_support::RawConnection;

constexpr char kPassword[] = "correct horse battery";

class HttpApiE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authd_ = std::make_unique<AuthdProcess>(
        MakeTempDir("data") + "/authd",
        std::vector<std::string>{"--http-listen=127.0.0.1:0", "--http-request-timeout=1s",
                                 "--http-idle-timeout=2s", "--http-max-connections=16",
                                 "--http-max-connections-per-peer=8"});
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    ASSERT_NE(authd_->http_port(), 0) << authd_->Log();
    grpc_ = std::make_unique<AuthdClient>(authd_->channel());
  }

  HttpReply Call(const std::string& method, const std::string& target, const HttpHeaders& h = {},
                 const std::string& body = "") {
    auto r = HttpCall(authd_->http_port(), method, target, h, body);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpReply{};
  }

  static json Json(const HttpReply& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // Asserts an InfluxDB error answer: status, code (body and header) and, when given, message.
  static void ExpectError(const HttpReply& r, int status, const std::string& code,
                          const std::string& message = "") {
    EXPECT_EQ(r.status, status) << r.body;
    json j = Json(r);
    EXPECT_EQ(j.value("code", ""), code) << r.body;
    if (!message.empty()) {
      EXPECT_TRUE(absl::StrContains(j.value("message", ""), message)) << r.body;
    }
    EXPECT_EQ(r.Header("X-Platform-Error-Code"), code);
  }

  static HttpHeaders Token(const std::string& t) { return {{"Authorization", "Token " + t}}; }

  // POST /api/v2/setup as InfluxDB's onboarding; keeps the operator token and the IDs.
  void RunSetup() {
    HttpReply r = Call("POST", "/api/v2/setup", {},
                       json{{"username", "admin"}, {"password", kPassword}, {"org", "acme"},
                            {"bucket", "metrics"}, {"retentionPeriodSeconds", 3600}}
                           .dump());
    ASSERT_EQ(r.status, 201) << r.body;
    json j = Json(r);
    operator_ = j["auth"]["token"];
    user_id_ = j["user"]["id"];
    org_id_ = j["org"]["id"];
    bucket_id_ = j["bucket"]["id"];
    ASSERT_FALSE(operator_.empty());
  }

  // Signs in with Basic auth and returns the session cookie's value.
  std::string SignIn() {
    HttpReply r = Call("POST", "/api/v2/signin",
                       {{"Authorization", "Basic " + absl::Base64Escape(std::string("admin:") + kPassword)}});
    EXPECT_EQ(r.status, 204) << r.body;
    const std::string cookie = r.Header("Set-Cookie");
    const std::string prefix = "influxdb-oss-session=";
    if (!absl::StartsWith(cookie, prefix)) return "";
    return cookie.substr(prefix.size(), cookie.find(';') - prefix.size());
  }

  json ReadTokenBody(const std::string& bucket) {
    return json{{"orgID", org_id_},
                {"description", "reader"},
                {"permissions",
                 {{{"action", "read"},
                   {"resource", {{"type", "buckets"}, {"id", bucket}, {"orgID", org_id_}}}}}}};
  }

  std::unique_ptr<AuthdProcess> authd_;
  std::unique_ptr<AuthdClient> grpc_;
  std::string operator_, user_id_, org_id_, bucket_id_;
};

TEST_F(HttpApiE2eTest, SetupOnceThenConflictAndTheStatusEndpoint) {
  EXPECT_EQ(Json(Call("GET", "/api/v2/setup")), (json{{"allowed", true}}));
  ExpectError(Call("POST", "/api/v2/setup", {}, R"({"username":"admin"})"), 422,
              "unprocessable entity", "onboarding failed: missing required fields [org,bucket]");
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  EXPECT_EQ(Json(Call("GET", "/api/v2/setup")), (json{{"allowed", false}}));
  ExpectError(Call("POST", "/api/v2/setup", {},
                   R"({"username":"x","org":"o","bucket":"b","password":"long enough"})"),
              422, "conflict", "onboarding has already been completed");
  // The operator token from setup works over gRPC too.
  EXPECT_TRUE(grpc_->Authorize(operator_, "write", "orgs").allowed());
}

TEST_F(HttpApiE2eTest, HealthPingAndUnknownPaths) {
  HttpReply health = Call("GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json(health).value("status", ""), "pass");
  HttpReply ping = Call("GET", "/ping");
  EXPECT_EQ(ping.status, 204);
  EXPECT_EQ(ping.Header("Content-Length"), "");
  EXPECT_NE(ping.Header("X-Influxdb-Version"), "");
  EXPECT_EQ(Call("HEAD", "/ping").status, 204);
  EXPECT_EQ(Call("GET", "/api/v2").status, 200);
  ExpectError(Call("GET", "/api/v2/nothing-here"), 404, "not found");
  HttpReply wrong = Call("PUT", "/api/v2/authorizations");
  ExpectError(wrong, 405, "method not allowed");
  EXPECT_EQ(wrong.Header("Allow"), "GET, POST");
}

TEST_F(HttpApiE2eTest, TokenCrudOverHttpAgreesWithGrpc) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  // Create: 201 with the raw token, once.
  HttpReply created = Call("POST", "/api/v2/authorizations", Token(operator_),
                           ReadTokenBody(bucket_id_).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json a = Json(created);
  const std::string id = a["id"], token = a["token"];
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(a["status"], "active");
  EXPECT_EQ(a["org"], "acme");
  EXPECT_EQ(a["user"], "admin");
  EXPECT_EQ(a["userID"], user_id_);  // defaults to the caller's user
  EXPECT_EQ(a["permissions"][0]["resource"]["name"], "metrics");
  EXPECT_EQ(a["links"]["self"], "/api/v2/authorizations/" + id);
  // Made over HTTP, it authorizes over gRPC.
  EXPECT_TRUE(grpc_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed());
  EXPECT_FALSE(grpc_->Authorize(token, "write", "buckets", bucket_id_, org_id_).allowed());

  // Get: hashed, so the token is "" from now on.
  HttpReply got = Call("GET", "/api/v2/authorizations/" + id, Token(operator_));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Json(got)["token"], "");
  // The new token can call the API itself (Bearer too), but may not read tokens.
  ExpectError(Call("GET", "/api/v2/authorizations/" + id, {{"Authorization", "Bearer " + token}}),
              401, "unauthorized");

  // List with each filter.
  auto count = [&](const std::string& query) {
    HttpReply r = Call("GET", "/api/v2/authorizations" + query, Token(operator_));
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    json j = Json(r);
    EXPECT_EQ(j["links"]["self"], "/api/v2/authorizations");
    return j["authorizations"].size();
  };
  EXPECT_EQ(count(""), 2u);
  EXPECT_EQ(count("?userID=" + user_id_), 2u);
  EXPECT_EQ(count("?user=admin"), 2u);
  EXPECT_EQ(count("?orgID=" + org_id_), 2u);
  EXPECT_EQ(count("?org=acme"), 2u);
  EXPECT_EQ(count("?id=" + id), 1u);
  ExpectError(Call("GET", "/api/v2/authorizations?user=nobody", Token(operator_)), 404,
              "not found");
  ExpectError(Call("GET", "/api/v2/authorizations?orgID=zz", Token(operator_)), 400, "invalid");

  // Update: description and status; other fields ignored.
  HttpReply patched = Call("PATCH", "/api/v2/authorizations/" + id, Token(operator_),
                           R"({"description":"renamed","status":"inactive","permissions":[]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Json(patched)["description"], "renamed");
  EXPECT_EQ(Json(patched)["status"], "inactive");
  EXPECT_EQ(Json(patched)["permissions"].size(), 1u);
  EXPECT_FALSE(grpc_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed());
  ExpectError(Call("PATCH", "/api/v2/authorizations/" + id, Token(operator_),
                   R"({"status":"paused"})"),
              400, "invalid");

  // Delete over gRPC: HTTP sees it gone; delete over HTTP: 204, then 404.
  v1::DeleteAuthorizationRequest del;
  del.set_id(id);
  v1::DeleteAuthorizationResponse deleted;
  ASSERT_TRUE(grpc_->auths->DeleteAuthorization(AuthdClient::Ctx(operator_).get(), del, &deleted).ok());
  ExpectError(Call("GET", "/api/v2/authorizations/" + id, Token(operator_)), 404, "not found");
  HttpReply second = Call("POST", "/api/v2/authorizations", Token(operator_),
                          ReadTokenBody(bucket_id_).dump());
  ASSERT_EQ(second.status, 201);
  const std::string id2 = Json(second)["id"], token2 = Json(second)["token"];
  EXPECT_TRUE(grpc_->Authorize(token2, "read", "buckets", bucket_id_, org_id_).allowed());
  HttpReply gone = Call("DELETE", "/api/v2/authorizations/" + id2, Token(operator_));
  EXPECT_EQ(gone.status, 204);
  EXPECT_EQ(gone.body, "");
  EXPECT_FALSE(grpc_->Authorize(token2, "read", "buckets", bucket_id_, org_id_).allowed());
  ExpectError(Call("DELETE", "/api/v2/authorizations/" + id2, Token(operator_)), 404, "not found");
}

TEST_F(HttpApiE2eTest, InfluxDbErrorCasesOnCreate) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  ExpectError(Call("POST", "/api/v2/authorizations", {}, ReadTokenBody(bucket_id_).dump()), 401,
              "unauthorized", "unauthorized access");
  ExpectError(Call("POST", "/api/v2/authorizations", {{"Authorization", "Basic abc"}},
                   ReadTokenBody(bucket_id_).dump()),
              401, "unauthorized", "unauthorized access");
  ExpectError(Call("POST", "/api/v2/authorizations", Token("authd_nope"), "{}"), 401,
              "unauthorized");
  ExpectError(Call("POST", "/api/v2/authorizations", Token(operator_),
                   json{{"orgID", org_id_}, {"permissions", json::array()}}.dump()),
              400, "invalid", "authorization must include permissions");
  ExpectError(Call("POST", "/api/v2/authorizations", Token(operator_),
                   json{{"permissions", ReadTokenBody(bucket_id_)["permissions"]}}.dump()),
              400, "invalid", "org id required");
  ExpectError(Call("POST", "/api/v2/authorizations", Token(operator_), "{not json"), 400,
              "invalid", "invalid json structure");
  ExpectError(Call("POST", "/api/v2/authorizations", Token(operator_),
                   "{\"orgID\":\"" + org_id_ + "\",\"description\":\"\xc3\x28\"}"),
              400, "invalid", "invalid json structure");
  ExpectError(Call("POST", "/api/v2/authorizations", Token(operator_),
                   json{{"orgID", org_id_},
                        {"permissions", {{{"action", "read"}, {"resource", {{"type", "instance"}}}}}}}
                       .dump()),
              400, "invalid");
  // Escalation: a bucket reader cannot grant writing (403 forbidden, InfluxDB's words).
  HttpReply reader = Call("POST", "/api/v2/authorizations", Token(operator_),
                          json{{"orgID", org_id_},
                               {"permissions",
                                {{{"action", "write"},
                                  {"resource", {{"type", "authorizations"}, {"orgID", org_id_}}}},
                                 {{"action", "write"}, {"resource", {{"type", "users"}, {"id", user_id_}}}},
                                 {{"action", "read"},
                                  {"resource", {{"type", "buckets"}, {"orgID", org_id_}}}}}}}
                              .dump());
  ASSERT_EQ(reader.status, 201) << reader.body;
  json w = ReadTokenBody(bucket_id_);
  w["permissions"][0]["action"] = "write";
  ExpectError(Call("POST", "/api/v2/authorizations", Token(Json(reader)["token"]), w.dump()), 403,
              "forbidden", "is not allowed");
}

TEST_F(HttpApiE2eTest, SessionCookieSignInSignOutAndCsrf) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  ExpectError(Call("POST", "/api/v2/signin",
                   {{"Authorization", "Basic " + absl::Base64Escape("admin:wrong password")}}),
              401, "unauthorized", "unauthorized access");
  ExpectError(Call("POST", "/api/v2/signin"), 401, "unauthorized");
  HttpReply ok = Call("POST", "/api/v2/signin",
                      {{"Authorization", "Basic " + absl::Base64Escape(std::string("admin:") + kPassword)}});
  ASSERT_EQ(ok.status, 204);
  const std::string set_cookie = ok.Header("Set-Cookie");
  EXPECT_TRUE(absl::StrContains(set_cookie, "HttpOnly")) << set_cookie;
  EXPECT_TRUE(absl::StrContains(set_cookie, "SameSite=Strict")) << set_cookie;
  EXPECT_TRUE(absl::StrContains(set_cookie, "Path=/api/")) << set_cookie;
  EXPECT_FALSE(absl::StrContains(set_cookie, "Secure")) << "plaintext port: " << set_cookie;
  const std::string session = SignIn();
  ASSERT_FALSE(session.empty());
  const HttpHeaders cookie = {{"Cookie", "other=1; influxdb-oss-session=" + session}};

  EXPECT_EQ(Call("GET", "/api/v2/authorizations", cookie).status, 200);
  // A write with the cookie from our own origin (or from a non-browser client) is accepted.
  HttpHeaders same_origin = cookie;
  same_origin.emplace_back("Origin", absl::StrCat("http://127.0.0.1:", authd_->http_port()));
  same_origin.emplace_back("Sec-Fetch-Site", "same-origin");
  HttpReply made = Call("POST", "/api/v2/authorizations", same_origin, ReadTokenBody(bucket_id_).dump());
  EXPECT_EQ(made.status, 201) << made.body;
  // From another site: refused, nothing written.
  HttpHeaders cross = cookie;
  cross.emplace_back("Origin", "http://evil.example");
  ExpectError(Call("POST", "/api/v2/authorizations", cross, ReadTokenBody(bucket_id_).dump()), 403,
              "forbidden");
  HttpHeaders cross_site = cookie;
  cross_site.emplace_back("Sec-Fetch-Site", "cross-site");
  ExpectError(Call("DELETE", "/api/v2/authorizations/" + std::string(Json(made)["id"]), cross_site),
              403, "forbidden");
  EXPECT_EQ(Json(Call("GET", "/api/v2/authorizations", cookie))["authorizations"].size(), 2u);

  // Sign out ends the session; the cookie is cleared.
  HttpReply out = Call("POST", "/api/v2/signout", cookie);
  EXPECT_EQ(out.status, 204);
  EXPECT_TRUE(absl::StrContains(out.Header("Set-Cookie"), "Expires=Thu, 01 Jan 1970"));
  ExpectError(Call("GET", "/api/v2/authorizations", cookie), 401, "unauthorized");
  ExpectError(Call("POST", "/api/v2/signout", cookie), 401, "unauthorized");
  // No session, token or password in authd's log.
  const std::string log = authd_->Log();
  EXPECT_FALSE(absl::StrContains(log, session));
  EXPECT_FALSE(absl::StrContains(log, operator_));
  EXPECT_FALSE(absl::StrContains(log, kPassword));
}

TEST_F(HttpApiE2eTest, OversizedHeadersAndBodiesAreRefusedAndNothingChanges) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  // 64 KiB of header: 431, the connection closed.
  HttpHeaders huge = Token(operator_);
  for (int i = 0; i < 4; ++i) huge.emplace_back(absl::StrCat("X-Filler-", i), std::string(16 << 10, 'a'));
  HttpReply big_header = Call("GET", "/api/v2/authorizations", huge);
  ExpectError(big_header, 431, "request too large");
  // A 20 MiB body announced by Content-Length: 413 from the header alone, before the body.
  {
    RawConnection raw(authd_->http_port());
    ASSERT_TRUE(raw.Send(absl::StrCat("POST /api/v2/authorizations HTTP/1.1\r\nHost: x\r\n",
                                      "Authorization: Token ", operator_,
                                      "\r\nContent-Length: ", 20 << 20, "\r\n\r\n",
                                      std::string(64 << 10, ' '))));
    bool closed = false;
    const std::string answer = raw.ReadUntilClosed(absl::Seconds(5), &closed);
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer.substr(0, 200);
    EXPECT_TRUE(absl::StrContains(answer, "request too large"));
    EXPECT_TRUE(closed);
  }
  // The same in chunks with no length given: 413 once the limit (1 MiB) is passed.
  {
    RawConnection raw(authd_->http_port());
    std::string request = absl::StrCat("POST /api/v2/authorizations HTTP/1.1\r\nHost: x\r\n",
                                       "Authorization: Token ", operator_,
                                       "\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = absl::StrCat("10000\r\n", std::string(0x10000, ' '), "\r\n");
    for (int i = 0; i < 20; ++i) request += chunk;  // 1.25 MiB
    raw.Send(request);  // the server may close before it all went
    bool closed = false;
    const std::string answer = raw.ReadUntilClosed(absl::Seconds(5), &closed);
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer.substr(0, 200);
    EXPECT_TRUE(closed);
  }
  // A path with a NUL or a broken escape: 400.
  ExpectError(Call("GET", "/api/v2/authorizations/%00"), 400, "invalid");
  ExpectError(Call("GET", "/api/v2/authorizations/%zz"), 400, "invalid");
  // Garbage instead of HTTP: 400 and closed.
  RawConnection raw(authd_->http_port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send("NOT HTTP AT ALL\r\n\r\n"));
  bool closed = false;
  const std::string answer = raw.ReadUntilClosed(absl::Seconds(5), &closed);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
  EXPECT_TRUE(closed);
  // Nothing was written: still one token (the operator's).
  EXPECT_EQ(Json(Call("GET", "/api/v2/authorizations", Token(operator_)))["authorizations"].size(),
            1u);
}

TEST_F(HttpApiE2eTest, SlowAndIdleConnectionsAreCutOffAndTheCapHolds) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  // Idle: connected, silent. Admitted, then closed after --http-idle-timeout (2s), unanswered.
  bool closed = false;
  {
    RawConnection idle(authd_->http_port());
    const absl::Time t0 = absl::Now();
    const std::string said = idle.ReadUntilClosed(absl::Seconds(10), &closed);
    EXPECT_TRUE(closed) << "an idle connection must not stay forever";
    EXPECT_EQ(said, "") << "closed by the idle timeout, not refused";
    EXPECT_GE(absl::Now() - t0, absl::Milliseconds(1500));
  }

  // Slow loris: half a request, then nothing. Closed after --http-request-timeout (1s); the stall
  // is a strike against 127.0.0.1, whose next connections are refused for a moment.
  {
    RawConnection slow(authd_->http_port());
    ASSERT_TRUE(slow.Send("GET /api/v2/setup HTTP/1.1\r\nHost: x\r\n"));
    const absl::Time t0 = absl::Now();
    slow.ReadUntilClosed(absl::Seconds(8), &closed);
    EXPECT_TRUE(closed) << "a half-sent request must not hold the connection";
    EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  }
  absl::SleepFor(absl::Seconds(1));  // the strike's empty accept budget refills (64/s)

  // The per-client cap (--http-max-connections-per-peer=8; every test client is 127.0.0.1, so the
  // total cap of 16 is net::PeerTable's unit tests' to show): 8 idle connections fill it; the 9th
  // gets 503 at once.
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<RawConnection>(authd_->http_port()));
    ASSERT_TRUE(held.back()->connected());
    // Admitted for sure (not merely in the kernel's backlog): it answers, then stays open.
    ASSERT_TRUE(held.back()->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string answer = held.back()->ReadUntil("\r\n\r\n", absl::Seconds(10));
    ASSERT_TRUE(absl::StartsWith(answer, "HTTP/1.1 204")) << "connection " << i << ": " << answer;
  }
  RawConnection over(authd_->http_port());
  const std::string refused = over.ReadUntilClosed(absl::Seconds(5), &closed);
  EXPECT_TRUE(absl::StartsWith(refused, "HTTP/1.1 503")) << refused;
  EXPECT_TRUE(closed);
  // gRPC is unaffected meanwhile.
  EXPECT_TRUE(grpc_->Authorize(operator_, "read", "orgs").allowed());
  // Once they go, HTTP serves again.
  held.clear();
  absl::Duration waited = absl::ZeroDuration();
  int status = 0;
  while (waited < absl::Seconds(5)) {
    auto r = HttpCall(authd_->http_port(), "GET", "/api/v2/setup");
    status = r.ok() ? r->status : 0;
    if (status == 200) break;
    absl::SleepFor(absl::Milliseconds(50));
    waited += absl::Milliseconds(50);
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpApiE2eTest, TheWebUiIsServedFromMemoryWithItsSecurityHeadersAndNothingElse) {
  HttpReply index = Call("GET", "/");
  ASSERT_EQ(index.status, 200);
  EXPECT_TRUE(absl::StartsWith(index.Header("Content-Type"), "text/html"));
  EXPECT_TRUE(absl::StrContains(index.Header("Content-Security-Policy"), "script-src 'self'"));
  EXPECT_TRUE(absl::StrContains(index.Header("Content-Security-Policy"), "frame-ancestors 'none'"));
  EXPECT_EQ(index.Header("X-Frame-Options"), "DENY");
  EXPECT_EQ(index.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(absl::StrContains(index.body, "<script src=\"/app.js\" defer></script>"));
  EXPECT_EQ(Call("GET", "/index.html").body, index.body);
  HttpReply js = Call("GET", "/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_TRUE(absl::StartsWith(js.Header("Content-Type"), "text/javascript"));
  // HEAD: GET's headers, Content-Length included, and no body: the connection stays usable.
  {
    RawConnection c(authd_->http_port());
    ASSERT_TRUE(c.Send("HEAD /app.css HTTP/1.1\r\nHost: x\r\n\r\n"
                       "HEAD /api/v2/authorizations HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    bool closed = false;
    const std::string all = c.ReadUntilClosed(absl::Seconds(5), &closed);
    const std::string css = Call("GET", "/app.css").body;
    EXPECT_TRUE(absl::StartsWith(all, "HTTP/1.1 200 OK\r\n")) << all;
    EXPECT_TRUE(absl::StrContains(all, absl::StrCat("Content-Length: ", css.size(), "\r\n"))) << all;
    EXPECT_FALSE(absl::StrContains(all, css.substr(0, 40))) << "a HEAD answer carries no body";
    // The 401 to the second HEAD has no body either, so the third answer parses: 204.
    const size_t second = all.find("HTTP/1.1 401");
    const size_t third = all.find("HTTP/1.1 204");
    ASSERT_NE(second, std::string::npos) << all;
    ASSERT_NE(third, std::string::npos) << all;
    EXPECT_EQ(all.find("{\"code\"", second), std::string::npos) << all;
  }
  // Nothing but those files: traversal, encoded traversal, other files, NULs.
  for (const char* path : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/app.js/../../x",
                           "/ui/app.js", "/BUILD.bazel", "//etc/passwd", "/index.html/",
                           "/%2fetc%2fpasswd", "/app.js%20", "/.git/config"}) {
    SCOPED_TRACE(path);
    HttpReply r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_FALSE(absl::StrContains(r.body, "root:")) << r.body;
  }
  EXPECT_EQ(Call("GET", "/index.html%00").status, 400);
  // Writes to the UI's paths are not a thing.
  EXPECT_EQ(Call("POST", "/index.html", {}, "x").status, 404);
}

TEST_F(HttpApiE2eTest, TheLogNamesTheHttpClientAndCannotBeToldAnotherAddressOverGrpc) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  ExpectError(Call("GET", "/api/v2/me", Token("authd_not-a-real-token")), 401, "unauthorized");
  // A gRPC caller sending the HTTP API's peer metadata without the process's secret is not
  // believed: the log names its real connection.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Token authd_another-fake-token");
  ctx.AddMetadata("authd-http-peer", "guess 6.6.6.6:1");
  v1::User user;
  grpc::Status s = grpc_->session->GetCurrentUser(&ctx, v1::GetCurrentUserRequest(), &user);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const std::string log = authd_->Log();
  EXPECT_TRUE(absl::StrContains(log, "authentication failed: malformed token peer=http:127.0.0.1:"))
      << log;
  EXPECT_FALSE(absl::StrContains(log, "6.6.6.6")) << log;
}

TEST_F(HttpApiE2eTest, ExpectContinueGetsTheGoAheadAndAnOversizedBodyIsRefusedBeforeItIsSent) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  // As curl sends a large body: the header alone, then wait for 100 Continue.
  const std::string body = json{{"name", "continued"}}.dump();
  RawConnection c(authd_->http_port());
  ASSERT_TRUE(c.Send(absl::StrCat("POST /api/v2/orgs HTTP/1.1\r\nHost: x\r\nAuthorization: Token ",
                                  operator_, "\r\nExpect: 100-continue\r\nContent-Length: ",
                                  body.size(), "\r\nConnection: close\r\n\r\n")));
  const std::string go = c.ReadUntil("\r\n\r\n", absl::Seconds(10));  // the interim answer, whole
  bool closed = false;
  EXPECT_TRUE(absl::StartsWith(go, "HTTP/1.1 100 Continue\r\n")) << go;
  ASSERT_TRUE(c.Send(body));
  const std::string answer = c.ReadUntilClosed(absl::Seconds(5), &closed);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 201")) << answer;
  // Too big for the limit: refused at the header, no 100 Continue.
  RawConnection big(authd_->http_port());
  ASSERT_TRUE(big.Send(absl::StrCat("POST /api/v2/orgs HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n",
                                    "Content-Length: ", 20 << 20, "\r\n\r\n")));
  const std::string refused = big.ReadUntilClosed(absl::Seconds(5), &closed);
  EXPECT_TRUE(absl::StartsWith(refused, "HTTP/1.1 413")) << refused;
  // The absolute form is served like the origin form.
  HttpReply absolute = Call("GET", absl::StrCat("http://127.0.0.1:", authd_->http_port(), "/api/v2/setup"));
  EXPECT_EQ(absolute.status, 200) << absolute.body;
}

TEST_F(HttpApiE2eTest, KeepAliveServesManyRequestsOnOneConnection) {
  ASSERT_NO_FATAL_FAILURE(RunSetup());
  RawConnection c(authd_->http_port());
  std::string requests;
  for (int i = 0; i < 3; ++i) {
    requests += absl::StrCat("GET /api/v2/setup HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  }
  requests += "GET /api/v2/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(c.Send(requests));
  bool closed = false;
  const std::string all = c.ReadUntilClosed(absl::Seconds(5), &closed);
  EXPECT_TRUE(closed);
  size_t answers = 0;
  for (size_t at = all.find("HTTP/1.1 200"); at != std::string::npos;
       at = all.find("HTTP/1.1 200", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 4u) << all;
}

}  // namespace
}  // namespace authd::e2e
