// End-to-end tests of `authctl`: the real binary against a real authd on 127.0.0.1 port 0, driven
// the way an admin would, with HOME pointing at a fresh directory so profiles start empty.
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "authz/resource_type.h"
#include "cli/config_store.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/cli/authctl_output.h"
#include "tests/cli/authctl_runner.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::cli_test {
namespace {

namespace v1 = ::authd::v1;
using google::protobuf::Value;

constexpr char kPassword[] = "correct horse battery";

std::vector<std::string> Permissions(const Value& token) {
  std::vector<std::string> out;
  for (const Value& p : Field(token, "permissions").list_value().values()) {
    out.push_back(p.string_value());
  }
  return out;
}

// True when CLI11's help text lists `flag` (followed by a space, a comma or a line end).
bool HasFlag(const std::string& help, const std::string& flag) {
  for (size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    char after = at + flag.size() < help.size() ? help[at + flag.size()] : '\n';
    if (after == ' ' || after == '\n' || after == ',') return true;
  }
  return false;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class AuthctlE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authd_ = std::make_unique<e2e::AuthdProcess>(e2e::MakeTempDir("data") + "/authd");
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<e2e::AuthdClient>(authd_->channel());
    home_ = e2e::MakeTempDir("home");
  }

  std::string ConfigsPath() const { return home_ + "/.authctl/configs"; }

  AuthctlResult Run(const std::vector<std::string>& args, const std::string& stdin_text = "",
                    const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env = {"HOME=" + home_};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return RunAuthctl(args, env, stdin_text);
  }

  // Runs and expects success; returns stdout.
  std::string MustRun(const std::vector<std::string>& args, const std::string& stdin_text = "",
                      const std::vector<std::string>& extra_env = {}) {
    AuthctlResult r = Run(args, stdin_text, extra_env);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\nstdout: " << r.out
                              << "\nstderr: " << r.err;
    return r.out;
  }

  // Expects exit code 1, nothing on stdout and exactly `Error: <message>` on stderr, after any
  // prompt lines ("> ", "? ", "X ", indented continuations) authctl wrote there.
  void ExpectError(const std::vector<std::string>& args, const std::string& message,
                   const std::string& stdin_text = "") {
    AuthctlResult r = Run(args, stdin_text);
    SCOPED_TRACE(absl::StrJoin(args, " "));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    std::string err;
    for (const std::string& line : Lines(r.err)) {
      if (absl::StartsWith(line, "> ") || absl::StartsWith(line, "? ") ||
          absl::StartsWith(line, "X ") || absl::StartsWith(line, "  ")) {
        continue;  // a prompt, or a continuation line of one
      }
      absl::StrAppend(&err, line, "\n");
    }
    EXPECT_EQ(err, absl::StrCat("Error: ", message, "\n")) << r.err;
  }

