// The corpus replay test: runs a fuzz target's seed corpus through its `LLVMFuzzerTestOneInput` in
// the normal gcc build, so the targets' properties are checked by `bazel test //...` (and under
// --config=asan) without clang. Every file is replayed whole, then every proper prefix of it (a
// torn write, a truncated copy). Each input sits in a buffer of exactly its size, so ASan catches
// a read past its end. A violated property aborts the test (fuzz_check.h); stderr names the file.
// Usage: <test> CORPUS_DIR (relative to the runfiles root; fuzz_target.bzl passes it).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string* corpus_dir = nullptr;

std::vector<std::filesystem::path> CorpusFiles() {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(*corpus_dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the entry point on a copy of `bytes` in a heap buffer of exactly that size.
int RunOne(const std::string& bytes) {
  std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
  return LLVMFuzzerTestOneInput(buffer.data(), buffer.size());
}

TEST(CorpusReplayTest, CorpusHoldsSeveralSeeds) {
  EXPECT_GE(CorpusFiles().size(), 3u) << "corpus dir: " << *corpus_dir;
}

TEST(CorpusReplayTest, EverySeedKeepsTheTargetsProperties) {
  for (const auto& path : CorpusFiles()) {
    std::fprintf(stderr, "replaying %s\n", path.c_str());
    EXPECT_EQ(RunOne(ReadFile(path)), 0) << path;
  }
}

TEST(CorpusReplayTest, EveryPrefixOfEverySeedKeepsTheTargetsProperties) {
  for (const auto& path : CorpusFiles()) {
    std::string bytes = ReadFile(path);
    std::fprintf(stderr, "replaying the prefixes of %s\n", path.c_str());
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_EQ(RunOne(bytes.substr(0, n)), 0) << path << " cut to " << n << " bytes";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  corpus_dir = new std::string(argv[1]);
  return RUN_ALL_TESTS();
}
