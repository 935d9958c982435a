// write_seeds: writes the generated part of the fuzz seed corpora into CORPUS_ROOT/<target>/:
//   token/       real tokens and hashes (GenerateToken, HashToken) and near misses of each;
//   permission/  meaningful PermissionInputs (allowed and refused tokens, odd names), encoded;
//   event/       real event logs: a TokenStore session on RocksDB in a temp dir, read back with
//                ReadEvents and framed (event_frames.h), plus two deliberately corrupted logs.
// config/ is written by hand. Run it after a change to an input format, then commit the files:
//   tools/bazel.sh run //fuzz:write_seeds -- "$PWD/fuzz/corpus"
// The values are real, so a rerun changes every file (fresh ids, tokens and times).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "authz/permission.h"
#include "authz/token.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "fuzz/event_frames.h"
#include "fuzz/permission_input.h"
#include "storage/token_store.h"

namespace authd::fuzz {
namespace {

namespace fs = std::filesystem;
namespace pb = ::authd::storage::pb;
using authz::Action;
using authz::Permission;
using authz::ResourceType;

void Die(const std::string& what) {
  std::fprintf(stderr, "write_seeds: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

void Must(const absl::Status& status, const char* what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

void WriteSeed(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) Die("cannot write " + (dir / name).string());
}

void WriteTokenSeeds(const fs::path& dir) {
  std::string token = authz::GenerateToken();
  std::string typo = token;
  typo.back() = typo.back() == 'a' ? 'b' : 'a';
  std::string hash = authz::HashToken(token);
  WriteSeed(dir, "generated_token", token);
  WriteSeed(dir, "generated_token_with_typo", typo);
  WriteSeed(dir, "supplied_token", "ci-operator-token-2024-04");
  WriteSeed(dir, "token_hash", hash);
  WriteSeed(dir, "token_hash_of_unknown_variant",
            "$authd-hmac-sha256$" + hash.substr(hash.rfind('$') + 1));
}

void WritePermissionSeeds(const fs::path& dir) {
  const authz::Id bucket = 0x0000000000000d01;
  auto write = [&dir](const std::string& name, const PermissionInput& input) {
    std::string bytes = input.Encode();
    PermissionInput decoded = PermissionInput::Decode(
        reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!(decoded == input)) Die("PermissionInput does not round-trip for " + name);
    WriteSeed(dir, name, bytes);
  };
  write("org_buckets_read_write",
        {kOrgA,
         {authz::OrgPermission(Action::kRead, ResourceType::kBuckets, kOrgA),
          authz::OrgPermission(Action::kWrite, ResourceType::kBuckets, kOrgA)},
         1, "buckets", "my-bucket"});
  write("operator_like_global",
        {kOrgA,
         {authz::GlobalPermission(Action::kRead, ResourceType::kUsers),
          authz::GlobalPermission(Action::kWrite, ResourceType::kOrgs),
          authz::OrgPermission(Action::kWrite, ResourceType::kAuthorizations, kOrgA)},
         7, "read", "Team token\twith a tab in its description"});
  write("instance_refused",
        {kOrgA, {authz::GlobalPermission(Action::kWrite, ResourceType::kInstance)}, 22,
         "instance", "caf\xc3\xa9"});
  write("foreign_org_refused",
        {kOrgA, {authz::OrgIdPermission(Action::kRead, ResourceType::kBuckets, kOrgB, bucket)}, 3,
         "0000000000000c02", "red\x1b[31m"});
  write("no_org_and_bad_type_number",
        {0, {authz::IdPermission(Action::kRead, ResourceType::kBuckets, bucket)}, 23, "inactive",
         std::string(257, 'n')});
  write("id_only_and_emoji",
        {kOrgB,
         {authz::IdPermission(Action::kWrite, ResourceType::kBuckets, 0x123456789abcdef0),
          authz::GlobalPermission(Action::kRead, ResourceType::kDashboards)},
         18, "active", "emoji \xf0\x9f\x98\x80"});
}

std::string Frames(const std::vector<pb::Event>& events) {
  std::string out;
  for (const pb::Event& e : events) AppendFrame(e.SerializeAsString(), &out);
  return out;
}

std::vector<pb::Event> EventsOfBody(const std::vector<pb::Event>& events,
                                    std::vector<pb::Event::BodyCase> bodies) {
  std::vector<pb::Event> out;
  for (const pb::Event& e : events) {
    for (pb::Event::BodyCase b : bodies) {
      if (e.body_case() == b) out.push_back(e);
    }
  }
  return out;
}

// A session of every kind of change, the way the services drive the store.
std::vector<pb::Event> RunSession(const std::string& data_dir, const Clock& clock) {
  authz::TokenIndex index;
  storage::TokenStoreOptions options;
  options.data_dir = data_dir;
  auto store = Must(storage::TokenStore::Open(options, &clock, &index), "open");

  storage::SetupCommand setup;
  setup.username = "admin";
  setup.org = "default";
  setup.bucket = "metrics";
  setup.retention_period_seconds = 86400;
  setup.token = authz::GenerateToken();
  storage::SetupResult done = Must(store->Setup(setup), "setup");
  storage::Actor actor{done.authorization.id(), done.user.id()};

  pb::OrgRecord org = Must(store->CreateOrg(actor, "acme", "the acme org"), "create org");
  pb::UserRecord user = Must(store->CreateUser(actor, "writer", "", true), "create user");
  pb::BucketRecord bucket =
      Must(store->CreateBucket(actor, org.id(), "telegraf", "", 3600), "create bucket");
  storage::NewAuthorization request;
  request.org_id = org.id();
  request.user_id = user.id();
  request.description = "telegraf writer";
  request.permissions = {
      authz::OrgIdPermission(Action::kWrite, ResourceType::kBuckets, org.id(), bucket.id()),
      authz::OrgPermission(Action::kRead, ResourceType::kBuckets, org.id())};
  request.token = authz::GenerateToken();
  pb::AuthorizationRecord auth = Must(store->CreateAuthorization(actor, request), "create auth");

  Must(store->UpdateUser(actor, user.id(), "writer-2", false), "update user");
  Must(store->SetPassword(actor, user.id(), "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
       "set password");
  Must(store->UpdateAuthorization(actor, auth.id(), false, "paused"), "update auth");
  // Lifecycle events (format version 2): an expiry set, a use, a rotation with grace, an org limit.
  const int64_t now = absl::ToUnixNanos(clock.Now());
  Must(store->UpdateAuthorization(actor, auth.id(), std::nullopt, std::nullopt,
                                  now + int64_t{3600} * 1000000000),
       "set expiry");
  Must(store->RecordUsage({{auth.id(), now / 1000000000}}), "record use");
  Must(store->RotateAuthorization(actor, auth.id(), authz::GenerateToken(),
                                  int64_t{60} * 1000000000),
       "rotate auth");
  Must(store->UpdateOrg(actor, org.id(), std::nullopt, int64_t{86400} * 1000000000),
       "org token lifetime");
  Must(store->DeleteAuthorization(actor, auth.id()), "delete auth");
  Must(store->DeleteBucket(actor, bucket.id()), "delete bucket");
  Must(store->DeleteUser(actor, user.id()), "delete user");
  Must(store->DeleteOrg(actor, org.id()), "delete org");
  return Must(store->ReadEvents(1, 1000), "read events");
}

void WriteEventSeeds(const fs::path& dir) {
  char tmpl[] = "/tmp/authd-write-seeds-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  RealClock clock;
  std::vector<pb::Event> session = RunSession(std::string(tmpl) + "/data", clock);
  fs::remove_all(tmpl);

  WriteSeed(dir, "session.log", Frames(session));
  std::vector<pb::Event> setup;
  for (const pb::Event& e : session) {
    setup.push_back(e);
    if (e.body_case() == pb::Event::kSetupCompleted) break;
  }
  WriteSeed(dir, "setup.log", Frames(setup));
  WriteSeed(dir, "authorization_lifecycle.log",
            Frames(EventsOfBody(session, {pb::Event::kAuthorizationCreated,
                                          pb::Event::kAuthorizationUpdated,
                                          pb::Event::kAuthorizationDeleted})));
  WriteSeed(dir, "update_of_missing_user.log",
            Frames(EventsOfBody(session, {pb::Event::kUserUpdated})));

  std::vector<pb::Event> future = setup;
  future.back().set_format_version(storage::kEventFormatVersion + 1);
  WriteSeed(dir, "future_format_version.log", Frames(future));
  std::vector<pb::Event> corrupt = EventsOfBody(session, {pb::Event::kAuthorizationCreated});
  if (corrupt.empty()) Die("the session created no authorization");
  // Unpadded: the same digest, but not the canonical spelling the index key must be.
  std::string* hash = corrupt.front().mutable_authorization_created()->mutable_authorization()
                          ->mutable_token_hash();
  if (hash->empty() || hash->back() != '=') Die("the stored hash is not padded");
  hash->pop_back();
  WriteSeed(dir, "corrupt_token_hash.log", Frames(corrupt));
}

}  // namespace
}  // namespace authd::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_seeds CORPUS_ROOT\n");
    return 2;
  }
  std::filesystem::path root(argv[1]);
  authd::fuzz::WriteTokenSeeds(root / "token");
  authd::fuzz::WritePermissionSeeds(root / "permission");
  authd::fuzz::WriteEventSeeds(root / "event");
  std::printf("write_seeds: wrote token/, permission/ and event/ under %s\n", argv[1]);
  return 0;
}
