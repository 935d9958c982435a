// End to end: the HTTP API over TLS with the gRPC port's --tls-* files. HTTPS only (plaintext is
// refused), the session cookie gets Secure, the CSRF check expects an https:// origin, and with
// --tls-client-ca a client without a certificate from that CA gets no answer.
#include <grpcpp/security/credentials.h>
#include <openssl/ssl.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_process.h"
#include "tests/e2e/test_pki.h"
#include "tests/support/http_client.h"

namespace authd::e2e {
namespace {

using test_support::HttpCall;
using test_support::HttpsOptions;
using test_support::RawConnection;

constexpr char kSetup[] =
    R"({"username":"admin","password":"correct horse battery","org":"acme","bucket":"metrics"})";

class HttpApiTlsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = MakeTempDir("pki");
    absl::Status made = MakeTestPki(pki_);
    ASSERT_TRUE(made.ok()) << made;
    tls_.ca_file = pki_ + "/ca.pem";
  }

  void StartAuthd(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--http-listen=127.0.0.1:0", "--tls-cert=" + pki_ + "/server.pem",
                                     "--tls-key=" + pki_ + "/server.key"};
    args.insert(args.end(), extra.begin(), extra.end());
    authd_ = std::make_unique<AuthdProcess>(MakeTempDir("data") + "/authd", args);
    grpc::SslCredentialsOptions creds;
    creds.pem_root_certs = ReadFileOrEmpty(pki_ + "/ca.pem");
    if (!extra.empty()) {  // mutual TLS: the readiness check over gRPC needs a client certificate
      creds.pem_cert_chain = ReadFileOrEmpty(pki_ + "/client.pem");
      creds.pem_private_key = ReadFileOrEmpty(pki_ + "/client.key");
    }
    authd_->set_channel_credentials(grpc::SslCredentials(creds));
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    ASSERT_NE(authd_->http_port(), 0) << authd_->Log();
    ASSERT_TRUE(absl::StrContains(authd_->Log(), "HTTP API (InfluxDB /api/v2) at https://"));
  }

  std::string pki_;
  HttpsOptions tls_;
  std::unique_ptr<AuthdProcess> authd_;
};

TEST_F(HttpApiTlsE2eTest, HttpsOnlyAndTheCookieIsSecure) {
  ASSERT_NO_FATAL_FAILURE(StartAuthd({}));
  const int port = authd_->http_port();
  auto setup = HttpCall(port, "POST", "/api/v2/setup", {}, kSetup, absl::Seconds(30), &tls_);
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_EQ(setup->status, 201) << setup->body;

  // Plaintext HTTP on the HTTPS port: no HTTP answer, the connection is dropped.
  RawConnection plain(port);
  ASSERT_TRUE(plain.Send("GET /api/v2/setup HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  bool closed = false;
  const std::string answer = plain.ReadUntilClosed(absl::Seconds(5), &closed);
  EXPECT_FALSE(absl::StrContains(answer, "allowed"));
  EXPECT_TRUE(closed);

  auto signin = HttpCall(port, "POST", "/api/v2/signin",
                         {{"Authorization", "Basic " + absl::Base64Escape("admin:correct horse battery")}},
                         "", absl::Seconds(30), &tls_);
  ASSERT_TRUE(signin.ok()) << signin.status();
  ASSERT_EQ(signin->status, 204);
  const std::string cookie = signin->Header("Set-Cookie");
  EXPECT_TRUE(absl::StrContains(cookie, "; Secure")) << cookie;
  const std::string session = cookie.substr(0, cookie.find(';'));

  // A cookie write from this server's own https origin passes; its http twin does not.
  const std::string body = R"({"name":"second"})";
  auto same = HttpCall(port, "POST", "/api/v2/orgs",
                       {{"Cookie", session}, {"Origin", absl::StrCat("https://127.0.0.1:", port)}},
                       body, absl::Seconds(30), &tls_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->status, 201) << same->body;
  auto downgraded = HttpCall(port, "POST", "/api/v2/orgs",
                             {{"Cookie", session}, {"Origin", absl::StrCat("http://127.0.0.1:", port)}},
                             R"({"name":"third"})", absl::Seconds(30), &tls_);
  ASSERT_TRUE(downgraded.ok());
  EXPECT_EQ(downgraded->status, 403) << downgraded->body;
}

TEST_F(HttpApiTlsE2eTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  ASSERT_NO_FATAL_FAILURE(StartAuthd({"--tls-client-ca=" + pki_ + "/ca.pem"}));
  const int port = authd_->http_port();
  // Refused in the TLS exchange itself (TLS 1.3 reports it on the first read): no HTTP answer.
  auto refused_in_tls = [](const absl::StatusOr<test_support::HttpReply>& r) {
    return !r.ok() && absl::IsUnavailable(r.status()) &&
           (absl::StrContains(r.status().message(), "tls handshake") ||
            absl::StrContains(r.status().message(), "read:") ||
            absl::StrContains(r.status().message(), "write:"));
  };
  auto without = HttpCall(port, "GET", "/api/v2/setup", {}, "", absl::Seconds(10), &tls_);
  EXPECT_TRUE(refused_in_tls(without)) << (without.ok() ? "answered" : without.status().ToString());
  HttpsOptions stranger = tls_;
  stranger.cert_file = pki_ + "/stranger.pem";
  stranger.key_file = pki_ + "/stranger.key";
  auto foreign = HttpCall(port, "GET", "/api/v2/setup", {}, "", absl::Seconds(10), &stranger);
  EXPECT_TRUE(refused_in_tls(foreign)) << (foreign.ok() ? "answered" : foreign.status().ToString());
  HttpsOptions client = tls_;
  client.cert_file = pki_ + "/client.pem";
  client.key_file = pki_ + "/client.key";
  SSL_SESSION* session = nullptr;
  client.save_session = &session;
  auto with = HttpCall(port, "GET", "/api/v2/setup", {}, "", absl::Seconds(10), &client);
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(with->status, 200);
  // A client that resumes its session (browsers, Node's agent, proxies do) is served too.
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(SSL_SESSION_is_resumable(session), 1);
  HttpsOptions again = client;
  again.save_session = nullptr;
  again.resume_session = session;
  bool reused = false;
  again.session_reused = &reused;
  auto resumed = HttpCall(port, "GET", "/api/v2/setup", {}, "", absl::Seconds(10), &again);
  SSL_SESSION_free(session);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->status, 200);
  EXPECT_TRUE(reused) << "the server should resume the session";
}

}  // namespace
}  // namespace authd::e2e
