#include "cli/global_options.h"

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace authd::cli {
namespace {

class GlobalOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/globalXXXXXX");
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    store_ = std::make_unique<ConfigStore>(std::string(mkdtemp(buf.data())) + "/configs");
    Profile active{"default", "10.0.0.1:1", "profile-token-aaaa", "acme", true};
    Profile other{"other", "10.0.0.2:2", "other-token-bbbb", "beta", false};
    ASSERT_TRUE(store_->Create(active).ok());
    ASSERT_TRUE(store_->Create(other).ok());
  }

  EnvLookup Env() {
    return [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
  }

  std::map<std::string, std::string> env_;
  std::unique_ptr<ConfigStore> store_;
};

TEST_F(GlobalOptionsTest, TokenFlagBeatsEnvBeatsProfile) {
  GlobalFlags flags;
  absl::StatusOr<ResolvedOptions> r = ResolveOptions(flags, Env(), *store_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->token, "profile-token-aaaa");
  EXPECT_EQ(r->token_source, TokenSource::kProfile);

  env_["AUTHD_TOKEN"] = "env-token-cccc";
  r = ResolveOptions(flags, Env(), *store_);
  EXPECT_EQ(r->token, "env-token-cccc");
  EXPECT_EQ(r->token_source, TokenSource::kEnv);

  flags.token = "flag-token-dddd";
  r = ResolveOptions(flags, Env(), *store_);
  EXPECT_EQ(r->token, "flag-token-dddd");
  EXPECT_EQ(r->token_source, TokenSource::kFlag);
}

TEST_F(GlobalOptionsTest, HostFlagBeatsEnvBeatsProfileBeatsDefault) {
  GlobalFlags flags;
  EXPECT_EQ(ResolveOptions(flags, Env(), *store_)->host, "10.0.0.1:1");
  env_["AUTHD_HOST"] = "10.0.0.9:9";
  EXPECT_EQ(ResolveOptions(flags, Env(), *store_)->host, "10.0.0.9:9");
  flags.host = "127.0.0.1:7";
  EXPECT_EQ(ResolveOptions(flags, Env(), *store_)->host, "127.0.0.1:7");

  ConfigStore empty(store_->path() + ".none");
  EXPECT_EQ(ResolveOptions(GlobalFlags{}, [](const char*) { return nullptr; }, empty)->host,
            "127.0.0.1:50051");
}

TEST_F(GlobalOptionsTest, ActiveConfigFlagPicksANamedProfile) {
  GlobalFlags flags;
  flags.active_config = "other";
  absl::StatusOr<ResolvedOptions> r = ResolveOptions(flags, Env(), *store_);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->profile.has_value());
  EXPECT_EQ(r->profile->name, "other");
  EXPECT_EQ(r->host, "10.0.0.2:2");
  EXPECT_EQ(r->token, "other-token-bbbb");

  flags.active_config = "missing";
  r = ResolveOptions(flags, Env(), *store_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "config \"missing\" is not found");
}

TEST_F(GlobalOptionsTest, NoProfileMeansNoToken) {
  ConfigStore empty(store_->path() + ".none");
  absl::StatusOr<ResolvedOptions> r = ResolveOptions(GlobalFlags{}, Env(), empty);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->profile.has_value());
  EXPECT_EQ(r->token, "");
  EXPECT_EQ(r->token_source, TokenSource::kNone);
}

TEST_F(GlobalOptionsTest, ConfigsPathFlagBeatsEnvBeatsHome) {
  GlobalFlags flags;
  env_["HOME"] = "/home/someone";
  EXPECT_EQ(ConfigsPath(flags, Env()), "/home/someone/.authctl/configs");
  env_["AUTHCTL_CONFIGS_PATH"] = "/etc/authctl/configs";
  EXPECT_EQ(ConfigsPath(flags, Env()), "/etc/authctl/configs");
  flags.configs_path = "/tmp/mine";
  EXPECT_EQ(ConfigsPath(flags, Env()), "/tmp/mine");
}

}  // namespace
}  // namespace authd::cli
