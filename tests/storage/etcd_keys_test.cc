// EtcdKeys (the v1 layout under authd's etcd prefix) and the snapshot value codecs, without etcd:
// every kind of key is told apart, the orders the log relies on hold, and damaged or newer
// snapshot values are refused with kDataLoss naming what is wrong.
#include "storage/etcd/etcd_keys.h"

#include <openssl/sha.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "authd/storage/v1/etcd_log.pb.h"
#include "storage/etcd/etcd_snapshot.h"

namespace authd::storage::etcd {
namespace {

using ::testing::HasSubstr;

TEST(EtcdKeysTest, ClassifiesEveryKindOfKey) {
  const EtcdKeys keys("/authd/");
  struct Row {
    std::string key;
    EtcdKeys::Kind kind;
  };
  const Row rows[] = {
      {"/authd/v1/head", EtcdKeys::Kind::kHead},
      {"/authd/v1/log/00000000000000000001", EtcdKeys::Kind::kLog},
      {"/authd/v1/log/18446744073709551615", EtcdKeys::Kind::kLog},
      {"/authd/v1/snapshot/current", EtcdKeys::Kind::kSnapshotCurrent},
      {"/authd/v1/snapshot/00000000000000000020/00ff00ff00ff00ff/000003",
       EtcdKeys::Kind::kSnapshotChunk},
      {"/authd/v1/snapshot/00000000000000000020/00FF00FF00FF00FF/000003",
       EtcdKeys::Kind::kForeign},  // upper-case writer
      {"/authd/v1/log/1", EtcdKeys::Kind::kForeign},                       // not padded
      {"/authd/v1/log/0000000000000000000x", EtcdKeys::Kind::kForeign},    // not digits
      {"/authd/v1/log/000000000000000000001", EtcdKeys::Kind::kForeign},   // 21 digits
      {"/authd/v1/snapshot/00000000000000000020/3", EtcdKeys::Kind::kForeign},
      {"/authd/v1/snapshot/00000000000000000020/000003", EtcdKeys::Kind::kForeign},  // no writer
      {"/authd/v1/heads", EtcdKeys::Kind::kForeign},
      {"/authd/v2/head", EtcdKeys::Kind::kForeign},
      {"/other/v1/head", EtcdKeys::Kind::kForeign},
  };
  for (const Row& row : rows) EXPECT_EQ(keys.Classify(row.key), row.kind) << row.key;
  EXPECT_EQ(keys.ParseLog("/authd/v1/log/00000000000000000042"), 42u);
  EXPECT_EQ(keys.ParseLog("/authd/v1/head"), std::nullopt);
}

TEST(EtcdKeysTest, KeyOrderKeepsSnapshotChunksOutOfTheWatchedRangeAndCurrentOutOfTheTrim) {
  const EtcdKeys keys("/p/");
  // The watch covers [head, LogEnd): head and every commit, no snapshot key.
  EXPECT_LT(keys.Head(), keys.Log(0));
  EXPECT_LT(keys.Log(~uint64_t{0}), keys.LogEnd());
  EXPECT_LE(keys.LogEnd(), keys.SnapshotChunk(0, 1, 0));
  EXPECT_LE(keys.LogEnd(), keys.SnapshotCurrent());
  // Numeric order is key order.
  EXPECT_LT(keys.Log(9), keys.Log(10));
  EXPECT_LT(keys.SnapshotChunk(9, ~uint64_t{0}, 999999), keys.SnapshotChunks(10));
  EXPECT_EQ(keys.Classify(keys.SnapshotChunk(9, 0xabc, 7)), EtcdKeys::Kind::kSnapshotChunk);
  // One writer's chunks are apart from another's at the same sequence.
  EXPECT_FALSE(absl::StartsWith(keys.SnapshotChunk(20, 1, 0), keys.SnapshotWriterChunks(20, 2)));
  EXPECT_TRUE(absl::StartsWith(keys.SnapshotChunk(20, 1, 0), keys.SnapshotWriterChunks(20, 1)));
  // The trim [SnapshotChunksStart, SnapshotChunks(S)) holds older chunks, never `current` nor S's.
  EXPECT_LE(keys.SnapshotChunksStart(), keys.SnapshotChunk(0, 1, 0));
  EXPECT_LT(keys.SnapshotChunk(19, ~uint64_t{0}, 5), keys.SnapshotChunks(20));
  EXPECT_GE(keys.SnapshotChunk(20, 1, 0), keys.SnapshotChunks(20));
  EXPECT_GT(keys.SnapshotCurrent(), keys.SnapshotChunks(~uint64_t{0}));
}

std::string Sha256(const std::string& bytes) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

// A header over one chunk holding one row.
struct OneChunk {
  pb::SnapshotHeader header;
  std::string chunk_bytes;
};

OneChunk MakeOneChunk() {
  pb::SnapshotChunk chunk;
  chunk.set_format_version(1);
  chunk.set_last_sequence(7);
  chunk.set_index(0);
  pb::SnapshotRow* row = chunk.add_rows();
  row->set_column_family("tenants");
  row->set_key("o12345678");
  row->set_value("org");
  OneChunk out;
  out.chunk_bytes = chunk.SerializeAsString();
  out.header.set_format_version(1);
  out.header.set_last_sequence(7);
  out.header.set_schema_version(3);
  out.header.set_chunk_count(1);
  out.header.set_writer(0x1234);
  out.header.add_chunk_sha256(Sha256(out.chunk_bytes));
  out.header.set_row_count(1);
  return out;
}

TEST(EtcdSnapshotCodecTest, DecodesWhatItWrites) {
  const OneChunk one = MakeOneChunk();
  auto header = DecodeSnapshotHeader(one.header.SerializeAsString());
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->last_sequence(), 7u);
  auto chunk = DecodeSnapshotChunk(one.chunk_bytes, *header, 0);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  ASSERT_EQ(chunk->rows_size(), 1);
  EXPECT_EQ(chunk->rows(0).key(), "o12345678");
}

TEST(EtcdSnapshotCodecTest, ReadsSchema2SnapshotsWrittenBeforeLifecycle) {
  OneChunk one = MakeOneChunk();
  one.header.set_schema_version(2);
  EXPECT_TRUE(DecodeSnapshotHeader(one.header.SerializeAsString()).ok());
}

TEST(EtcdSnapshotCodecTest, RefusesDamagedOrNewerValuesWithDataLoss) {
  const OneChunk one = MakeOneChunk();
  struct Case {
    const char* what;
    absl::Status status;
    const char* message;
  };
  pb::SnapshotHeader newer = one.header;
  newer.set_format_version(2);
  pb::SnapshotHeader missing_hash = one.header;
  missing_hash.set_chunk_count(2);
  pb::SnapshotHeader other_schema = one.header;
  other_schema.set_schema_version(4);
  pb::SnapshotHeader too_old = one.header;
  too_old.set_schema_version(1);
  pb::SnapshotHeader no_writer = one.header;
  no_writer.set_writer(0);
  std::string flipped = one.chunk_bytes;
  flipped[flipped.size() - 1] ^= 1;
  pb::SnapshotChunk misplaced;
  misplaced.ParseFromString(one.chunk_bytes);
  misplaced.set_index(1);
  pb::SnapshotHeader for_misplaced = one.header;
  for_misplaced.set_chunk_sha256(0, Sha256(misplaced.SerializeAsString()));
  const Case cases[] = {
      {"garbage header", DecodeSnapshotHeader("\xff\xff").status(), "does not decode"},
      {"newer header", DecodeSnapshotHeader(newer.SerializeAsString()).status(),
       "format_version 2; this build reads 1"},
      {"hash count", DecodeSnapshotHeader(missing_hash.SerializeAsString()).status(),
       "names 2 chunks but carries 1 hashes"},
      {"schema", DecodeSnapshotHeader(other_schema.SerializeAsString()).status(), "holds schema 4"},
      {"old schema", DecodeSnapshotHeader(too_old.SerializeAsString()).status(), "holds schema 1"},
      {"writer", DecodeSnapshotHeader(no_writer.SerializeAsString()).status(), "names no writer"},
      {"flipped byte", DecodeSnapshotChunk(flipped, one.header, 0).status(),
       "chunk 0: SHA-256 differs"},
      {"index past the header", DecodeSnapshotChunk(one.chunk_bytes, one.header, 1).status(),
       "chunk 1: not in the header"},
      {"chunk under another index",
       DecodeSnapshotChunk(misplaced.SerializeAsString(), for_misplaced, 0).status(),
       "names sequence 7, chunk 1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), absl::StatusCode::kDataLoss) << c.what << ": " << c.status;
    EXPECT_THAT(c.status.message(), HasSubstr(c.message)) << c.what;
  }
}

}  // namespace
}  // namespace authd::storage::etcd