  // `authctl setup --force` on a fresh server, then ReadProfileAndIds().
  void SetUpThroughAuthctl() {
    AuthctlResult r = Run({"--host", authd_->address(), "setup", "-u", "admin", "-p", kPassword,
                           "-o", "acme", "-b", "metrics", "-f"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ReadProfileAndIds();
  }

  // The operator token saved by setup, and the IDs of the first org, bucket and user.
  void ReadProfileAndIds() {
    cli::ConfigStore store(ConfigsPath());
    absl::StatusOr<cli::Profile> profile = store.Get("default");
    ASSERT_TRUE(profile.ok()) << profile.status();
    operator_token_ = profile->token;
    Value buckets = ParseJson(MustRun({"bucket", "list", "--json"}));
    ASSERT_EQ(buckets.list_value().values_size(), 1);
    bucket_id_ = Str(buckets.list_value().values(0), "id");
    org_id_ = Str(buckets.list_value().values(0), "orgID");
    Value users = ParseJson(MustRun({"user", "list", "--json", "-n", "admin"}));
    ASSERT_EQ(users.list_value().values_size(), 1);
    user_id_ = Str(users.list_value().values(0), "id");
  }

  int TokenCount() {
    return ParseJson(MustRun({"auth", "list", "--json"})).list_value().values_size();
  }

  std::unique_ptr<e2e::AuthdProcess> authd_;
  std::unique_ptr<e2e::AuthdClient> client_;
  std::string home_;
  std::string operator_token_, org_id_, bucket_id_, user_id_;
};

// The flow the issue asks for: setup -> profile saved -> operator / all-access / read-bucket tokens
// -> list (table and JSON) -> inactive -> Authorize denied -> active -> delete.
TEST_F(AuthctlE2eTest, TokenLifecycleFromSetupToDelete) {
  // Setup prints the influx table and saves the operator token in an active 0600 profile.
  AuthctlResult setup = Run({"--host", authd_->address(), "setup", "-u", "admin", "-p", kPassword,
                             "-o", "acme", "-b", "metrics", "-f"});
  ASSERT_EQ(setup.exit_code, 0) << setup.err;
  EXPECT_EQ(Lines(setup.out),
            (std::vector<std::string>{"User\tOrganization\tBucket", "admin\tacme\t\tmetrics"}));
  EXPECT_EQ(setup.err, "");
  EXPECT_EQ(Mode(ConfigsPath()), 0600u);
  EXPECT_EQ(Mode(home_ + "/.authctl"), 0700u);
  absl::StatusOr<std::vector<cli::Profile>> profiles = cli::ConfigStore(ConfigsPath()).List();
  ASSERT_TRUE(profiles.ok()) << profiles.status();
  ASSERT_EQ(profiles->size(), 1u);
  const cli::Profile& profile = profiles->front();
  EXPECT_EQ(profile.name, "default");
  EXPECT_TRUE(profile.active);
  EXPECT_EQ(profile.host, authd_->address());
  EXPECT_EQ(profile.org, "acme");
  ASSERT_TRUE(absl::StartsWith(profile.token, "authd_")) << "operator token not saved";
  EXPECT_FALSE(absl::StrContains(setup.out, profile.token)) << "setup printed the token";
  // The saved token is the operator's: it may write orgs globally.
  EXPECT_TRUE(client_->Authorize(profile.token, "write", "orgs").allowed());

  ASSERT_NO_FATAL_FAILURE(ReadProfileAndIds());
  ASSERT_EQ(operator_token_, profile.token);

  // --operator: the server's 44-permission preset, all global.
  Value op = ParseJson(MustRun({"auth", "create", "--operator", "-d", "ops", "--json"}));
  const std::string op_token = Str(op, "token");
  ASSERT_TRUE(absl::StartsWith(op_token, "authd_"));
  EXPECT_EQ(Str(op, "status"), "active");
  EXPECT_EQ(Str(op, "description"), "ops");
  EXPECT_EQ(Str(op, "userName"), "admin");
  EXPECT_EQ(Str(op, "userID"), user_id_);
  std::set<std::string> want_operator;
  for (authz::ResourceType t : authz::AllResourceTypes()) {
    if (t == authz::ResourceType::kInstance) continue;
    for (const char* action : {"read", "write"}) {
      want_operator.insert(absl::StrCat(action, ":/", authz::ResourceTypeName(t)));
    }
  }
  std::vector<std::string> op_perms = Permissions(op);
  EXPECT_EQ(op_perms.size(), 44u);
  EXPECT_EQ(std::set<std::string>(op_perms.begin(), op_perms.end()), want_operator);
  EXPECT_TRUE(client_->Authorize(op_token, "write", "users").allowed());

  // --all-access: 43 permissions in the org: org-wide types, read orgs/<org>, read/write users/<me>.
  Value aa = ParseJson(MustRun({"auth", "create", "--all-access", "-d", "everything", "--json"}));
  const std::string aa_token = Str(aa, "token");
  std::vector<std::string> aa_perms = Permissions(aa);
  EXPECT_EQ(aa_perms.size(), 43u);
  std::set<std::string> aa_set(aa_perms.begin(), aa_perms.end());
  EXPECT_TRUE(aa_set.count("read:/orgs/" + org_id_));
  EXPECT_FALSE(aa_set.count("write:/orgs/" + org_id_));
  EXPECT_TRUE(aa_set.count("read:/users/" + user_id_));
  EXPECT_TRUE(aa_set.count("write:/users/" + user_id_));
  EXPECT_TRUE(aa_set.count("write:orgs/" + org_id_ + "/buckets"));
  EXPECT_TRUE(aa_set.count("read:orgs/" + org_id_ + "/dbrp"));
  EXPECT_TRUE(client_->Authorize(aa_token, "write", "buckets", "", org_id_).allowed());
  EXPECT_FALSE(client_->Authorize(aa_token, "write", "orgs").allowed());

  // --read-bucket ID: exactly {read, buckets, id, org}.
  Value reader =
      ParseJson(MustRun({"auth", "create", "--read-bucket", bucket_id_, "-d", "reader", "--json"}));
  const std::string reader_id = Str(reader, "id");
  const std::string reader_token = Str(reader, "token");
  EXPECT_EQ(Permissions(reader),
            std::vector<std::string>{"read:orgs/" + org_id_ + "/buckets/" + bucket_id_});
  EXPECT_TRUE(client_->Authorize(reader_token, "read", "buckets", bucket_id_, org_id_).allowed());
  v1::AuthorizeResponse no_write =
      client_->Authorize(reader_token, "write", "buckets", bucket_id_, org_id_);
  EXPECT_FALSE(no_write.allowed());
  EXPECT_EQ(no_write.reason(), v1::DENY_REASON_NO_PERMISSION);

  // list, as a table: influx's columns, aligned; hashed tokens show empty, never a hash.
  AuthctlResult table = Run({"auth", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 5u) << table.out;
  // (Last Used is left out: whether the Authorize above is recorded yet depends on the flush.)
  const std::vector<std::string> headers = {"ID",      "Description", "Token",      "User Name",
                                            "User ID", "Expires",     "Permissions"};
  EXPECT_EQ(absl::StrJoin(absl::StrSplit(lines[0], '\t', absl::SkipEmpty()), "|"),
            "ID|Description|Token|User Name|User ID|Expires|Last Used|Permissions");
  bool saw_reader = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string id = lines[i].substr(0, 16);
    if (id != reader_id) continue;
    saw_reader = true;
    ExpectAligned(lines[0], headers, lines[i],
                  {reader_id, "reader", "", "admin", user_id_, "never",
                   "[read:orgs/" + org_id_ + "/buckets/" + bucket_id_ + "]"});
  }
  EXPECT_TRUE(saw_reader) << table.out;
  for (const std::string& secret : {operator_token_, op_token, aa_token, reader_token}) {
    EXPECT_FALSE(absl::StrContains(table.out, secret)) << "list showed a token";
  }
  EXPECT_FALSE(absl::StrContains(table.out, "$authd-sha256$")) << "list showed a hash";
  EXPECT_TRUE(absl::StrContains(table.out, "[read:/authorizations write:/authorizations"));

  // The aliases and --hide-headers.
  EXPECT_EQ(MustRun({"auth", "find"}), table.out);
  EXPECT_EQ(MustRun({"auth", "ls"}), table.out);
  std::vector<std::string> bare = Lines(MustRun({"auth", "list", "--hide-headers"}));
  ASSERT_EQ(bare.size(), 4u);
  for (const std::string& line : bare) EXPECT_FALSE(absl::StartsWith(line, "ID\t"));

  // list, as JSON: influx's keys in influx's order, status included, token empty.
  AuthctlResult json = Run({"auth", "list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::vector<std::string> json_lines = Lines(json.out);
  ASSERT_GT(json_lines.size(), 9u);
  EXPECT_EQ(json_lines[0], "[");
  EXPECT_EQ(json_lines[1], "\t{");
  const char* keys[] = {"id", "description", "token", "status", "userName", "userID", "permissions"};
  for (int k = 0; k < 7; ++k) {
    EXPECT_TRUE(absl::StartsWith(json_lines[2 + k], absl::StrCat("\t\t\"", keys[k], "\": ")))
        << json_lines[2 + k];
  }
  Value all = ParseJson(json.out);
  ASSERT_EQ(all.list_value().values_size(), 4);
  for (const Value& t : all.list_value().values()) {
    EXPECT_EQ(Str(t, "token"), "");
    EXPECT_EQ(Str(t, "status"), "active");
    EXPECT_EQ(Str(t, "userName"), "admin");
    // The lifecycle keys follow influx's, "" when unset.
    for (const char* key : {"expiresAt", "lastUsedAt", "rotatedAt", "previousTokenValidUntil"}) {
      EXPECT_TRUE(Field(t, key).has_string_value()) << key;
    }
    EXPECT_EQ(Str(t, "expiresAt"), "");
    EXPECT_EQ(Str(t, "rotatedAt"), "");
  }

  // inactive: Authorize denies with INACTIVE_TOKEN; active: allowed again.
  Value inactive = ParseJson(MustRun({"auth", "inactive", "-i", reader_id, "--json"}));
  EXPECT_EQ(Str(inactive, "status"), "inactive");
  EXPECT_EQ(Str(inactive, "token"), "");
  v1::AuthorizeResponse denied =
      client_->Authorize(reader_token, "read", "buckets", bucket_id_, org_id_);
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.reason(), v1::DENY_REASON_INACTIVE_TOKEN);
  Value listed = ParseJson(MustRun({"auth", "list", "--id", reader_id, "--json"}));
  EXPECT_EQ(Str(listed, "status"), "inactive");

  AuthctlResult active = Run({"auth", "active", "--id", reader_id});
  ASSERT_EQ(active.exit_code, 0) << active.err;
  std::vector<std::string> active_lines = Lines(active.out);
  ASSERT_EQ(active_lines.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(active_lines[1], reader_id + "\treader\t"));
  EXPECT_TRUE(client_->Authorize(reader_token, "read", "buckets", bucket_id_, org_id_).allowed());

  // delete: prints the token with Deleted=true; Authorize no longer knows it.
  AuthctlResult deleted = Run({"auth", "delete", "-i", reader_id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  std::vector<std::string> deleted_lines = Lines(deleted.out);
  ASSERT_EQ(deleted_lines.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(deleted_lines[0], "\tDeleted"));
  EXPECT_TRUE(absl::StartsWith(deleted_lines[1], reader_id + "\t"));
  EXPECT_TRUE(absl::EndsWith(deleted_lines[1], "]\ttrue"));
  v1::AuthorizeResponse gone =
      client_->Authorize(reader_token, "read", "buckets", bucket_id_, org_id_);
  EXPECT_FALSE(gone.allowed());
  EXPECT_EQ(gone.reason(), v1::DENY_REASON_UNKNOWN_TOKEN);
  EXPECT_EQ(TokenCount(), 3);
  AuthctlResult missing = Run({"auth", "list", "-i", reader_id});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_TRUE(absl::StartsWith(missing.err, "Error: ")) << missing.err;
  EXPECT_TRUE(absl::StrContains(missing.err, "not found")) << missing.err;
  EXPECT_EQ(Lines(missing.err).size(), 1u);
}

TEST_F(AuthctlE2eTest, FlagConflictsAndBadIdsFailWithInfluxMessagesBeforeAnyChange) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  const int before = TokenCount();
  const std::string bad_id_hint = " (did you pass a bucket name instead of an ID?)";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"auth", "create", "--operator", "--read-buckets"},
       "cannot compose other permissions with operator permissions"},
      {{"auth", "create", "--operator", "--read-bucket", bucket_id_},
       "cannot compose other permissions with operator permissions"},
      {{"auth", "create", "--operator", "--write-orgs"},
       "cannot compose other permissions with operator permissions"},
      {{"auth", "create", "--all-access", "--write-bucket", bucket_id_},
       "cannot compose other permissions with all access permissions"},
      {{"auth", "create", "--all-access", "--read-users"},
       "cannot compose other permissions with all access permissions"},
      {{"auth", "create", "--operator", "--all-access"},
       "cannot compose other permissions with all access permissions"},
      {{"auth", "create", "--read-bucket", "metrics"},
       "invalid bucket ID 'metrics': id must have a length of 16 bytes" + bad_id_hint},
      {{"auth", "create", "--write-bucket", "zzzzzzzzzzzzzzzz"},
       "invalid bucket ID 'zzzzzzzzzzzzzzzz': invalid ID" + bad_id_hint},
      {{"auth", "create", "--read-bucket", bucket_id_, "--read-bucket", "0000000000000000"},
       "invalid bucket ID '0000000000000000': invalid ID" + bad_id_hint},
      {{"auth", "create", "--org", "acme", "--org-id", org_id_, "--read-buckets"},
       "must specify org-id, or org name not both"},
      {{"auth", "create", "--org", "nope", "--read-buckets"}, "no organization with name \"nope\""},
      {{"auth", "create", "-u", "nobody", "--read-buckets"},
       "could not find user with name \"nobody\""},
      {{"auth", "create"}, "authorization must include permissions"},
      {{"auth", "active"}, "--id is required"},
      {{"auth", "delete"}, "--id is required"},
      {{"auth", "list", "--bogus"}, "unknown flag: --bogus"},
      {{"auth", "lsit"}, "unknown command or argument: lsit"},
      {{"auth", "create", "--read-instance"}, "unknown flag: --read-instance"},
      {{"restore", "/nonexistent-backup-dir"}, "only full restores are supported: pass --full"},
      {{"restore", "--full", "/nonexistent-backup-dir"},
       "/nonexistent-backup-dir is not a backup (no manifest.json)"},
  };
  for (const Case& c : cases) ExpectError(c.args, c.message);
  EXPECT_EQ(TokenCount(), before);
}

TEST_F(AuthctlE2eTest, GeneratedFlagsCoverEveryTypeButInstance) {
  AuthctlResult help = Run({"auth", "create", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  for (authz::ResourceType t : authz::AllResourceTypes()) {
    const std::string name(authz::ResourceTypeName(t));
    const bool want = t != authz::ResourceType::kInstance;
    EXPECT_EQ(HasFlag(help.out, "--read-" + name), want) << name;
    EXPECT_EQ(HasFlag(help.out, "--write-" + name), want) << name;
  }
  for (const char* flag : {"--org", "--org-id", "--user", "--description", "--read-bucket",
                           "--write-bucket", "--operator", "--all-access", "--expires-in",
                           "--expires-at"}) {
    EXPECT_TRUE(HasFlag(help.out, flag)) << flag;
  }
  EXPECT_FALSE(HasFlag(help.out, "--read-dbrps"));
}

TEST_F(AuthctlE2eTest, TypeFlagsComposeOrgWideAndGlobalPermissions) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  Value t = ParseJson(MustRun({"auth", "create", "--org", "acme", "--read-dashboards",
                               "--write-dashboards", "--read-orgs", "--read-users", "--json"}));
  EXPECT_EQ(Permissions(t), (std::vector<std::string>{"read:orgs/" + org_id_ + "/dashboards",
                                                      "write:orgs/" + org_id_ + "/dashboards",
                                                      "read:/orgs", "read:/users"}));
  const std::string token = Str(t, "token");
  EXPECT_TRUE(client_->Authorize(token, "write", "dashboards", "", org_id_).allowed());
  EXPECT_TRUE(client_->Authorize(token, "read", "orgs").allowed());
  // --org-id and -u pick the org and the user explicitly.
  Value u = ParseJson(MustRun({"auth", "create", "--org-id", org_id_, "-u", "admin",
                               "--write-bucket", bucket_id_, "--json"}));
  EXPECT_EQ(Str(u, "userID"), user_id_);
  EXPECT_EQ(Permissions(u),
            std::vector<std::string>{"write:orgs/" + org_id_ + "/buckets/" + bucket_id_});
}

TEST_F(AuthctlE2eTest, InteractiveSetupReadsAnswersFromStdin) {
  AuthctlResult r = Run({"--host", authd_->address(), "setup"},
                        "admin\ncorrect horse battery\nacme\nmetrics\n72\ny\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out),
            (std::vector<std::string>{"User\tOrganization\tBucket", "admin\tacme\t\tmetrics"}));
  for (const char* prompt : {"> Welcome to authd!", "Please type your primary username",
                             "Please type your password", "Please type your primary organization name",
                             "Please type your primary bucket name",
                             "Please type your retention period in hours, or 0 for infinite",
                             "Setup with these parameters?", "Retention Period:  72h0m0s"}) {
    EXPECT_TRUE(absl::StrContains(r.err, prompt)) << prompt << "\n" << r.err;
  }
  EXPECT_FALSE(absl::StrContains(r.err, "correct horse battery")) << "password echoed";
  absl::StatusOr<cli::Profile> profile = cli::ConfigStore(ConfigsPath()).Get("default");
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_TRUE(profile->active);
  Value buckets = ParseJson(MustRun({"bucket", "list", "--json"}));
  ASSERT_EQ(buckets.list_value().values_size(), 1);
  EXPECT_EQ(Field(buckets.list_value().values(0), "retentionPeriodSeconds").number_value(),
            72 * 3600);
  // The password typed on stdin works for sign-in.
  MustRun({"signin", "-u", "admin", "-p", "correct horse battery"});
}

TEST_F(AuthctlE2eTest, InteractiveSetupCanBeCanceledAndChecksThePassword) {
  ExpectError({"--host", authd_->address(), "setup", "-u", "admin", "-o", "acme", "-b", "m",
               "-r", "0"},
              "setup was canceled", "correct horse battery\nn\n");
  ExpectError({"--host", authd_->address(), "setup", "-u", "admin", "-o", "acme", "-b", "m"},
              "value for prompt \"Please type your password\" is too short: min length is 8",
              "short\n");
  ExpectError({"--host", authd_->address(), "setup", "-u", "admin", "-p", "short", "-o", "acme",
               "-b", "m", "-f"},
              "password is too short");
  ExpectError({"--host", authd_->address(), "setup", "-u", "admin", "-p", kPassword},
              "couldn't get input for prompt \"Please type your primary organization name\": no "
              "data on stdin");
  // With --force nothing is asked: the server names what is missing.
  AuthctlResult missing = Run({"--host", authd_->address(), "setup", "-f", "-p", kPassword});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(missing.err, "Error: ")) << missing.err;
  EXPECT_EQ(Lines(missing.err).size(), 1u);

  v1::GetSetupStatusResponse status;
  ASSERT_TRUE(client_->setup
                  ->GetSetupStatus(e2e::AuthdClient::Ctx().get(), v1::GetSetupStatusRequest(),
                                   &status)
                  .ok());
  EXPECT_TRUE(status.allowed()) << "a canceled or refused setup changed the server";
  EXPECT_TRUE(cli::ConfigStore(ConfigsPath()).List()->empty()) << "a failed setup saved a profile";
}

TEST_F(AuthctlE2eTest, SetupRefusesASecondSetupAndNameCollisions) {
  // An existing profile makes -n mandatory, as influx does.
  MustRun({"config", "create", "-n", "existing", "-u", authd_->address()});
  ExpectError({"setup", "-u", "admin", "-p", kPassword, "-o", "acme", "-b", "metrics", "-f"},
              "config name is required if you already have existing configs");
  ExpectError({"setup", "-n", "existing", "-u", "admin", "-p", kPassword, "-o", "acme", "-b",
               "metrics", "-f"},
              "config name \"existing\" already exists");
  v1::GetSetupStatusResponse status;
  ASSERT_TRUE(client_->setup
                  ->GetSetupStatus(e2e::AuthdClient::Ctx().get(), v1::GetSetupStatusRequest(),
                                   &status)
                  .ok());
  EXPECT_TRUE(status.allowed()) << "a refused setup changed the server";

  MustRun({"setup", "-n", "prod", "-u", "admin", "-p", kPassword, "-o", "acme", "-b", "metrics",
           "-f"});
  absl::StatusOr<std::optional<cli::Profile>> active = cli::ConfigStore(ConfigsPath()).Active();
  ASSERT_TRUE(active.ok());
  ASSERT_TRUE(active->has_value());
  EXPECT_EQ((*active)->name, "prod");
  ExpectError({"setup", "-n", "again", "-u", "admin", "-p", kPassword, "-o", "acme", "-b",
               "metrics", "-f"},
              "instance has already been set up");
}

TEST_F(AuthctlE2eTest, TokenComesFromFlagThenEnvThenProfile) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  const std::string bogus = "authd_0000000000000000000000000000000000000000000000000";
  // The profile's operator token works alone.
  MustRun({"org", "list"});
  // AUTHD_TOKEN beats the profile.
  AuthctlResult env_wins = Run({"org", "list"}, "", {"AUTHD_TOKEN=" + bogus});
  EXPECT_EQ(env_wins.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(env_wins.err, "Error: ")) << env_wins.err;
  // -t beats AUTHD_TOKEN.
  MustRun({"-t", operator_token_, "org", "list"}, "", {"AUTHD_TOKEN=" + bogus});
  MustRun({"org", "list", "--token", operator_token_}, "", {"AUTHD_TOKEN=" + bogus});
  // AUTHD_HOST and --host beat the profile's host.
  AuthctlResult wrong_host = Run({"org", "list"}, "", {"AUTHD_HOST=127.0.0.1:1"});
  EXPECT_EQ(wrong_host.exit_code, 1);
  MustRun({"--host", authd_->address(), "org", "list"}, "", {"AUTHD_HOST=127.0.0.1:1"});
  // -c picks another profile; --configs-path and AUTHCTL_CONFIGS_PATH another file.
  MustRun({"config", "create", "-n", "broken", "-u", authd_->address(), "-t", bogus});
  EXPECT_EQ(Run({"-c", "broken", "org", "list"}).exit_code, 1);
  ExpectError({"-c", "nope", "org", "list"}, "config \"nope\" is not found");
  // Another file whose only profile holds a bad token: using it must fail.
  const std::string other_file = e2e::MakeTempDir("cfg") + "/configs";
  MustRun({"--configs-path", other_file, "config", "create", "-n", "x", "-u", authd_->address(),
           "-t", bogus});
  EXPECT_EQ(Mode(other_file), 0600u);
  EXPECT_EQ(Run({"org", "list"}, "", {"AUTHCTL_CONFIGS_PATH=" + other_file}).exit_code, 1);
  EXPECT_EQ(Run({"--configs-path", other_file, "org", "list"}).exit_code, 1);
  MustRun({"--configs-path", other_file, "-t", operator_token_, "org", "list"});
}

