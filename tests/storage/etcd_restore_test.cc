// Restore in etcd mode (TokenStore::RestoreFrom -> EtcdEventLog::PublishRestore) on a real
// 3-member etcd cluster: a backup taken from one replica, restored through another, becomes every
// replica's state at a new position (tokens created after the backup stop authorizing everywhere,
// one deleted after it authorizes again), every replica ends with one state digest, and writes go
// on afterwards. A backup without an operator token is refused and changes nothing.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/storage/etcd_replicas_fixture.h"

namespace authd::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class EtcdRestoreTest : public EtcdReplicasTest {
 protected:
  // A backup of `replica` (its RocksDB files), copied out to a directory of the test's.
  std::string Backup(Replica& replica) {
    auto snapshot = replica.store->CreateSnapshot();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    if (!snapshot.ok()) return "";
    const std::string copy = MakeTempDir() + "/backup";
    std::filesystem::copy(snapshot->store_dir, copy, std::filesystem::copy_options::recursive);
    replica.store->ReleaseSnapshot(*snapshot);
    return copy;
  }

  absl::StatusOr<RestoreResult> Restore(Replica& replica, const std::string& backup) {
    auto dir = replica.store->NewRestoreDir();
    if (!dir.ok()) return dir.status();
    std::filesystem::remove(*dir);
    std::filesystem::copy(backup, *dir, std::filesystem::copy_options::recursive);
    return replica.store->RestoreFrom(*dir);
  }

  // A cluster, two replicas on it and setup done through `a`; snapshots in 512-byte chunks, so a
  // restore spans many chunks.
  void StartTwoReplicas(Replica* a, Replica* b) {
    ASSERT_NO_FATAL_FAILURE(StartCluster());
    log_options_.snapshot_chunk_bytes = 512;
    ASSERT_NO_FATAL_FAILURE(Open(a));
    ASSERT_NO_FATAL_FAILURE(Open(b));
    ASSERT_NO_FATAL_FAILURE(SetUpOperator(*a));
  }
};

TEST_F(EtcdRestoreTest, BackupRestoredThroughOneReplicaBecomesEveryReplicasState) {
  Replica a, b;
  ASSERT_NO_FATAL_FAILURE(StartTwoReplicas(&a, &b));
  std::atomic<int> conflicts{0}, failures{0};
  std::vector<std::string> kept;
  std::vector<pb::AuthorizationRecord> kept_records;
  for (int i = 0; i < 6; ++i) {
    kept.push_back(TestToken(absl::StrCat("kept-", i)));
    auto created = CreateWithRetries(a, kept.back(), &conflicts, &failures);
    ASSERT_TRUE(created.has_value());
    kept_records.push_back(*created);
  }
  const std::string backup = Backup(a);
  ASSERT_FALSE(backup.empty());

  // After the backup: new tokens, and one of the kept ones deleted.
  std::vector<std::string> later;
  for (int i = 0; i < 3; ++i) {
    later.push_back(TestToken(absl::StrCat("later-", i)));
    ASSERT_TRUE(CreateWithRetries(b, later.back(), &conflicts, &failures).has_value());
  }
  ASSERT_TRUE(b.store->DeleteAuthorization(actor_, kept_records[0].id()).ok());
  ASSERT_TRUE(a.store->AwaitPosition(b.store->AppliedPosition(), absl::Now() + kAwait).ok());
  const uint64_t before = a.store->AppliedPosition();
  EXPECT_FALSE(Authorizes(a, kept[0]));

  // Restored through B: at a new position, for both.
  auto restored = Restore(b, backup);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->last_sequence, before + 1);
  EXPECT_EQ(restored->authorizations, 7u);  // the operator's and the six kept
  EXPECT_TRUE(restored->operator_token.empty()) << "only hashes are backed up";
  ASSERT_TRUE(a.store->AwaitPosition(restored->last_sequence, absl::Now() + kAwait).ok());
  for (Replica* r : {&a, &b}) {
    for (const std::string& token : kept) EXPECT_TRUE(Authorizes(*r, token)) << token;
    for (const std::string& token : later) EXPECT_FALSE(Authorizes(*r, token)) << token;
    EXPECT_TRUE(Authorizes(*r, TestToken("operator")));
  }
  auto va = a.store->Verify();
  auto vb = b.store->Verify();
  ASSERT_TRUE(va.ok() && vb.ok());
  EXPECT_THAT(va->problems, IsEmpty());
  EXPECT_THAT(vb->problems, IsEmpty());
  EXPECT_EQ(va->checkpoint, restored->last_sequence);
  EXPECT_EQ(va->state_digest, vb->state_digest);

  // Writes go on, on both, from the restored state.
  ASSERT_TRUE(CreateWithRetries(a, TestToken("after-a"), &conflicts, &failures).has_value());
  ASSERT_TRUE(CreateWithRetries(b, TestToken("after-b"), &conflicts, &failures).has_value());
  ASSERT_TRUE(a.store->AwaitPosition(b.store->AppliedPosition(), absl::Now() + kAwait).ok());
  ASSERT_TRUE(b.store->AwaitPosition(a.store->AppliedPosition(), absl::Now() + kAwait).ok());
  EXPECT_TRUE(Authorizes(a, TestToken("after-b")));
  EXPECT_TRUE(Authorizes(b, TestToken("after-a")));

  // A replica that starts now starts from the restored state.
  Replica c;
  ASSERT_NO_FATAL_FAILURE(Open(&c));
  EXPECT_TRUE(Authorizes(c, kept[0]));
  EXPECT_FALSE(Authorizes(c, later[0]));

  // Its copy, opened without etcd (an offline `verify`), holds no event yet after the restore's
  // snapshot: it opens at that position, verifies, and refuses writes.
  const std::string c_dir = c.data_dir;
  const uint64_t c_position = c.store->AppliedPosition();
  auto vc = c.store->Verify();
  ASSERT_TRUE(vc.ok()) << vc.status();
  c.store.reset();
  TokenStoreOptions local;
  local.data_dir = c_dir;
  local.apply_hashing_policy = false;
  authz::TokenIndex index;
  auto copy = TokenStore::Open(local, &clock_, &index);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->LastSequence(), c_position);
  auto verified = (*copy)->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_THAT(verified->problems, IsEmpty());
  EXPECT_EQ(verified->state_digest, vc->state_digest);
  auto refused = (*copy)->CreateOrg(actor_, "offline", "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("etcd replica's applied copy"));
}

