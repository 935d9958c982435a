#include "cli/config_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace authd::cli {
namespace {

std::string TempDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/configXXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  return mkdtemp(buf.data());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary) << text;
  chmod(path.c_str(), mode);
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  return out;
}

Profile MakeProfile(std::string name, std::string token = "authd_token_value_1234567890") {
  Profile p;
  p.name = std::move(name);
  p.host = "127.0.0.1:50051";
  p.token = std::move(token);
  p.org = "acme";
  return p;
}

class ConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    path_ = dir_ + "/nested/.authctl/configs";
  }
  std::string dir_;
  std::string path_;
};

TEST_F(ConfigStoreTest, ListOfMissingFileIsEmpty) {
  ConfigStore store(path_);
  absl::StatusOr<std::vector<Profile>> profiles = store.List();
  ASSERT_TRUE(profiles.ok()) << profiles.status();
  EXPECT_TRUE(profiles->empty());
  absl::StatusOr<std::optional<Profile>> active = store.Active();
  ASSERT_TRUE(active.ok());
  EXPECT_FALSE(active->has_value());
}

TEST_F(ConfigStoreTest, CreateWritesFileWithMode0600AndDirsWith0700) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("default")).ok());
  EXPECT_EQ(Mode(path_), 0600u);
  EXPECT_EQ(Mode(dir_ + "/nested/.authctl"), 0700u);
  EXPECT_EQ(Mode(dir_ + "/nested"), 0700u);
}

TEST_F(ConfigStoreTest, SaveTightensAnExistingLooseFileTo0600) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("default")).ok());
  chmod(path_.c_str(), 0644);
  ASSERT_EQ(Mode(path_), 0644u);
  ASSERT_TRUE(store.Create(MakeProfile("second")).ok());
  EXPECT_EQ(Mode(path_), 0600u);
}

TEST_F(ConfigStoreTest, SaveReplacesTheFileByRenameNeverInPlace) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("default", "authd_first_token_aaaaaaaa")).ok());
  const std::string before = ReadFile(path_);
  // A hard link keeps the old inode: an in-place rewrite would change what it shows.
  const std::string snapshot = dir_ + "/snapshot";
  ASSERT_EQ(link(path_.c_str(), snapshot.c_str()), 0);
  struct stat old_st {};
  ASSERT_EQ(stat(path_.c_str(), &old_st), 0);

  ProfileUpdate update;
  update.name = "default";
  update.token = "authd_second_token_bbbbbbbb";
  ASSERT_TRUE(store.Update(update).ok());

  EXPECT_EQ(ReadFile(snapshot), before);
  EXPECT_TRUE(absl::StrContains(ReadFile(path_), "authd_second_token_bbbbbbbb"));
  struct stat new_st {};
  ASSERT_EQ(stat(path_.c_str(), &new_st), 0);
  EXPECT_NE(old_st.st_ino, new_st.st_ino);
  // No temporary file is left behind.
  EXPECT_EQ(DirEntries(dir_ + "/nested/.authctl"), std::vector<std::string>{"configs"});
}

TEST_F(ConfigStoreTest, FailedSaveCleansUpItsTemporaryFile) {
  // The target is a non-empty directory, so the final rename fails.
  const std::string target = dir_ + "/target";
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  WriteFile(target + "/keep", "x", 0600);
  ConfigStore store(target);
  absl::Status s = store.Save({MakeProfile("default")});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(s.message(), "cannot replace")) << s;
  EXPECT_EQ(DirEntries(dir_).size(), 1u) << "temporary file left behind";
  EXPECT_FALSE(absl::StrContains(s.message(), "authd_token_value")) << s;
}

TEST_F(ConfigStoreTest, FirstProfileBecomesActive) {
  ConfigStore store(path_);
  absl::StatusOr<Profile> created = store.Create(MakeProfile("default"));
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->active);
  ASSERT_TRUE(store.Create(MakeProfile("second")).ok());
  absl::StatusOr<std::optional<Profile>> active = store.Active();
  ASSERT_TRUE(active.ok());
  ASSERT_TRUE(active->has_value());
  EXPECT_EQ((*active)->name, "default");
}

TEST_F(ConfigStoreTest, CreatingAnActiveProfileDeactivatesTheOthers) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("default")).ok());
  Profile second = MakeProfile("second");
  second.active = true;
  ASSERT_TRUE(store.Create(second).ok());
  absl::StatusOr<std::vector<Profile>> all = store.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE((*all)[0].active);  // default
  EXPECT_TRUE((*all)[1].active);   // second
}

TEST_F(ConfigStoreTest, SetActiveKeepsExactlyOneActive) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("a")).ok());
  ASSERT_TRUE(store.Create(MakeProfile("b")).ok());
  ASSERT_TRUE(store.Create(MakeProfile("c")).ok());
  ASSERT_TRUE(store.SetActive("b").ok());
  absl::StatusOr<std::vector<Profile>> all = store.List();
  ASSERT_TRUE(all.ok());
  int active = 0;
  for (const Profile& p : *all) active += p.active ? 1 : 0;
  EXPECT_EQ(active, 1);
  EXPECT_EQ((*store.Active())->name, "b");
}

