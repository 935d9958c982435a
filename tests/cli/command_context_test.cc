#include "cli/command_context.h"

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::cli {
namespace {

CommandContext MakeContext(Prompter* prompter) {
  return CommandContext([](const char*) -> const char* { return nullptr; }, prompter, stdout,
                        stderr);
}

TEST(CommandContextTest, RedactBlanksEveryRememberedSecret) {
  Prompter prompter(stdin, stderr, false);
  CommandContext ctx = MakeContext(&prompter);
  ctx.AddSecret("authd_abcdefghijklmnop");
  ctx.AddSecret("authd_abcdefghijklmnop_longer");
  ctx.AddSecret("hunter22");
  ctx.AddSecret("short");  // under 6 bytes: ignored, or every message would be garbled
  EXPECT_EQ(ctx.Redact("bad token authd_abcdefghijklmnop_longer and hunter22, hunter22; short"),
            "bad token [REDACTED] and [REDACTED], [REDACTED]; short");
  EXPECT_EQ(ctx.Redact("nothing secret"), "nothing secret");
}

TEST(CommandContextTest, OrgNameAndIdTogetherAreRefusedBeforeAnyCall) {
  Prompter prompter(stdin, stderr, false);
  CommandContext ctx = MakeContext(&prompter);
  absl::StatusOr<std::string> org = ResolveOrgId(ctx, "acme", "0a0a0a0a0a0a0a0a");
  EXPECT_EQ(org.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(org.status().message(), "must specify org-id, or org name not both");
  EXPECT_EQ(*ResolveOrgId(ctx, "", "0a0a0a0a0a0a0a0a"), "0a0a0a0a0a0a0a0a");
}

TEST(CommandContextTest, NoOrgAnywhereIsInfluxsError) {
  Prompter prompter(stdin, stderr, false);
  CommandContext ctx = MakeContext(&prompter);
  ctx.flags().configs_path = "/nonexistent/authctl/configs";
  absl::StatusOr<std::string> org = ResolveOrgId(ctx, "", "");
  EXPECT_EQ(org.status().message(), "must specify org ID or org name");
  absl::StatusOr<std::string> optional = ResolveOrgId(ctx, "", "", /*required=*/false);
  ASSERT_TRUE(optional.ok()) << optional.status();
  EXPECT_EQ(*optional, "");
}

}  // namespace
}  // namespace authd::cli
