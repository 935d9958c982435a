#include "cli/prompter.h"

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace authd::cli {
namespace {

// A non-interactive Prompter reading `input`, writing prompts to a buffer.
class PrompterTest : public ::testing::Test {
 protected:
  Prompter Make(const std::string& input) {
    input_ = input;
    // fmemopen refuses an empty buffer; /dev/null is at end of input at once.
    in_ = input_.empty() ? std::fopen("/dev/null", "r") : fmemopen(input_.data(), input_.size(), "r");
    out_ = open_memstream(&out_buf_, &out_size_);
    return Prompter(in_, out_, /*interactive=*/false);
  }
  std::string Prompts() {
    std::fflush(out_);
    return std::string(out_buf_, out_size_);
  }
  void TearDown() override {
    if (in_ != nullptr) std::fclose(in_);
    if (out_ != nullptr) std::fclose(out_);
    std::free(out_buf_);
  }

  std::string input_;
  std::FILE* in_ = nullptr;
  std::FILE* out_ = nullptr;
  char* out_buf_ = nullptr;
  size_t out_size_ = 0;
};

TEST_F(PrompterTest, ReadsOneLinePerQuestion) {
  Prompter p = Make("alice\r\nacme\n");
  EXPECT_EQ(*p.GetStringInput("Name"), "alice");
  EXPECT_EQ(*p.GetStringInput("Org"), "acme");
  EXPECT_TRUE(absl::StrContains(Prompts(), "? Name: "));
}

TEST_F(PrompterTest, EmptyAnswerOrEndOfInputTakesTheDefault) {
  Prompter p = Make("\n");
  EXPECT_EQ(*p.GetStringInput("Hours", "0"), "0");  // empty line
  EXPECT_EQ(*p.GetStringInput("Hours", "0"), "0");  // end of input
}

TEST_F(PrompterTest, EndOfInputWithoutDefaultIsAnError) {
  Prompter p = Make("");
  absl::StatusOr<std::string> got = p.GetStringInput("Please type \"it\"");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "couldn't get input for prompt \"Please type \\\"it\\\"\": no data on stdin");
}

TEST_F(PrompterTest, ShortPasswordIsRefusedWithoutEchoingIt) {
  Prompter p = Make("secret7\n");
  absl::StatusOr<std::string> got = p.GetPassword("Please type your password");
  EXPECT_EQ(got.status().message(),
            "value for prompt \"Please type your password\" is too short: min length is 8");
  EXPECT_FALSE(absl::StrContains(got.status().message(), "secret7"));
  EXPECT_FALSE(absl::StrContains(Prompts(), "secret7"));
}

TEST_F(PrompterTest, PasswordIsReadOnceWhenNotInteractive) {
  Prompter p = Make("long enough\nnext\n");
  EXPECT_EQ(*p.GetPassword("Password"), "long enough");
  EXPECT_EQ(*p.GetStringInput("After"), "next");
}

TEST_F(PrompterTest, ConfirmNeedsAYes) {
  Prompter p = Make("y\nyes\nn\n\nY\n");
  EXPECT_TRUE(p.GetConfirm("Sure?"));
  EXPECT_TRUE(p.GetConfirm("Sure?"));
  EXPECT_FALSE(p.GetConfirm("Sure?"));
  EXPECT_FALSE(p.GetConfirm("Sure?"));
  EXPECT_TRUE(p.GetConfirm("Sure?"));
  EXPECT_FALSE(p.GetConfirm("Sure?"));  // end of input
  EXPECT_TRUE(absl::StrContains(Prompts(), "? Sure? (y/N) "));
}

}  // namespace
}  // namespace authd::cli
