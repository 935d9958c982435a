// Token lifecycle through a real TokenStore on disk (docs/adr/0007): expiry, a rotation in its
// grace period and recorded uses survive a reopen, a backup and restore, and `verify` (projections
// equal a replay of the log); with hashing off a rotation keeps the new secret raw, as InfluxDB
// shows raw tokens; the index answers expired / both secrets on a fake clock.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "storage/token_store.h"

namespace authd::storage {
namespace {

using authz::Id;

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/lifecycle_store_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

constexpr int64_t kSecond = 1000000000;
const std::string kOperator = "tok-lifecycle-operator-Zq8Xv3Kp9Lm2Nw7";
const std::string kFirst = "tok-lifecycle-first-Zq8Xv3Kp9Lm2Nw7Rt5";
const std::string kSecond_ = "tok-lifecycle-second-Zq8Xv3Kp9Lm2Nw7Rt";
const std::string kExpiring = "tok-lifecycle-expiring-Zq8Xv3Kp9Lm2Nw7";

class LifecycleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    options_.data_dir = root_ + "/live";
    Open(&store_, &index_, options_);
    SetupCommand cmd;
    cmd.username = "alice";
    cmd.org = "acme";
    cmd.bucket = "metrics";
    cmd.token = kOperator;
    auto setup = store_->Setup(cmd);
    ASSERT_TRUE(setup.ok()) << setup.status();
    org_ = setup->org.id();
    user_ = setup->user.id();
  }

  void Open(std::unique_ptr<TokenStore>* store, authz::TokenIndex* index,
            const TokenStoreOptions& options) {
    store->reset();
    auto opened = TokenStore::Open(options, &clock_, index);
    ASSERT_TRUE(opened.ok()) << opened.status();
    *store = std::move(*opened);
  }

  Id Create(const std::string& token, int64_t expires_at) {
    NewAuthorization req;
    req.org_id = org_;
    req.user_id = user_;
    req.token = token;
    req.expires_at_unix_nanos = expires_at;
    req.permissions = {authz::GlobalPermission(authz::Action::kRead, authz::ResourceType::kOrgs)};
    auto a = store_->CreateAuthorization(Actor{}, req);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? a->id() : 0;
  }

  int64_t Now() const { return absl::ToUnixNanos(clock_.Now()); }

  authz::DenyReason Reason(const authz::TokenIndex& index, const std::string& token,
                           int64_t at) {
    authz::Permission read_orgs{authz::Action::kRead, {authz::ResourceType::kOrgs, 0, 0}};
    return index.Authorize(authz::DigestToken(token), read_orgs, at).reason;
  }

  void ExpectLifecycleState(TokenStore& store, const authz::TokenIndex& index) {
    auto rotated = store.GetAuthorization(rotated_);
    ASSERT_TRUE(rotated.ok()) << rotated.status();
    EXPECT_EQ(rotated->token_hash(), authz::HashToken(kSecond_));
    EXPECT_EQ(rotated->previous_token_hash(), authz::HashToken(kFirst));
    EXPECT_EQ(rotated->last_used_at_unix_nanos(), used_at_s_ * kSecond);
    const int64_t now = Now();
    EXPECT_EQ(Reason(index, kFirst, now), authz::DenyReason::kNone);
    EXPECT_EQ(Reason(index, kSecond_, now), authz::DenyReason::kNone);
    EXPECT_EQ(Reason(index, kFirst, now + 2 * 3600 * kSecond), authz::DenyReason::kExpired);
    EXPECT_EQ(Reason(index, kSecond_, now + 2 * 3600 * kSecond), authz::DenyReason::kNone);
    EXPECT_EQ(Reason(index, kExpiring, now), authz::DenyReason::kNone);
    EXPECT_EQ(Reason(index, kExpiring, now + 60 * kSecond), authz::DenyReason::kExpired);
    auto report = store.Verify();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  }

