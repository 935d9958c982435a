// End-to-end tests of authctl's token-lifecycle commands (docs/adr/0007): the real authctl against
// a real authd started with the test-only `--clock-offset-file` (so the test moves authd's clock
// hours ahead without sleeping) and `--last-used-interval=1s` (so last use shows within seconds).
// Every wait is a bounded poll for an observable change, never a fixed sleep.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
constexpr absl::Duration kWaitLimit = absl::Seconds(15);

// Polls (tests/e2e/authd_process.h PollUntil) for at most kWaitLimit.
bool WaitFor(const std::function<bool()>& done) { return e2e::PollUntil(done, kWaitLimit); }

absl::Time ParseTime(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << rfc3339 << ": " << error;
  return t;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", t, absl::UTCTimeZone());
}

// `t` without its fraction of a second.
absl::Time ToSecond(absl::Time t) { return absl::FromUnixSeconds(absl::ToUnixSeconds(t)); }

// How a table shows a time: UTC, to the second.
std::string TableTime(const std::string& rfc3339) { return Rfc3339(ParseTime(rfc3339)); }

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

size_t IndexOf(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) - items.begin();
}

// The authd tokens in `text`.
std::vector<std::string> TokensIn(const std::string& text) {
  static const std::regex token("authd_[0-9A-Za-z]{49}");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), token), end; it != end; ++it) {
    out.push_back(it->str());
  }
  return out;
}

class AuthctlLifecycleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = e2e::MakeTempDir("lifecycle");
    offset_file_ = dir + "/clock_offset";
    authd_ = std::make_unique<e2e::AuthdProcess>(
        dir + "/authd",
        std::vector<std::string>{"--clock-offset-file=" + offset_file_, "--last-used-interval=1s"},
        std::vector<std::string>{"AUTHD_TESTING=1"});
    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    client_ = std::make_unique<e2e::AuthdClient>(authd_->channel());
    home_ = e2e::MakeTempDir("home");
    AuthctlResult setup = Run({"--host", authd_->address(), "setup", "-u", "admin", "-p", kPassword,
                               "-o", "acme", "-b", "metrics", "-f"});
    ASSERT_EQ(setup.exit_code, 0) << setup.err;
    Value buckets = ParseJson(MustRun({"bucket", "list", "--json"}));
    ASSERT_EQ(buckets.list_value().values_size(), 1);
    bucket_id_ = Str(buckets.list_value().values(0), "id");
    org_id_ = Str(buckets.list_value().values(0), "orgID");
  }

  AuthctlResult Run(const std::vector<std::string>& args) {
    return RunAuthctl(args, {"HOME=" + home_});
  }

  // Runs and expects success; returns stdout.
  std::string MustRun(const std::vector<std::string>& args) {
    AuthctlResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\nstdout: " << r.out
                              << "\nstderr: " << r.err;
    return r.out;
  }

  // Expects exit code 1, nothing on stdout and exactly the line `Error: <message>` on stderr.
  void ExpectError(const std::vector<std::string>& args, const std::string& message) {
    AuthctlResult r = Run(args);
    SCOPED_TRACE(absl::StrJoin(args, " "));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, absl::StrCat("Error: ", message, "\n"));
  }

  // A token that may read the setup bucket, made with `extra` flags; its JSON.
  Value CreateReader(const std::string& description, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"auth", "create",    "--read-bucket", bucket_id_,
                                     "-d",   description, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ParseJson(MustRun(args));
  }

  v1::AuthorizeResponse ReadBucket(const std::string& token) {
    return client_->Authorize(token, "read", "buckets", bucket_id_, org_id_);
  }

  // The IDs `auth list <filters> --json` prints, in its order.
  std::vector<std::string> ListIds(const std::vector<std::string>& filters) {
    std::vector<std::string> args = {"auth", "list", "--json"};
    args.insert(args.end(), filters.begin(), filters.end());
    return Strs(ParseJson(MustRun(args)), "id");
  }

  Value Get(const std::string& id) {
    return ParseJson(MustRun({"auth", "list", "--id", id, "--json"}));
  }

  // Moves authd's clock `seconds` ahead of the real one (from the start, not from the last move)
  // and waits until authd has read it. The file is replaced whole, never seen half-written.
  void SetClockOffset(int64_t seconds) {
    const std::string tmp = offset_file_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << seconds;
    }
    ASSERT_EQ(std::rename(tmp.c_str(), offset_file_.c_str()), 0);
    const std::string applied = absl::StrCat("test clock: offset ", seconds, "s");
    ASSERT_TRUE(WaitFor([&] { return absl::StrContains(authd_->Log(), applied); }))
        << "authd never applied the clock offset:\n"
        << authd_->Log();
  }

  std::unique_ptr<e2e::AuthdProcess> authd_;
  std::unique_ptr<e2e::AuthdClient> client_;
  std::string home_, offset_file_, org_id_, bucket_id_;
};

