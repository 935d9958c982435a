// ParseVmRss reads the resident set size out of /proc/<pid>/status text; ResidentBytes works on
// this very process.
#include "tests/soak/process_memory.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace authd::soak {
namespace {

TEST(ProcessMemoryTest, ParseVmRssReadsKibibytes) {
  EXPECT_EQ(*ParseVmRss("Name:\tauthd\nVmPeak:\t  99 kB\nVmRSS:\t   21840 kB\nThreads: 9\n"),
            21840 * 1024);
  EXPECT_EQ(*ParseVmRss("VmRSS: 1 kB"), 1024);
}

TEST(ProcessMemoryTest, ParseVmRssRefusesMissingOrMalformedLines) {
  EXPECT_EQ(ParseVmRss("Name:\tauthd\nVmSize:\t 5 kB\n").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseVmRss("VmRSS:\t12 MB\n").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseVmRss("VmRSS:\tlots kB\n").status().code(), absl::StatusCode::kNotFound);
}

TEST(ProcessMemoryTest, ResidentBytesOfThisProcessIsPositive) {
  auto rss = ResidentBytes(getpid());
  ASSERT_TRUE(rss.ok()) << rss.status();
  EXPECT_GT(*rss, 0);
}

}  // namespace
}  // namespace authd::soak