  // A token rotated with an hour's grace, one expiring in a minute, a recorded use.
  void MakeLifecycleState() {
    rotated_ = Create(kFirst, 0);
    auto r = store_->RotateAuthorization(Actor{}, rotated_, kSecond_, 3600 * kSecond);
    ASSERT_TRUE(r.ok()) << r.status();
    expiring_ = Create(kExpiring, Now() + 60 * kSecond);
    used_at_s_ = Now() / kSecond;
    auto n = store_->RecordUsage({{rotated_, used_at_s_}});
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, 1u);
  }

  std::string root_;
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  TokenStoreOptions options_;
  authz::TokenIndex index_;
  std::unique_ptr<TokenStore> store_;
  Id org_ = 0, user_ = 0, rotated_ = 0, expiring_ = 0;
  int64_t used_at_s_ = 0;
};

TEST_F(LifecycleStoreTest, SurvivesReopenAndVerify) {
  MakeLifecycleState();
  ExpectLifecycleState(*store_, index_);
  authz::TokenIndex reopened;
  Open(&store_, &reopened, options_);
  ExpectLifecycleState(*store_, reopened);
}

TEST_F(LifecycleStoreTest, SurvivesBackupAndRestore) {
  MakeLifecycleState();
  auto snapshot = store_->CreateSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->schema_version, kSchemaVersion);
  const std::string backup = root_ + "/backup";
  std::filesystem::copy(snapshot->store_dir, backup, std::filesystem::copy_options::recursive);
  store_->ReleaseSnapshot(*snapshot);

  TokenStoreOptions other;
  other.data_dir = root_ + "/other";
  authz::TokenIndex other_index;
  std::unique_ptr<TokenStore> target;
  Open(&target, &other_index, other);
  auto dir = target->NewRestoreDir();
  ASSERT_TRUE(dir.ok());
  std::filesystem::remove(*dir);
  std::filesystem::copy(backup, *dir, std::filesystem::copy_options::recursive);
  auto restored = target->RestoreFrom(*dir);
  ASSERT_TRUE(restored.ok()) << restored.status();
  store_ = std::move(target);
  ExpectLifecycleState(*store_, other_index);
}

TEST_F(LifecycleStoreTest, SweeperEventsRetireTheOldSecretAndRecordTheExpiry) {
  MakeLifecycleState();
  clock_.Advance(absl::Hours(2));
  const int64_t later = Now();
  std::vector<authz::DueExpiry> due = index_.DueExpiries(later, 100);
  ASSERT_EQ(due.size(), 2u);  // the expiring token at +1 min, the old secret at +1 h
  auto n = store_->RecordExpiries(due);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2u);
  EXPECT_TRUE(index_.DueExpiries(later, 100).empty());
  EXPECT_EQ(Reason(index_, kFirst, later), authz::DenyReason::kUnknownToken);
  EXPECT_EQ(Reason(index_, kExpiring, later), authz::DenyReason::kExpired);
  auto again = store_->RecordExpiries(due);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u) << "a second sweep records nothing";
  // Replay gives the same state.
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  authz::TokenIndex reopened;
  Open(&store_, &reopened, options_);
  EXPECT_EQ(Reason(reopened, kFirst, later), authz::DenyReason::kUnknownToken);
  EXPECT_TRUE(reopened.DueExpiries(later, 100).empty());
}

TEST_F(LifecycleStoreTest, WithHashingOffARotationKeepsTheNewSecretRaw) {
  store_.reset();
  options_.use_hashed_tokens = false;
  authz::TokenIndex index;
  Open(&store_, &index, options_);
  const Id id = Create(kFirst, 0);
  auto raw = store_->RawToken(id);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ(**raw, kFirst);
  ASSERT_TRUE(store_->RotateAuthorization(Actor{}, id, kSecond_, 0).ok());
  raw = store_->RawToken(id);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ(**raw, kSecond_);
  EXPECT_EQ(Reason(index, kFirst, Now()), authz::DenyReason::kUnknownToken);
  EXPECT_EQ(Reason(index, kSecond_, Now()), authz::DenyReason::kNone);
}

}  // namespace
}  // namespace authd::storage