TEST_F(AuthctlE2eTest, ErrorsAreOneLineAndNeverContainSecrets) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  const std::string bogus = "authd_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
  std::vector<AuthctlResult> results = {
      Run({"-t", bogus, "auth", "list"}),
      Run({"--token=" + bogus, "auth", "list"}),
      Run({"-t", bogus, "auth", "lsit"}),
      Run({"auth", "list", bogus}),
      Run({"auth", "delete", "-i", "0000000000000001"}),
      Run({"auth", "list", "-u", "nobody"}),
      Run({"signin", "-u", "admin", "-p", "not-the-password"}),
      Run({"setup", "-n", "x", "-u", "a", "-p", kPassword, "-o", "o", "-b", "b", "-f"}),
      Run({"--host", "127.0.0.1:1", "auth", "list"}),
  };
  for (const AuthctlResult& r : results) {
    SCOPED_TRACE(r.err);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(absl::StartsWith(r.err, "Error: "));
    EXPECT_EQ(Lines(r.err).size(), 1u);
    for (const std::string& secret : {bogus, operator_token_, std::string("not-the-password"),
                                      std::string(kPassword)}) {
      EXPECT_FALSE(absl::StrContains(r.err, secret)) << "secret in error";
    }
    EXPECT_FALSE(absl::StrContains(r.err, "terminate called")) << "crash";
  }
}