TEST_F(EtcdRestoreTest, TwoRestoresAtOnceBothLandAndEveryReplicaEndsOnTheLastOne) {
  Replica a, b;
  ASSERT_NO_FATAL_FAILURE(StartTwoReplicas(&a, &b));
  std::atomic<int> conflicts{0}, failures{0};
  ASSERT_TRUE(CreateWithRetries(a, TestToken("first"), &conflicts, &failures).has_value());
  const std::string first = Backup(a);
  ASSERT_TRUE(CreateWithRetries(a, TestToken("second"), &conflicts, &failures).has_value());
  const std::string second = Backup(a);
  ASSERT_TRUE(b.store->AwaitPosition(a.store->AppliedPosition(), absl::Now() + kAwait).ok());

  // Both read the same head and write chunks at the same position: neither may touch the
  // other's chunks (each writer has its own), and the loser retries over the winner.
  absl::StatusOr<RestoreResult> ra, rb;
  std::thread ta([&] { ra = Restore(a, first); });
  std::thread tb([&] { rb = Restore(b, second); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_NE(ra->last_sequence, rb->last_sequence);
  const uint64_t last = std::max(ra->last_sequence, rb->last_sequence);
  const bool second_won_last = rb->last_sequence > ra->last_sequence;
  for (Replica* r : {&a, &b}) {
    ASSERT_TRUE(r->store->AwaitPosition(last, absl::Now() + kAwait).ok());
    EXPECT_TRUE(r->store->Replication().stopped.ok()) << r->store->Replication().stopped;
    EXPECT_TRUE(Authorizes(*r, TestToken("first")));
    EXPECT_EQ(Authorizes(*r, TestToken("second")), second_won_last);
  }
  Replica c;  // and a replica started now installs the last one's chunks intact
  ASSERT_NO_FATAL_FAILURE(Open(&c));
  EXPECT_EQ(Authorizes(c, TestToken("second")), second_won_last);
  auto va = a.store->Verify();
  auto vc = c.store->Verify();
  ASSERT_TRUE(va.ok() && vc.ok());
  EXPECT_EQ(va->state_digest, vc->state_digest);
}

TEST_F(EtcdRestoreTest, BackupWithoutAnOperatorTokenIsRefusedAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  Replica empty, a;
  ASSERT_NO_FATAL_FAILURE(Open(&empty));
  const std::string backup = Backup(empty);  // before setup: no authorization at all
  ASSERT_NO_FATAL_FAILURE(SetUpOperator(empty));
  ASSERT_NO_FATAL_FAILURE(Open(&a));
  const uint64_t before = a.store->AppliedPosition();
  auto refused = Restore(a, backup);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("without an operator token"));
  EXPECT_EQ(a.store->AppliedPosition(), before);
  EXPECT_TRUE(Authorizes(a, TestToken("operator")));
}

}  // namespace
}  // namespace authd::storage
