// End-to-end operations with the real binaries: `authctl backup` / `authctl restore --full` against
// a running authd (hashed and unhashed stores, corrupt and truncated backups), and kill -9 of authd
// in the middle of a restore.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/cli/authctl_runner.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"
#include "tests/e2e/test_pki.h"

#include <grpcpp/security/credentials.h>

namespace authd {
namespace {

using cli_test::AuthctlResult;
using cli_test::RunAuthctl;
namespace fs = std::filesystem;

class OperationsE2eTest : public ::testing::Test {
 protected:
  void StartAuthd(std::vector<std::string> args = {}) {
    authd_ = std::make_unique<e2e::AuthdProcess>(e2e::MakeTempDir("data") + "/authd", std::move(args));
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<e2e::AuthdClient>(authd_->channel());
    v1::SetupResponse setup;
    ASSERT_TRUE(client_->Setup("admin", "acme", "metrics", &setup).ok());
    operator_token_ = setup.authorization().token();
    org_id_ = setup.org().id();
    bucket_id_ = setup.bucket().id();
  }

  AuthctlResult Authctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--host", authd_->address(), "-t", operator_token_};
    full.insert(full.end(), args.begin(), args.end());
    return RunAuthctl(full, {"HOME=" + e2e::MakeTempDir("home")}, "", absl::Seconds(60));
  }

  std::string NewReader() {
    grpc::Status s;
    v1::Authorization out = client_->CreateBucketReader(operator_token_, org_id_, bucket_id_, &s);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ids_[out.token()] = out.id();
    return out.token();
  }

  void Delete(const std::string& token) {
    v1::DeleteAuthorizationRequest del;
    del.set_id(ids_[token]);
    v1::DeleteAuthorizationResponse out;
    ASSERT_TRUE(client_->auths->DeleteAuthorization(e2e::AuthdClient::Ctx(operator_token_).get(), del, &out).ok());
  }

  bool Allowed(const std::string& token) {
    return client_->Authorize(token, "read", "buckets", bucket_id_, org_id_).allowed();
  }

  std::unique_ptr<e2e::AuthdProcess> authd_;
  std::unique_ptr<e2e::AuthdClient> client_;
  std::string operator_token_, org_id_, bucket_id_;
  std::map<std::string, std::string> ids_;
};

TEST_F(OperationsE2eTest, FullRestoreOfAHashedStoreNeedsTheOperatorToken) {
  StartAuthd();
  std::string kept = NewReader(), deleted_later = NewReader();
  std::string dir = e2e::MakeTempDir("backup") + "/b1";
  AuthctlResult backup = Authctl({"backup", dir});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("it holds only hashed tokens"), std::string::npos) << backup.out;
  // A backup of a hashed store holds no plaintext token.
  for (const std::string& t : {operator_token_, kept, deleted_later}) {
    EXPECT_TRUE(e2e::FilesContaining(dir, t).empty()) << "plaintext token in the backup";
  }
  EXPECT_TRUE(fs::exists(dir + "/manifest.json"));

  Delete(deleted_later);
  std::string added_later = NewReader();

  // Without --operator-token: refused before anything is sent.
  AuthctlResult refused = Authctl({"restore", "--full", dir});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "Error: the backup holds only hashed tokens, so the restore cannot return its operator "
            "token: pass --operator-token with an operator token of the backed-up store\n");
  EXPECT_TRUE(Allowed(added_later)) << "a refused restore changed the store";

  AuthctlResult restored = Authctl({"restore", "--full", dir, "--operator-token", operator_token_});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_NE(restored.out.find("the operator token (given with --operator-token) works"),
            std::string::npos)
      << restored.out;
  EXPECT_EQ(restored.out.find(operator_token_), std::string::npos) << "token printed";
  EXPECT_EQ(restored.err.find(operator_token_), std::string::npos) << "token printed";
  EXPECT_TRUE(Allowed(kept));
  EXPECT_TRUE(Allowed(deleted_later)) << "the pre-backup token is back";
  EXPECT_FALSE(Allowed(added_later)) << "the post-backup token is gone";
  EXPECT_TRUE(client_->Authorize(operator_token_, "write", "orgs").allowed());

  // The restored store survives a restart.
  ASSERT_TRUE(authd_->Restart().ok()) << authd_->Log();
  client_ = std::make_unique<e2e::AuthdClient>(authd_->channel());
  EXPECT_TRUE(Allowed(deleted_later));
  EXPECT_FALSE(Allowed(added_later));
}