TEST_F(AuthctlE2eTest, SigninStoresTheSessionTokenInTheActiveProfile) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  cli::ConfigStore store(ConfigsPath());
  AuthctlResult wrong = Run({"signin", "-u", "admin", "-p", "wrong password!"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(wrong.err, "Error: ")) << wrong.err;
  EXPECT_EQ(store.Get("default")->token, operator_token_) << "a failed sign-in changed the profile";

  AuthctlResult ok = Run({"signin", "-u", "admin", "-p", kPassword});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(absl::StartsWith(
      ok.out, "Signed in as \"admin\"; the session token is saved in config \"default\" (expires "))
      << ok.out;
  const std::string session = store.Get("default")->token;
  EXPECT_FALSE(session.empty());
  EXPECT_NE(session, operator_token_);
  EXPECT_FALSE(absl::StrContains(ok.out, session)) << "sign-in printed the session token";
  EXPECT_EQ(Mode(ConfigsPath()), 0600u);
  // The session works: the setup user's session may do everything.
  EXPECT_EQ(TokenCount(), 1);
  MustRun({"org", "create", "-n", "made-by-session"});

  // The password may come from the prompt; -c stores into that profile, not the active one.
  MustRun({"config", "create", "-n", "other", "-u", authd_->address()});
  Value prompted = ParseJson(
      MustRun({"-c", "other", "signin", "-u", "admin", "--json"}, std::string(kPassword) + "\n"));
  EXPECT_EQ(Str(prompted, "user"), "admin");
  EXPECT_EQ(Str(prompted, "config"), "other");
  EXPECT_FALSE(Str(prompted, "expiresAt").empty());
  EXPECT_FALSE(store.Get("other")->token.empty());
  EXPECT_EQ(store.Get("default")->token, session);
  EXPECT_EQ((*store.Active())->name, "default");
}

