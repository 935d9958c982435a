#include "cli/duration.h"

#include "gtest/gtest.h"

namespace authd::cli {
namespace {

TEST(ParseDurationSecondsTest, AcceptsInfluxStyleUnits) {
  struct Case {
    const char* text;
    int64_t seconds;
  };
  for (const Case& c : {Case{"", 0}, Case{"0", 0}, Case{"45s", 45}, Case{"90m", 5400},
                        Case{"72h", 259200}, Case{"30d", 2592000}, Case{"1w", 604800},
                        Case{"1w2d", 777600}, Case{"1h30m", 5400}}) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<int64_t> got = ParseDurationSeconds(c.text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.seconds);
  }
}

TEST(ParseDurationSecondsTest, RejectsOtherSpellings) {
  for (const char* bad : {"abc", "10", "h", "1.5h", "-1h", "1y", "10ms", "99999999999999999999w"}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<int64_t> got = ParseDurationSeconds(bad);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(),
              std::string("invalid duration \"") + bad +
                  "\": want e.g. 72h, 30d, 1w, or 0 for infinite");
  }
}

TEST(FormatRetentionTest, IsGosDurationString) {
  EXPECT_EQ(FormatRetention(0), "infinite");
  EXPECT_EQ(FormatRetention(45), "45s");
  EXPECT_EQ(FormatRetention(90), "1m30s");
  EXPECT_EQ(FormatRetention(3600), "1h0m0s");
  EXPECT_EQ(FormatRetention(2592000), "720h0m0s");
}

}  // namespace
}  // namespace authd::cli