// create --expires-in -> Expires shown; a use shows as Last Used; the list filters and orders;
// the clock past expiry -> `--status expired` and refusal; update extends and clears the expiry.
TEST_F(AuthctlLifecycleE2eTest, ExpiryAndLastUseShowInListsAndFilters) {
  const absl::Time before = absl::Now();
  Value expiring = CreateReader("expiring", {"--expires-in", "1h"});
  const absl::Time after = absl::Now();
  const std::string expiring_id = Str(expiring, "id");
  const std::string expiring_token = Str(expiring, "token");
  ASSERT_TRUE(absl::StartsWith(expiring_token, "authd_"));
  // The lifetime went as a ttl: authd's clock (the same as the test's here) decided the end.
  const absl::Time expires_at = ParseTime(Str(expiring, "expiresAt"));
  EXPECT_GE(expires_at, before + absl::Hours(1) - absl::Seconds(1));
  EXPECT_LE(expires_at, after + absl::Hours(1) + absl::Seconds(1));
  EXPECT_EQ(Str(expiring, "lastUsedAt"), "");

  Value forever = CreateReader("forever");
  const std::string forever_id = Str(forever, "id");
  EXPECT_EQ(Str(forever, "expiresAt"), "");

  // The table: Expires and Last Used before Permissions, "never" when unset.
  std::vector<std::string> lines = Lines(MustRun({"auth", "list"}));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(absl::StrJoin(absl::StrSplit(lines[0], '\t', absl::SkipEmpty()), "|"),
            "ID|Description|Token|User Name|User ID|Expires|Last Used|Permissions");
  const std::string permission = "[read:orgs/" + org_id_ + "/buckets/" + bucket_id_ + "]";
  const std::vector<std::string> headers = {"ID",      "Description", "Token",
                                            "Expires", "Last Used",   "Permissions"};
  int rows_seen = 0;
  for (const std::string& row : lines) {
    if (absl::StartsWith(row, expiring_id)) {
      ++rows_seen;
      ExpectAligned(lines[0], headers, row,
                    {expiring_id, "expiring", "", Rfc3339(expires_at), "never", permission});
    } else if (absl::StartsWith(row, forever_id)) {
      ++rows_seen;
      ExpectAligned(lines[0], headers, row,
                    {forever_id, "forever", "", "never", "never", permission});
    }
  }
  EXPECT_EQ(rows_seen, 2) << absl::StrJoin(lines, "\n");

  // A use is recorded within --last-used-interval (1 s), to the second.
  const absl::Time used_from = absl::Now();
  ASSERT_TRUE(ReadBucket(expiring_token).allowed());
  std::string last_used;
  ASSERT_TRUE(WaitFor([&] {
    last_used = Str(Get(expiring_id), "lastUsedAt");
    return !last_used.empty();
  })) << "last use never showed";
  EXPECT_GE(ParseTime(last_used), ToSecond(used_from));
  EXPECT_LE(ParseTime(last_used), absl::Now());
  EXPECT_EQ(Str(Get(forever_id), "lastUsedAt"), "");
  lines = Lines(MustRun({"auth", "list"}));
  ASSERT_EQ(lines.size(), 4u);
  for (const std::string& row : lines) {
    if (!absl::StartsWith(row, expiring_id)) continue;
    ExpectAligned(lines[0], {"Last Used"}, row, {TableTime(last_used)});
  }

  // --unused-since (a duration ago, or a time) and --never-used: stale tokens.
  std::vector<std::string> stale = ListIds({"--unused-since", "1h"});
  EXPECT_TRUE(Contains(stale, forever_id));
  EXPECT_FALSE(Contains(stale, expiring_id));
  stale = ListIds({"--unused-since", Rfc3339(absl::Now() + absl::Minutes(1))});
  EXPECT_TRUE(Contains(stale, forever_id));
  EXPECT_TRUE(Contains(stale, expiring_id));
  std::vector<std::string> never = ListIds({"--never-used"});
  EXPECT_TRUE(Contains(never, forever_id));
  EXPECT_FALSE(Contains(never, expiring_id));

  // --expiring-within.
  std::vector<std::string> soon = ListIds({"--expiring-within", "2h"});
  EXPECT_EQ(soon, std::vector<std::string>{expiring_id});
  EXPECT_TRUE(ListIds({"--expiring-within", "30m"}).empty());

  // --sort and --desc: never-expiring tokens last, never-used ones first.
  std::vector<std::string> by_expiry = ListIds({"--sort", "expires"});
  ASSERT_EQ(by_expiry.size(), 3u);
  EXPECT_EQ(by_expiry.front(), expiring_id);
  std::vector<std::string> by_expiry_desc = ListIds({"--sort", "expires", "--desc"});
  EXPECT_EQ(by_expiry_desc.back(), expiring_id);
  std::vector<std::string> by_use = ListIds({"--sort", "last-used"});
  EXPECT_LT(IndexOf(by_use, forever_id), IndexOf(by_use, expiring_id));
  std::vector<std::string> by_creation = ListIds({"--sort", "created"});
  EXPECT_LT(IndexOf(by_creation, expiring_id), IndexOf(by_creation, forever_id));
  std::vector<std::string> by_creation_desc = ListIds({"--sort", "created", "--desc"});
  EXPECT_EQ(by_creation_desc.front(), forever_id);

  // Two hours later the token has expired: refused everywhere, listed as expired.
  ASSERT_NO_FATAL_FAILURE(SetClockOffset(2 * 3600));
  v1::AuthorizeResponse refused = ReadBucket(expiring_token);
  EXPECT_FALSE(refused.allowed());
  EXPECT_EQ(refused.reason(), v1::DENY_REASON_EXPIRED);
  EXPECT_EQ(refused.authorization_id(), expiring_id);
  EXPECT_TRUE(ReadBucket(Str(forever, "token")).allowed());
  ExpectError({"-t", expiring_token, "bucket", "list"}, "token expired");
  EXPECT_EQ(ListIds({"--status", "expired"}), std::vector<std::string>{expiring_id});
  std::vector<std::string> active = ListIds({"--status", "active"});
  EXPECT_TRUE(Contains(active, forever_id));
  EXPECT_FALSE(Contains(active, expiring_id));
  EXPECT_TRUE(ListIds({"--status", "inactive"}).empty());
  // An expired token cannot be rotated: extend it first.
  ExpectError({"auth", "rotate", "--id", expiring_id},
              "authorization has expired: extend its expires_at before rotating it");

  // update --expires-at (in authd's future: its clock is 2 h ahead) brings it back ...
  const absl::Time extended = absl::Now() + absl::Hours(3);
  Value updated = ParseJson(MustRun(
      {"auth", "update", "--id", expiring_id, "--expires-at", Rfc3339(extended), "--json"}));
  EXPECT_EQ(ParseTime(Str(updated, "expiresAt")), ToSecond(extended));
  EXPECT_TRUE(ReadBucket(expiring_token).allowed());
  EXPECT_TRUE(ListIds({"--status", "expired"}).empty());
  // ... and --never-expires clears the expiry; -d still renames.
  updated = ParseJson(MustRun(
      {"auth", "update", "--id", expiring_id, "--never-expires", "-d", "renamed", "--json"}));
  EXPECT_EQ(Str(updated, "expiresAt"), "");
  EXPECT_EQ(Str(updated, "description"), "renamed");
  EXPECT_EQ(Str(updated, "token"), "");
  EXPECT_TRUE(ReadBucket(expiring_token).allowed());
}