TEST_F(AuthctlE2eTest, SigninWithoutAnyProfileCreatesTheDefaultOne) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  ASSERT_EQ(std::remove(ConfigsPath().c_str()), 0);
  MustRun({"--host", authd_->address(), "signin", "-u", "admin", "-p", kPassword});
  absl::StatusOr<cli::Profile> profile = cli::ConfigStore(ConfigsPath()).Get("default");
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_TRUE(profile->active);
  EXPECT_EQ(profile->host, authd_->address());
  MustRun({"auth", "list"});
}

TEST_F(AuthctlE2eTest, UserPasswordPromptsAndTheNewPasswordSignsIn) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  AuthctlResult created = Run({"user", "create", "-n", "bob"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.err,
            "WARN: initial password not set for user, use `authctl user password` to set it\n");
  std::vector<std::string> lines = Lines(created.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(lines[1], "\tbob"));
  const std::string bob_id = lines[1].substr(0, 16);

  AuthctlResult set = Run({"user", "password", "-n", "bob"}, "bobs new password\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "Successfully updated password for user \"bob\"\n");
  EXPECT_TRUE(absl::StrContains(set.err, "Please type new password for \"bob\""));
  EXPECT_FALSE(absl::StrContains(set.err, "bobs new password"));
  ExpectError({"user", "password", "-i", bob_id},
              "value for prompt \"Please type new password for \\\"" + bob_id +
                  "\\\"\" is too short: min length is 8",
              "short\n");
  ExpectError({"user", "password"}, "must specify user ID or user name");
  ExpectError({"user", "password", "-n", "nobody", "-p", "whatever123"},
              "no user found with name \"nobody\"");
  ExpectError({"user", "create", "-n", "carol", "-p", "short"}, "password is too short");

  AuthctlResult signin = Run({"signin", "-u", "bob", "-p", "bobs new password"});
  ASSERT_EQ(signin.exit_code, 0) << signin.err;
  EXPECT_TRUE(absl::StartsWith(signin.out, "Signed in as \"bob\"; the session token is saved in "
                                           "config \"default\""))
      << signin.out;
}

