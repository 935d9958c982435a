// End-to-end: TLS and mutual TLS with certificates made at test time by the openssl CLI; only
// clients with a certificate from the configured CA get in when --tls-client-ca is set.
#include <fstream>
#include <sstream>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/e2e/test_pki.h"

namespace authd::e2e {
namespace {

std::string Read(const std::string& path) { return ReadFileOrEmpty(path); }

class TlsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("pki"));
    absl::Status made = MakeTestPki(*dir_);
    ASSERT_TRUE(made.ok()) << made;
  }

  static std::shared_ptr<grpc::ChannelCredentials> Creds(const std::string& client) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(*dir_ + "/ca.pem");
    if (!client.empty()) {
      o.pem_private_key = Read(*dir_ + "/" + client + ".key");
      o.pem_cert_chain = Read(*dir_ + "/" + client + ".pem");
    }
    return grpc::SslCredentials(o);
  }

  // True when a SetupStatus call over `creds` succeeds.
  static bool Reaches(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds) {
    AuthdClient client(grpc::CreateChannel(address, creds));
    v1::GetSetupStatusResponse r;
    auto ctx = AuthdClient::Ctx();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return client.setup->GetSetupStatus(ctx.get(), {}, &r).ok();
  }

  static std::string* dir_;
};
std::string* TlsE2eTest::dir_ = nullptr;

TEST_F(TlsE2eTest, TlsServesOnlyTls) {
  const std::string& d = *dir_;
  AuthdProcess authd(MakeTempDir("data") + "/authd",
                     {"--tls-cert=" + d + "/server.pem", "--tls-key=" + d + "/server.key"});
  authd.set_channel_credentials(Creds(""));
  ASSERT_TRUE(authd.Start().ok()) << authd.Log();
  EXPECT_NE(authd.Log().find("(TLS)"), std::string::npos);
  EXPECT_TRUE(Reaches(authd.address(), Creds("")));
  EXPECT_FALSE(Reaches(authd.address(), grpc::InsecureChannelCredentials()));
}

TEST_F(TlsE2eTest, MutualTlsAdmitsOnlyClientsOfTheConfiguredCa) {
  const std::string& d = *dir_;
  AuthdProcess authd(MakeTempDir("data") + "/authd",
                     {"--tls-cert=" + d + "/server.pem", "--tls-key=" + d + "/server.key",
                      "--tls-client-ca=" + d + "/ca.pem"});
  authd.set_channel_credentials(Creds("client"));
  ASSERT_TRUE(authd.Start().ok()) << authd.Log();
  EXPECT_NE(authd.Log().find("(mutual TLS)"), std::string::npos);
  EXPECT_TRUE(Reaches(authd.address(), Creds("client")));
  EXPECT_FALSE(Reaches(authd.address(), Creds(""))) << "no client certificate";
  EXPECT_FALSE(Reaches(authd.address(), Creds("stranger"))) << "certificate of another CA";
  EXPECT_FALSE(Reaches(authd.address(), grpc::InsecureChannelCredentials()));
  // A sibling with a certificate gets real answers.
  AuthdClient client(grpc::CreateChannel(authd.address(), Creds("client")));
  v1::SetupResponse setup;
  ASSERT_TRUE(client.Setup("admin", "acme", "metrics", &setup).ok());
  EXPECT_TRUE(client.Authorize(setup.authorization().token(), "write", "orgs").allowed());
}

TEST_F(TlsE2eTest, BadTlsOptionsStopStartUpNamingTheOption) {
  const std::string& d = *dir_;
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--tls-cert=" + d + "/server.pem"}, "--tls-cert and --tls-key: give both or neither"},
      {{"--tls-client-ca=" + d + "/ca.pem"}, "--tls-client-ca: needs --tls-cert and --tls-key"},
      {{"--tls-cert=" + d + "/nope.pem", "--tls-key=" + d + "/server.key"},
       "--tls-cert: cannot read " + d + "/nope.pem"},
      {{"--tls-cert=" + d + "/san.cnf", "--tls-key=" + d + "/server.key"},
       "--tls-cert: " + d + "/san.cnf is not a PEM file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    std::vector<std::string> argv = {RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                                     "--data-dir=" + MakeTempDir("data") + "/authd"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = RunCommand(argv, absl::Seconds(30));
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->exit_code, 0);
    EXPECT_NE(r->output.find(c.message), std::string::npos) << r->output;
  }
}

}  // namespace
}  // namespace authd::e2e