// rotate --grace 1h: a new token at once, the old one until the grace period ends (clock + 2 h);
// rotate without grace: the old one stops at once.
TEST_F(AuthctlLifecycleE2eTest, RotateWithGraceKeepsTheOldTokenUntilTheGraceEnds) {
  Value created = CreateReader("rotating");
  const std::string id = Str(created, "id");
  const std::string old_token = Str(created, "token");
  ASSERT_TRUE(ReadBucket(old_token).allowed());

  const absl::Time before = absl::Now();
  AuthctlResult rotated = Run({"auth", "rotate", "--id", id, "--grace", "1h"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  std::vector<std::string> lines = Lines(rotated.out);
  ASSERT_EQ(lines.size(), 2u) << rotated.out;
  EXPECT_EQ(absl::StrJoin(absl::StrSplit(lines[0], '\t', absl::SkipEmpty()), "|"),
            "ID|Description|Token|User Name|User ID|Expires|Last Used|Permissions|"
            "Previous Token Valid Until");
  // The new token is printed once, like create's.
  std::vector<std::string> printed = TokensIn(lines[1]);
  ASSERT_EQ(printed.size(), 1u) << lines[1];
  const std::string new_token = printed.front();
  EXPECT_NE(new_token, old_token);
  Value shown = Get(id);
  EXPECT_EQ(Str(shown, "token"), "") << "list showed the new token";
  const absl::Time valid_until = ParseTime(Str(shown, "previousTokenValidUntil"));
  EXPECT_GE(valid_until, before + absl::Hours(1) - absl::Seconds(1));
  EXPECT_LE(valid_until, absl::Now() + absl::Hours(1));
  EXPECT_FALSE(Str(shown, "rotatedAt").empty());
  ExpectAligned(lines[0], {"ID", "Description", "Token", "Previous Token Valid Until"}, lines[1],
                {id, "rotating", new_token, Rfc3339(valid_until)});

  // During the grace period both work; the ID, permissions and description are the same.
  v1::AuthorizeResponse with_new = ReadBucket(new_token);
  EXPECT_TRUE(with_new.allowed());
  EXPECT_EQ(with_new.authorization_id(), id);
  EXPECT_TRUE(ReadBucket(old_token).allowed());

  // Past the grace period only the new one works.
  ASSERT_NO_FATAL_FAILURE(SetClockOffset(2 * 3600));
  v1::AuthorizeResponse old_refused = ReadBucket(old_token);
  EXPECT_FALSE(old_refused.allowed());
  // EXPIRED until the expiry sweeper (1 s period) retires the old secret, UNKNOWN_TOKEN after.
  EXPECT_TRUE(old_refused.reason() == v1::DENY_REASON_EXPIRED ||
              old_refused.reason() == v1::DENY_REASON_UNKNOWN_TOKEN)
      << v1::DenyReason_Name(old_refused.reason());
  EXPECT_TRUE(ReadBucket(new_token).allowed());

  // Without --grace the previous token stops at once.
  Value again = ParseJson(MustRun({"auth", "rotate", "--id", id, "--json"}));
  const std::string newest = Str(again, "token");
  ASSERT_TRUE(absl::StartsWith(newest, "authd_"));
  EXPECT_EQ(Str(again, "previousTokenValidUntil"), "");
  EXPECT_FALSE(ReadBucket(new_token).allowed());
  EXPECT_TRUE(ReadBucket(newest).allowed());
  // The table says so too.
  AuthctlResult third = Run({"auth", "rotate", "--id", id});
  ASSERT_EQ(third.exit_code, 0) << third.err;
  std::vector<std::string> third_lines = Lines(third.out);
  ASSERT_EQ(third_lines.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(third_lines[1], "]\tnow")) << third_lines[1];
}

// An org's maximum token lifetime: the default lifetime of its new tokens, refused beyond it, and
// removed with 0.
TEST_F(AuthctlLifecycleE2eTest, OrgMaxTokenLifetimeBoundsAndDefaultsExpiry) {
  Value org = ParseJson(
      MustRun({"org", "update", "--id", org_id_, "--max-token-lifetime", "1d", "--json"}));
  EXPECT_EQ(Field(org, "maxTokenLifetimeSeconds").number_value(), 86400);
  EXPECT_EQ(Str(org, "name"), "acme");

  const absl::Time before = absl::Now();
  Value defaulted = CreateReader("defaulted");
  const absl::Time expires_at = ParseTime(Str(defaulted, "expiresAt"));
  EXPECT_GE(expires_at, before + absl::Hours(24) - absl::Seconds(1));
  EXPECT_LE(expires_at, absl::Now() + absl::Hours(24));

  AuthctlResult too_long =
      Run({"auth", "create", "--read-bucket", bucket_id_, "--expires-in", "2d"});
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_EQ(too_long.out, "");
  EXPECT_TRUE(absl::StartsWith(too_long.err, "Error: ")) << too_long.err;
  EXPECT_TRUE(absl::StrContains(too_long.err, "beyond the maximum token lifetime of 24h"))
      << too_long.err;
  AuthctlResult never = Run({"auth", "update", "--id", Str(defaulted, "id"), "--never-expires"});
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(never.err, "must expire")) << never.err;

  // -d alone keeps the limit; 0 removes it.
  org = ParseJson(MustRun({"org", "update", "--id", org_id_, "-d", "limited", "--json"}));
  EXPECT_EQ(Field(org, "maxTokenLifetimeSeconds").number_value(), 86400);
  EXPECT_EQ(Str(org, "description"), "limited");
  std::vector<std::string> table =
      Lines(MustRun({"org", "update", "--id", org_id_, "--max-token-lifetime", "0"}));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[1], org_id_ + "\tacme");
  EXPECT_EQ(Field(ParseJson(MustRun({"org", "list", "--json"})).list_value().values(0),
                  "maxTokenLifetimeSeconds")
                .number_value(),
            0);
  Value unlimited = CreateReader("two days", {"--expires-in", "2d"});
  EXPECT_FALSE(Str(unlimited, "expiresAt").empty());
  EXPECT_EQ(Str(CreateReader("no expiry"), "expiresAt"), "");
}