TEST_F(AuthctlE2eTest, OrgUserAndBucketCommands) {
  ASSERT_NO_FATAL_FAILURE(SetUpThroughAuthctl());
  // org create / list / delete.
  AuthctlResult org = Run({"org", "create", "-n", "beta", "-d", "second org", "--json"});
  ASSERT_EQ(org.exit_code, 0) << org.err;
  Value beta = ParseJson(org.out);
  EXPECT_EQ(Str(beta, "name"), "beta");
  EXPECT_EQ(Str(beta, "description"), "second org");
  const std::string beta_id = Str(beta, "id");
  std::vector<std::string> orgs = Lines(MustRun({"org", "list"}));
  ASSERT_EQ(orgs.size(), 3u);
  EXPECT_EQ(absl::StrJoin(absl::StrSplit(orgs[0], '\t', absl::SkipEmpty()), "|"), "ID|Name");
  const std::string& beta_row = absl::StartsWith(orgs[1], beta_id) ? orgs[1] : orgs[2];
  ExpectAligned(orgs[0], {"ID", "Name"}, beta_row, {beta_id, "beta"});
  EXPECT_EQ(Lines(MustRun({"org", "list", "-n", "beta", "--hide-headers"})),
            std::vector<std::string>{beta_id + "\tbeta"});
  EXPECT_EQ(Lines(MustRun({"org", "find", "-i", beta_id, "--hide-headers"})),
            std::vector<std::string>{beta_id + "\tbeta"});

  // bucket create in another org by name, with a retention; list; delete by name.
  Value logs = ParseJson(
      MustRun({"bucket", "create", "-n", "logs", "-o", "beta", "-r", "30d", "--json"}));
  EXPECT_EQ(Str(logs, "orgID"), beta_id);
  EXPECT_EQ(Field(logs, "retentionPeriodSeconds").number_value(), 30 * 86400);
  std::vector<std::string> beta_buckets = Lines(MustRun({"bucket", "list", "--org-id", beta_id}));
  ASSERT_EQ(beta_buckets.size(), 2u);
  ExpectAligned(beta_buckets[0], {"ID", "Name", "Retention", "Organization ID"}, beta_buckets[1],
                {Str(logs, "id"), "logs", "720h0m0s", beta_id});
  // Without org flags, the profile's org (acme) is used.
  std::vector<std::string> acme_buckets = Lines(MustRun({"bucket", "list", "--hide-headers"}));
  ASSERT_EQ(acme_buckets.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(acme_buckets[0], bucket_id_ + "\tmetrics\tinfinite\t"));
  ExpectError({"bucket", "create", "-n", "x", "-r", "forever"},
              "invalid duration \"forever\": want e.g. 72h, 30d, 1w, or 0 for infinite");
  ExpectError({"bucket", "delete"}, "must specify bucket ID or bucket name");
  ExpectError({"bucket", "delete", "-n", "nope"}, "bucket \"nope\" not found");
  std::vector<std::string> gone = Lines(MustRun({"bucket", "delete", "-n", "logs", "-o", "beta"}));
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(gone[0], "\tDeleted"));
  EXPECT_TRUE(absl::EndsWith(gone[1], "\ttrue"));
  EXPECT_EQ(Lines(MustRun({"bucket", "list", "--org-id", beta_id, "--hide-headers"})).size(), 0u);

  // user create / list / delete.
  Value carol = ParseJson(MustRun({"user", "create", "-n", "carol", "-p", kPassword, "--json"}));
  EXPECT_EQ(Str(carol, "status"), "active");
  EXPECT_EQ(Lines(MustRun({"user", "ls", "--hide-headers"})).size(), 2u);
  std::vector<std::string> deleted = Lines(MustRun({"user", "delete", "-i", Str(carol, "id")}));
  ASSERT_EQ(deleted.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(deleted[1], "\tcarol\ttrue"));

  std::vector<std::string> org_gone = Lines(MustRun({"org", "delete", "-i", beta_id}));
  ASSERT_EQ(org_gone.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(org_gone[1], "\tbeta\ttrue"));
  EXPECT_EQ(Lines(MustRun({"org", "list", "--hide-headers"})).size(), 1u);
}

