// storage/backup_files: file names a backup may hold, the chunked reader both ends of a backup
// stream send with (sizes around the chunk boundary), and the receiver that rebuilds a directory
// from chunks and refuses what does not match the description.
#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/backup_files.h"

namespace authd::storage {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/backup_files_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

TEST(BackupFilesTest, FileNames) {
  for (const char* ok : {"000012.sst", "MANIFEST-000005", "CURRENT", "OPTIONS-000007", "a_b-c.d"}) {
    EXPECT_TRUE(ValidBackupFileName(ok)) << ok;
  }
  for (const char* bad : {"", ".", "..", "../CURRENT", "a/b", "/etc/passwd", "a b", "x\n"}) {
    EXPECT_FALSE(ValidBackupFileName(bad)) << bad;
  }
  EXPECT_TRUE(ValidBackupFileName(std::string(255, 'a')));
  EXPECT_FALSE(ValidBackupFileName(std::string(256, 'a')));
}

TEST(BackupFilesTest, ReaderChunksEverySizeAndTheReceiverRebuildsIt) {
  const std::string dir = MakeTempDir();
  const size_t c = kBackupChunkBytes;
  struct Case {
    size_t size;
    size_t chunks;  // an empty file still sends one (empty) chunk
  };
  for (const Case& k : {Case{0, 1}, Case{1, 1}, Case{c - 1, 1}, Case{c, 1}, Case{c + 1, 2},
                        Case{2 * c, 2}, Case{2 * c + 7, 3}}) {
    std::string content(k.size, '\0');
    for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 + 7);
    const std::string name = absl::StrCat("file-", k.size);
    WriteFile(dir + "/" + name, content);
    auto reader = BackupFileReader::Open(dir + "/" + name);
    ASSERT_TRUE(reader.ok()) << reader.status();
    std::string rebuilt;
    size_t chunks = 0;
    for (int guard = 0; guard < 100; ++guard) {
      auto next = (*reader)->Next();
      ASSERT_TRUE(next.ok()) << next.status();
      if (!next->has_value()) break;
      EXPECT_EQ((*next)->offset, rebuilt.size()) << k.size;
      EXPECT_LE((*next)->data.size(), c);
      rebuilt.append((*next)->data.data(), (*next)->data.size());
      ++chunks;
    }
    EXPECT_EQ(chunks, k.chunks) << k.size;
    EXPECT_EQ(rebuilt, content) << k.size;
    EXPECT_EQ((*reader)->bytes_read(), k.size);
    // After the end it stays at the end.
    auto again = (*reader)->Next();
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
  }
  EXPECT_EQ(BackupFileReader::Open(dir + "/absent").status().code(),
            absl::StatusCode::kUnavailable);

  // The files, described and sent chunk by chunk, arrive identical in a fresh directory.
  auto described = DescribeBackupDir(dir);
  ASSERT_TRUE(described.ok()) << described.status();
  const std::string into = MakeTempDir();  // the receiver writes into an existing directory
  auto receiver = BackupReceiver::Create(into, *described);
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  for (const BackupFile& f : *described) {
    auto reader = BackupFileReader::Open(dir + "/" + f.name);
    ASSERT_TRUE(reader.ok());
    for (int guard = 0; guard < 100; ++guard) {
      auto next = (*reader)->Next();
      ASSERT_TRUE(next.ok());
      if (!next->has_value()) break;
      ASSERT_TRUE((*receiver)->Append(f.name, (*next)->offset, (*next)->data).ok()) << f.name;
    }
  }
  EXPECT_TRUE((*receiver)->Finish().ok());
  EXPECT_TRUE(VerifyBackupDir(into, *described).ok());
}

TEST(BackupFilesTest, ReceiverRefusesWhatTheDescriptionDoesNotSay) {
  const std::vector<BackupFile> expected = {{"CURRENT", 3, ""}};
  const std::string into = MakeTempDir();  // the receiver writes into an existing directory
  auto receiver = BackupReceiver::Create(into, expected);
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  EXPECT_EQ((*receiver)->Append("OTHER", 0, "abc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*receiver)->Append("CURRENT", 1, "abc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*receiver)->Append("CURRENT", 0, "abcd").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BackupReceiver::Create(MakeTempDir(), {{"../x", 1, ""}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace authd::storage
