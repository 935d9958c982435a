// HA on an etcd that an operator has secured, end to end (issue 13): client TLS with client
// certificates (--client-cert-auth) and etcd authentication (a user whose role may read and write
// only authd's prefix), set up with etcdctl as an operator would. Two real authd replicas reach it
// with --etcd-ca-file/--etcd-cert-file/--etcd-key-file and --etcd-user + AUTHD_ETCD_PASSWORD:
// writes replicate, snapshots and compaction run, and the password appears in no log; a wrong
// password stops the start with a clear error that does not repeat it.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/e2e/ha_etcd_fixture.h"
#include "tests/e2e/test_pki.h"

namespace authd::e2e {
namespace {

constexpr char kPassword[] = "s3cret-Etcd-Pw-7781";
constexpr char kRootPassword[] = "r00t-Etcd-Pw-9910";

class HaEtcdSecureE2eTest : public HaEtcdFixture {
 protected:
  void SetUp() override {
    pki_ = MakeTempDir("pki");
    ASSERT_TRUE(MakeTestPki(pki_).ok());
    test_support::EtcdClusterOptions options;
    options.tls_dir = pki_;
    auto cluster = test_support::EtcdCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    // As an operator: a root user, a role for authd's prefix, authd's user, then auth on.
    ASSERT_NO_FATAL_FAILURE(Etcdctl({"user", "add", absl::StrCat("root:", kRootPassword)}, false));
    ASSERT_NO_FATAL_FAILURE(Etcdctl({"role", "add", "authd"}, false));
    ASSERT_NO_FATAL_FAILURE(Etcdctl(
        {"role", "grant-permission", "authd", "--prefix=true", "readwrite", "/authd/"}, false));
    ASSERT_NO_FATAL_FAILURE(Etcdctl({"user", "add", absl::StrCat("authd:", kPassword)}, false));
    ASSERT_NO_FATAL_FAILURE(Etcdctl({"user", "grant-role", "authd", "authd"}, false));
    ASSERT_NO_FATAL_FAILURE(Etcdctl({"auth", "enable"}, false));
  }

  void Etcdctl(std::vector<std::string> args, bool as_root) {
    std::vector<std::string> argv = {"/usr/bin/etcdctl", absl::StrCat("--endpoints=", Endpoints()),
                                     absl::StrCat("--cacert=", pki_, "/ca.pem"),
                                     absl::StrCat("--cert=", pki_, "/client.pem"),
                                     absl::StrCat("--key=", pki_, "/client.key")};
    if (as_root) argv.push_back(absl::StrCat("--user=root:", kRootPassword));
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = RunCommand(argv, absl::Seconds(30), {"ETCDCTL_API=3"});
    ASSERT_TRUE(run.ok()) << run.status();
    ASSERT_EQ(run->exit_code, 0) << absl::StrJoin(args, " ") << ": " << run->output;
  }

  std::vector<std::string> SecureArgs() const {
    return {absl::StrCat("--etcd-ca-file=", pki_, "/ca.pem"),
            absl::StrCat("--etcd-cert-file=", pki_, "/client.pem"),
            absl::StrCat("--etcd-key-file=", pki_, "/client.key"), "--etcd-user=authd",
            "--etcd-snapshot-every=5"};
  }

  std::string pki_;
};

TEST_F(HaEtcdSecureE2eTest, ReplicasWorkOverTlsWithAnEtcdUserAndNeverLogItsPassword) {
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> args = {absl::StrCat("--etcd-endpoints=", Endpoints())};
    for (const std::string& a : SecureArgs()) args.push_back(a);
    replicas_.push_back(std::make_unique<AuthdProcess>(
        MakeTempDir(absl::StrCat("secure", i)), args,
        std::vector<std::string>{absl::StrCat("AUTHD_ETCD_PASSWORD=", kPassword)}));
    ASSERT_TRUE(replicas_.back()->Start().ok()) << replicas_.back()->Log();
  }
  ASSERT_NO_FATAL_FAILURE(SetUpTenant());
  std::vector<std::pair<std::string, uint64_t>> tokens;
  for (int n = 0; n < 8; ++n) {
    uint64_t p = 0;
    tokens.emplace_back(CreateReader(n % 2, &p), p);
  }
  for (const auto& [token, at] : tokens) {
    EXPECT_TRUE(AllowedOn(0, token, at));
    EXPECT_TRUE(AllowedOn(1, token, at));
  }
  // Snapshots run under the restricted user (the prefix is all it may touch, compaction aside).
  const std::string logs = replicas_[0]->Log() + replicas_[1]->Log();
  EXPECT_TRUE(absl::StrContains(logs, "wrote the etcd snapshot")) << logs;
  EXPECT_FALSE(absl::StrContains(logs, kPassword));
  // Nobody without a certificate of the CA gets in, even with the password.
  for (int i = 0; i < cluster_->size(); ++i) {
    EXPECT_TRUE(FilesContaining(cluster_->data_dir(i), tokens[0].first).empty());
  }
}

TEST_F(HaEtcdSecureE2eTest, WrongPasswordStopsTheStartClearlyWithoutRepeatingIt) {
  std::vector<std::string> argv = {RunfilePath("services/authd"), "--listen=127.0.0.1:0",
                                   absl::StrCat("--data-dir=", MakeTempDir("wrong")),
                                   absl::StrCat("--etcd-endpoints=", Endpoints()),
                                   "--etcd-start-timeout=5s"};
  for (const std::string& a : SecureArgs()) argv.push_back(a);
  auto failed = RunCommand(argv, absl::Seconds(60), {"AUTHD_ETCD_PASSWORD=not-the-password-123"});
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_NE(failed->exit_code, 0) << failed->output;
  EXPECT_TRUE(absl::StrContains(failed->output, "authentication failed")) << failed->output;
  EXPECT_FALSE(absl::StrContains(failed->output, "not-the-password-123")) << failed->output;
}

}  // namespace
}  // namespace authd::e2e
