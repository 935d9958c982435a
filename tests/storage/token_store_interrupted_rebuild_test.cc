// TokenStore::Open finishing an interrupted projection rebuild must still apply the token hashing
// policy (a regression test: the bug below was fixed by the storage split, where Recover runs the
// rebuild and then the hashing policy on every open).
#include <stdlib.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "rocksdb/write_batch.h"
#include "storage/db.h"
#include "storage/keys.h"
#include "storage/token_store.h"

namespace authd::storage {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/token_store_interrupted_rebuild_test.XXXXXX";
  char* made = mkdtemp(templ.data());
  EXPECT_NE(made, nullptr);
  return templ;
}

// The old bug (TokenStore::Initialize: `if (rebuilding) return RebuildLocked();`): when Open found
// `meta/rebuilding` it rebuilt and returned early, skipping
// ApplyHashingPolicyLocked(). With use_hashed_tokens=true, raw tokens stored while hashing was off
// were then neither migrated nor purged at that start (keys.h: "erased and compacted away at the
// next start with hashing on"), and open_report() stayed all zero.
TEST(TokenStoreInterruptedRebuildTest, OpenWithHashingOnMigratesRawTokensAfterFinishingRebuild) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  TokenStoreOptions options;
  options.data_dir = MakeTempDir() + "/data";
  options.use_hashed_tokens = false;
  const std::string token = "tok-interrupted-Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  authz::Id auth_id = 0;
  {
    authz::TokenIndex index;
    auto store = TokenStore::Open(options, &clock, &index);
    ASSERT_TRUE(store.ok()) << store.status();
    SetupCommand cmd;
    cmd.username = "alice";
    cmd.org = "acme";
    cmd.bucket = "metrics";
    cmd.token = token;
    auto setup = (*store)->Setup(cmd);
    ASSERT_TRUE(setup.ok()) << setup.status();
    auth_id = setup->authorization.id();
  }
  {
    // A crash in the middle of RebuildProjections leaves the flag behind.
    auto db = Db::Open(options.data_dir + "/current");  // the live store (storage/data_dir.h)
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::WriteBatch mark;
    mark.Put((*db)->cf(kMetaCf), std::string(kRebuildingKey), "");
    ASSERT_TRUE((*db)->Write(&mark, /*sync=*/true).ok());
  }

  options.use_hashed_tokens = true;
  authz::TokenIndex index;
  auto store = TokenStore::Open(options, &clock, &index);
  ASSERT_TRUE(store.ok()) << store.status();
  auto raw = (*store)->RawToken(auth_id);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_FALSE(raw->has_value()) << "the raw token survived a start with hashing on";
  EXPECT_EQ((*store)->open_report().migrated_raw_tokens, 1u);
  auto rows = (*store)->Scan(kRawTokensCf);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

}  // namespace
}  // namespace authd::storage