TEST_F(AuthctlE2eTest, ConfigCommandsManageProfilesWithoutPrintingTokens) {
  const std::string secret = "authd_config_token_should_never_print_00000000000000";
  AuthctlResult created =
      Run({"config", "create", "-n", "one", "-u", "127.0.0.1:1111", "-t", secret, "-o", "acme"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(Lines(created.out),
            (std::vector<std::string>{"Active\tName\tHost\t\tOrg", "*\tone\t127.0.0.1:1111\tacme"}));
  MustRun({"config", "create", "-n", "two", "--host", "127.0.0.1:2222", "-a"});
  std::vector<std::string> listed = Lines(MustRun({"config", "list"}));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[1], "\tone\t127.0.0.1:1111\tacme");
  EXPECT_EQ(listed[2], "*\ttwo\t127.0.0.1:2222\t");
  // `config NAME` switches; `config` prints the active one.
  MustRun({"config", "one"});
  Value active = ParseJson(MustRun({"config", "--json"}));
  EXPECT_EQ(Str(active, "name"), "one");
  EXPECT_TRUE(Field(active, "active").bool_value());
  Value updated = ParseJson(MustRun({"config", "set", "-n", "two", "-o", "beta", "--json"}));
  EXPECT_EQ(Str(updated, "org"), "beta");
  EXPECT_EQ(Str(updated, "host"), "127.0.0.1:2222");
  Value all = ParseJson(MustRun({"config", "ls", "--json"}));
  EXPECT_EQ(all.struct_value().fields().size(), 2u);
  ExpectError({"config", "set", "-n", "nope", "-o", "x"}, "config \"nope\" is not found");
  ExpectError({"config", "create", "-n", "one"}, "config \"one\" already exists");
  ExpectError({"config", "create", "-n", "bad name"}, "\"bad name\" is not a valid config name");
  std::vector<std::string> removed = Lines(MustRun({"config", "rm", "one", "nope"}));
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(removed[1], "\ttrue"));
  // The removed profile was active, so the remaining one took over.
  EXPECT_TRUE(ParseJson(MustRun({"config", "--json"})).struct_value().fields().at("active").bool_value());
  AuthctlResult everything = Run({"config", "list", "--json"});
  EXPECT_FALSE(absl::StrContains(everything.out, secret));
  EXPECT_EQ(Mode(ConfigsPath()), 0600u);
}

}  // namespace
}  // namespace authd::cli_test
