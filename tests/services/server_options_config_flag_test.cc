// `--config` given without a value. Tagged manual in BUILD: it exposes a bug (see below) and must
// not turn the suite red until services/ is fixed.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/server_options.h"

namespace authd::services {
namespace {

// BUG (services/server_options.cc, LoadServerOptions: `if (name == "config") { if (!value) ++i;
// continue; }`): a trailing `--config` with no value is skipped silently and authd serves with
// defaults, instead of failing like every other valueless flag ("--listen (flag): needs a value").
// server_options.h promises kInvalidArgument for missing values.
TEST(ServerOptionsConfigFlagTest, TrailingConfigFlagWithoutValueIsInvalidArgument) {
  const EnvLookup env = [](const char* name) -> const char* {
    return std::string(name) == "HOME" ? "/home/tester" : nullptr;
  };
  auto got = LoadServerOptions({"--config"}, env);
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
      << "accepted; data_dir=" << (got.ok() ? got->options.data_dir : "");
  EXPECT_TRUE(absl::StrContains(got.status().message(), "--config (flag): needs a value"))
      << got.status();
}

}  // namespace
}  // namespace authd::services