TEST_F(OperationsE2eTest, FullRestoreOfAnUnhashedStoreReturnsItsOperatorToken) {
  StartAuthd({"--use-hashed-tokens=false"});
  std::string before = NewReader();
  std::string dir = e2e::MakeTempDir("backup") + "/b2";
  AuthctlResult backup = Authctl({"backup", dir});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("it holds a raw operator token"), std::string::npos) << backup.out;
  Delete(before);
  std::string after = NewReader();

  AuthctlResult restored = Authctl({"restore", "--full", dir});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_NE(restored.out.find("the operator token (the backup's own (stored raw)) works"),
            std::string::npos)
      << restored.out;
  EXPECT_TRUE(Allowed(before));
  EXPECT_FALSE(Allowed(after));
}

TEST_F(OperationsE2eTest, CorruptOrTruncatedBackupsAreRefusedAndTheStoreIsUntouched) {
  StartAuthd();
  std::string dir = e2e::MakeTempDir("backup") + "/b3";
  ASSERT_EQ(Authctl({"backup", dir}).exit_code, 0);
  std::string after = NewReader();

  // Flip one byte of the largest data file.
  std::string victim;
  uint64_t largest = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() != "manifest.json" && e.file_size() > largest) {
      largest = e.file_size();
      victim = e.path().string();
    }
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(largest / 2));
    char c;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(largest / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  AuthctlResult r = Authctl({"restore", "--full", dir, "--operator-token", operator_token_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("backup is corrupt or incomplete: file " + fs::path(victim).filename().string() +
                       ": checksum mismatch"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(Allowed(after));

  // Truncated: a file cut short.
  fs::resize_file(victim, largest / 2);
  r = Authctl({"restore", "--full", dir, "--operator-token", operator_token_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("backup is corrupt or incomplete"), std::string::npos) << r.err;
  EXPECT_TRUE(Allowed(after));
  // Missing: a file gone.
  fs::remove(victim);
  r = Authctl({"restore", "--full", dir, "--operator-token", operator_token_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is missing"), std::string::npos) << r.err;
  EXPECT_TRUE(Allowed(after));
  // Nothing is left behind in the data dir.
  for (const auto& e : fs::directory_iterator(authd_->data_dir())) {
    EXPECT_EQ(e.path().filename().string().rfind("incoming-", 0), std::string::npos) << e.path();
  }
}

TEST_F(OperationsE2eTest, BackupAndRestoreNeedAnOperatorToken) {
  StartAuthd();
  v1::CreateAuthorizationRequest req;
  req.set_org_id(org_id_);
  req.set_preset(v1::PRESET_ALL_ACCESS);
  v1::Authorization all;
  ASSERT_TRUE(client_->Create(operator_token_, req, &all).ok());
  AuthctlResult r = RunAuthctl({"--host", authd_->address(), "-t", all.token(), "backup",
                                e2e::MakeTempDir("backup") + "/b4"},
                               {"HOME=" + e2e::MakeTempDir("home")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: backup requires operator permissions\n");
}

TEST_F(OperationsE2eTest, Kill9DuringRestoreLeavesTheOldOrTheNewStoreWhichVerifies) {
  StartAuthd();
  std::vector<std::string> old_tokens;
  for (int i = 0; i < 20; ++i) old_tokens.push_back(NewReader());
  std::string dir = e2e::MakeTempDir("backup") + "/b5";
  ASSERT_EQ(Authctl({"backup", dir}).exit_code, 0);
  std::vector<std::string> new_tokens;
  for (int i = 0; i < 5; ++i) new_tokens.push_back(NewReader());

  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    // Restore in the background; kill -9 authd after a random delay.
    std::string address = authd_->address();
    std::thread restore([&, address] {
      RunAuthctl({"--host", address, "-t", operator_token_, "restore", "--full", dir,
                  "--operator-token", operator_token_},
                 {"HOME=" + e2e::MakeTempDir("home")}, "", absl::Seconds(60));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 120));
    authd_->Kill9();
    restore.join();

    // Offline verification of whatever the data dir holds now.
    auto verify = e2e::RunCommand({e2e::RunfilePath("services/authd"), "verify",
                                   "--data-dir=" + authd_->data_dir()},
                                  absl::Seconds(60));
    ASSERT_TRUE(verify.ok());
    EXPECT_EQ(verify->exit_code, 0) << verify->output;

    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<e2e::AuthdClient>(authd_->channel());
    // Either the old store (new tokens work) or the restored one (they do not): never a mix.
    bool restored = !Allowed(new_tokens[0]);
    for (const std::string& t : new_tokens) EXPECT_EQ(Allowed(t), !restored);
    for (const std::string& t : old_tokens) EXPECT_TRUE(Allowed(t));
    if (restored) {
      // Recreate the post-backup tokens so the next round can tell the stores apart again.
      new_tokens.clear();
      ids_.clear();
      for (int i = 0; i < 5; ++i) new_tokens.push_back(NewReader());
    }
  }
}

}  // namespace
}  // namespace authd

namespace authd {
namespace {

TEST(AuthctlTlsE2eTest, AuthctlSpeaksMutualTlsWithItsTlsFlags) {
  std::string pki = e2e::MakeTempDir("pki");
  ASSERT_TRUE(e2e::MakeTestPki(pki).ok());
  e2e::AuthdProcess authd(e2e::MakeTempDir("data") + "/authd",
                          {"--tls-cert=" + pki + "/server.pem", "--tls-key=" + pki + "/server.key",
                           "--tls-client-ca=" + pki + "/ca.pem"});
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = e2e::ReadFileOrEmpty(pki + "/ca.pem");
  ssl.pem_cert_chain = e2e::ReadFileOrEmpty(pki + "/client.pem");
  ssl.pem_private_key = e2e::ReadFileOrEmpty(pki + "/client.key");
  authd.set_channel_credentials(grpc::SslCredentials(ssl));
  ASSERT_TRUE(authd.Start().ok()) << authd.Log();
  std::string home = e2e::MakeTempDir("home");
  std::vector<std::string> tls = {"--tls-ca", pki + "/ca.pem", "--tls-cert", pki + "/client.pem",
                                  "--tls-key", pki + "/client.key"};
  std::vector<std::string> args = {"--host", authd.address(), "setup", "-u", "admin", "-p",
                                   "correct horse battery", "-o", "acme", "-b", "metrics", "-f"};
  args.insert(args.end(), tls.begin(), tls.end());
  AuthctlResult setup = RunAuthctl(args, {"HOME=" + home});
  ASSERT_EQ(setup.exit_code, 0) << setup.err;
  args = {"auth", "list", "--json"};
  args.insert(args.end(), tls.begin(), tls.end());
  AuthctlResult list = RunAuthctl(args, {"HOME=" + home});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  // The same through the environment variables.
  list = RunAuthctl({"auth", "list"}, {"HOME=" + home, "AUTHD_TLS_CA=" + pki + "/ca.pem",
                                       "AUTHD_TLS_CERT=" + pki + "/client.pem",
                                       "AUTHD_TLS_KEY=" + pki + "/client.key"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  // Without a client certificate, or without TLS, the server turns authctl away.
  list = RunAuthctl({"auth", "list", "--tls-ca", pki + "/ca.pem"}, {"HOME=" + home});
  EXPECT_EQ(list.exit_code, 1);
  list = RunAuthctl({"auth", "list"}, {"HOME=" + home});
  EXPECT_EQ(list.exit_code, 1);
  AuthctlResult bad = RunAuthctl({"auth", "list", "--tls-ca", pki + "/missing.pem"}, {"HOME=" + home});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "Error: --tls-ca: cannot read " + pki + "/missing.pem\n");
}

}  // namespace
}  // namespace authd