// Every mistake is one clear line and a non-zero exit, and changes nothing.
TEST_F(AuthctlLifecycleE2eTest, BadLifecycleInputFailsClearlyAndChangesNothing) {
  Value token = CreateReader("target");
  const std::string id = Str(token, "id");
  const size_t before = ListIds({}).size();
  const std::string positive = "want a positive duration such as 30d, 72h or 1w";
  const std::string rfc3339 = "want an RFC 3339 time such as 2026-12-31T23:59:59Z";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-in", "-5d"},
       "invalid --expires-in \"-5d\": " + positive},
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-in", "0"},
       "invalid --expires-in \"0\": " + positive},
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-in", ""},
       "--expires-in: must not be empty"},
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-in", "1y"},
       "invalid --expires-in \"1y\": " + positive},
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-in", "1h", "--expires-at",
        "2030-01-01T00:00:00Z"},
       "--expires-in and --expires-at are mutually exclusive: give one"},
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-at", "tomorrow"},
       "invalid --expires-at \"tomorrow\": " + rfc3339},
      {{"auth", "create", "--read-bucket", bucket_id_, "--expires-at", "2020-01-01T00:00:00Z"},
       "expires_at: must be in the future"},
      {{"auth", "rotate", "--id", "0000000000000001"}, "authorization not found"},
      {{"auth", "rotate", "--id", id, "--grace", "-1h"},
       "invalid --grace \"-1h\": want a duration such as 30d, 72h or 1w, or 0 for none (the old "
       "token stops at once)"},
      {{"auth", "rotate"}, "--id is required"},
      {{"auth", "update", "--id", id},
       "nothing to update: give --description, --expires-in, --expires-at or --never-expires"},
      {{"auth", "update", "--id", id, "--expires-in", "1d", "--never-expires"},
       "--expires-in and --never-expires are mutually exclusive: give one"},
      {{"auth", "update", "--id", "0000000000000001", "--expires-in", "1d"},
       "authorization not found"},
      {{"auth", "list", "--status", "stale"},
       "invalid --status \"stale\": want active, inactive or expired"},
      {{"auth", "list", "--sort", "name"},
       "invalid --sort \"name\": want id, created, expires or last-used"},
      {{"auth", "list", "--unused-since", "yesterday"},
       "invalid --unused-since \"yesterday\": want a duration such as 90d (that long ago) or an "
       "RFC 3339 time such as 2026-12-31T23:59:59Z"},
      {{"auth", "list", "--expiring-within", "0"}, "invalid --expiring-within \"0\": " + positive},
      {{"org", "update", "--id", org_id_},
       "nothing to update: give --description or --max-token-lifetime"},
      {{"org", "update", "--id", org_id_, "--max-token-lifetime", "-1d"},
       "invalid --max-token-lifetime \"-1d\": want a duration such as 30d, 72h or 1w, or 0 for "
       "no limit"},
  };
  for (const Case& c : cases) ExpectError(c.args, c.message);
  EXPECT_EQ(ListIds({}).size(), before);
  Value unchanged = Get(id);
  EXPECT_EQ(Str(unchanged, "expiresAt"), "");
  EXPECT_EQ(Str(unchanged, "rotatedAt"), "");
  EXPECT_TRUE(ReadBucket(Str(token, "token")).allowed());
}

}  // namespace
}  // namespace authd::cli_test
