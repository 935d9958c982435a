// Restore is all-or-nothing (issue 20, ADR 0005): a failure injected at each step of
// TokenStore::RestoreFrom leaves the previous store serving, with the previous index, `current`
// still naming it (across a reopen) and `verify` clean; without a fault the restore swaps both.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "storage/token_store.h"

namespace authd::storage {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/restore_atomicity_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

const std::string kLiveToken = "tok-live-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
const std::string kBackupToken = "tok-backup-operator-Zq8Xv3Kp9Lm2Nw7Rt5Yb";

class RestoreAtomicityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    // The backup: another store with its own operator token, snapshotted.
    {
      TokenStoreOptions options;
      options.data_dir = root_ + "/backup-source";
      authz::TokenIndex index;
      auto source = TokenStore::Open(options, &clock_, &index);
      ASSERT_TRUE(source.ok()) << source.status();
      Setup(**source, kBackupToken);
      auto snapshot = (*source)->CreateSnapshot();
      ASSERT_TRUE(snapshot.ok()) << snapshot.status();
      std::filesystem::copy(snapshot->store_dir, root_ + "/backup",
                            std::filesystem::copy_options::recursive);
      (*source)->ReleaseSnapshot(*snapshot);
    }
    options_.data_dir = root_ + "/live";
    options_.fault_hook = [this](absl::string_view step) {
      return step == fail_at_ ? absl::UnavailableError("injected fault") : absl::OkStatus();
    };
    Open();
    Setup(*store_, kLiveToken);
    live_sequence_ = store_->LastSequence();
  }

  void Open() {
    store_.reset();
    auto store = TokenStore::Open(options_, &clock_, &index_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  static void Setup(TokenStore& store, const std::string& token) {
    SetupCommand cmd;
    cmd.username = "alice";
    cmd.org = "acme";
    cmd.bucket = "metrics";
    cmd.token = token;
    auto result = store.Setup(cmd);
    ASSERT_TRUE(result.ok()) << result.status();
  }

  // Copies the backup into a fresh restore dir of the live store and restores from it.
  absl::StatusOr<RestoreResult> Restore() {
    auto dir = store_->NewRestoreDir();
    if (!dir.ok()) return dir.status();
    std::filesystem::remove(*dir);
    std::filesystem::copy(root_ + "/backup", *dir, std::filesystem::copy_options::recursive);
    return store_->RestoreFrom(*dir);
  }

  bool Allowed(const std::string& token) {
    authz::Permission read_orgs{authz::Action::kRead, {authz::ResourceType::kOrgs, 0, 0}};
    return index_.Authorize(authz::DigestToken(token), read_orgs, CoarseNowNanos()).allowed;
  }

  void ExpectLiveStoreServing(absl::string_view step) {
    EXPECT_TRUE(Allowed(kLiveToken)) << step;
    EXPECT_FALSE(Allowed(kBackupToken)) << step;
    EXPECT_EQ(store_->LastSequence(), live_sequence_) << step;
    auto report = store_->Verify();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->problems.empty()) << step << ": " << report->problems.front();
    // Writes go on, into the previous store.
    auto org = store_->CreateOrg(Actor{}, absl::StrCat("after-", step), "");
    EXPECT_TRUE(org.ok()) << step << ": " << org.status();
    live_sequence_ = store_->LastSequence();
  }

  std::string root_;
  std::string fail_at_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  TokenStoreOptions options_;
  authz::TokenIndex index_;
  std::unique_ptr<TokenStore> store_;
  uint64_t live_sequence_ = 0;
};

TEST_F(RestoreAtomicityTest, AFailureAtAnyStepLeavesThePreviousStoreServing) {
  for (const char* step : {"open", "prepare", "promote", "promoted", "reopen", "recover", "swap"}) {
    fail_at_ = step;
    auto restored = Restore();
    ASSERT_FALSE(restored.ok()) << step;
    EXPECT_EQ(restored.status().code(), absl::StatusCode::kUnavailable) << step;
    EXPECT_NE(restored.status().message().find(absl::StrCat("step \"", step, "\"")),
              std::string::npos)
        << restored.status();
    EXPECT_NE(restored.status().message().find("previous store is still serving"),
              std::string::npos)
        << restored.status();
    ExpectLiveStoreServing(step);
    // `current` still names the previous store: a restart serves it too.
    fail_at_.clear();
    Open();
    ExpectLiveStoreServing(absl::StrCat(step, " (reopened)"));
  }
}

TEST_F(RestoreAtomicityTest, WithoutAFaultTheRestoreSwapsStoreAndIndex) {
  auto restored = Restore();
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(Allowed(kBackupToken));
  EXPECT_FALSE(Allowed(kLiveToken));
  EXPECT_EQ(store_->LastSequence(), restored->last_sequence);
  Open();
  EXPECT_TRUE(Allowed(kBackupToken));
  EXPECT_FALSE(Allowed(kLiveToken));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->problems.empty());
}

}  // namespace
}  // namespace authd::storage