TEST_F(ConfigStoreTest, RemovingTheActiveProfilePromotesTheFirstRemaining) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("b")).ok());
  ASSERT_TRUE(store.Create(MakeProfile("a")).ok());
  ASSERT_TRUE(store.Create(MakeProfile("c")).ok());
  absl::StatusOr<Profile> removed = store.Remove("b");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->active);
  EXPECT_EQ((*store.Active())->name, "a");
  ASSERT_TRUE(store.Remove("a").ok());
  ASSERT_TRUE(store.Remove("c").ok());
  EXPECT_FALSE(store.Active()->has_value());
}

TEST_F(ConfigStoreTest, ErrorsNameTheProfileInInfluxsWords) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("default")).ok());
  absl::StatusOr<Profile> dup = store.Create(MakeProfile("default"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "config \"default\" already exists");
  ProfileUpdate update;
  update.name = "nope";
  EXPECT_EQ(store.Update(update).status().message(), "config \"nope\" is not found");
  EXPECT_EQ(store.Remove("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Get("nope").status().message(), "config \"nope\" is not found");
}

TEST_F(ConfigStoreTest, UpdateChangesOnlyTheFieldsSet) {
  ConfigStore store(path_);
  ASSERT_TRUE(store.Create(MakeProfile("default")).ok());
  ProfileUpdate update;
  update.name = "default";
  update.org = "other";
  absl::StatusOr<Profile> updated = store.Update(update);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->org, "other");
  EXPECT_EQ(updated->host, "127.0.0.1:50051");
  EXPECT_EQ(updated->token, "authd_token_value_1234567890");
  EXPECT_EQ(*store.Get("default"), *updated);
}

TEST(ProfileNameTest, AcceptsTomlBareKeysOnly) {
  for (const char* good : {"default", "prod-eu_1", "A", "x123"}) {
    EXPECT_TRUE(ValidateProfileName(good).ok()) << good;
  }
  for (const char* bad : {"", "a b", "a.b", "a]b", "a\"b", "über"}) {
    absl::Status s = ValidateProfileName(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ValidateProfileName("a b").message(), "\"a b\" is not a valid config name");
  EXPECT_FALSE(ValidateProfileName(std::string(65, 'a')).ok());
}

TEST(ProfileFormatTest, RoundTripsAwkwardValues) {
  Profile p = MakeProfile("default", "tok\"en\\with\tod\nd\x01" "chars");
  p.host = "[::1]:50051";
  p.org = "org # not a comment";
  p.active = true;
  Profile q = MakeProfile("other", "");
  absl::StatusOr<std::vector<Profile>> parsed =
      ParseProfiles(SerializeProfiles({q, p}), "configs");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0], p);  // sorted by name
  EXPECT_EQ((*parsed)[1], q);
}

TEST(ProfileFormatTest, SerializesTheDocumentedLayout) {
  Profile p = MakeProfile("default", "authd_abc");
  p.active = true;
  EXPECT_EQ(SerializeProfiles({p}),
            "# authctl connection profiles (mode 0600: holds tokens)\n"
            "[default]\n"
            "  host = \"127.0.0.1:50051\"\n"
            "  token = \"authd_abc\"\n"
            "  org = \"acme\"\n"
            "  active = true\n");
}

TEST(ProfileFormatTest, ParsesCommentsAndBlankLines) {
  absl::StatusOr<std::vector<Profile>> parsed = ParseProfiles(
      "# a comment\n\n[p1]   # trailing\n  host = \"h:1\"  # why\n  active = true # yes\n", "f");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].host, "h:1");
  EXPECT_TRUE((*parsed)[0].active);
}

TEST(ProfileFormatTest, RejectsMalformedFilesWithoutQuotingValues) {
  const std::string secret = "authd_SECRETSECRETSECRET";
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[a]\n  token = " + secret + "\n", "f:2: token: want a double-quoted string"},
      {"[a]\n  token = \"" + secret + "\n", "f:2: token: want a double-quoted string"},
      {"[a]\n  token = \"" + secret + "\" junk\n", "f:2: token: want a double-quoted string"},
      {"[a]\n  tokn = \"" + secret + "\"\n", "f:2: unknown key \"tokn\""},
      {"  token = \"" + secret + "\"\n", "f:1: key outside a [profile]"},
      {"[a]\nactive = true\n[b]\nactive = true\n", "f: more than one active config"},
      {"[a]\n[a]\n", "f:2: duplicate config \"a\""},
      {"[a]\nhost = \"x\"\nhost = \"y\"\n", "f:3: duplicate key \"host\""},
      {"[a\n", "f:1: unterminated [profile]"},
      {"[a]\nactive = yes\n", "f:2: active: want true or false"},
      {"[a b]\n", "f:1: \"a b\" is not a valid config name"},
      {"[a]\njust words\n", "f:2: expected key = value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<std::vector<Profile>> parsed = ParseProfiles(c.text, "f");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), c.message);
    EXPECT_FALSE(absl::StrContains(parsed.status().message(), secret));
  }
}

}  // namespace
}  // namespace authd::cli
