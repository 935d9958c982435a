// seed_store: fills a data dir offline with --count tokens, for the scale numbers (authd start-up
// time and RSS with 1M tokens, replay of 1M events). Seeding a million tokens through gRPC with
// synced writes would take most of an hour, so this opens storage::TokenStore in-process with
// `sync_writes = false` and runs the same commands the services run: Setup, then one
// CreateAuthorization per token (one AuthorizationCreated event each) with --permissions
// permissions on the setup bucket (read, then write, then read/write on further bucket ids).
// The data dir must not be in use. Writes a sample tokens file (--tokens-out) for load runs.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/token.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "bench/flags.h"
#include "bench/tokens_file.h"
#include "storage/token_store.h"

namespace authd::bench {
namespace {

int Main(int argc, char** argv) {
  std::string data_dir;
  std::string tokens_out;
  int64_t count = 1000000;
  int permissions = 2;
  int sample = 1000;
  Flags flags;
  flags.Add("data-dir", &data_dir, "an empty (or absent) data dir to fill (required)");
  flags.Add("count", &count, "tokens to create");
  flags.Add("permissions", &permissions, "permissions per token (1..44)");
  flags.Add("tokens-out", &tokens_out, "write a sample tokens file here");
  flags.Add("sample", &sample, "tokens in the sample file");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "seed_store: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("seed_store", "Fill a data dir offline with many tokens.").c_str(), stdout);
    return 0;
  }
  if (data_dir.empty() || count < 1 || count > 20000000 || permissions < 1 || permissions > 44 ||
      sample < 0) {
    std::fprintf(stderr, "seed_store: need --data-dir; count 1..2e7; permissions 1..44\n");
    return 2;
  }

  RealClock clock;
  authz::TokenIndex index;
  storage::TokenStoreOptions options;
  options.data_dir = data_dir;
  options.sync_writes = false;
  const absl::Time opened = absl::Now();
  auto store = storage::TokenStore::Open(options, &clock, &index);
  if (!store.ok()) {
    std::fprintf(stderr, "seed_store: open: %s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  storage::SetupCommand setup;
  setup.username = "bench";
  setup.org = "bench-org";
  setup.bucket = "bench-bucket";
  setup.token = authz::GenerateToken();
  auto done = (*store)->Setup(setup);
  if (!done.ok()) {
    std::fprintf(stderr, "seed_store: setup: %s\n", std::string(done.status().message()).c_str());
    return 1;
  }
  const authz::Id org_id = done->org.id();
  const authz::Id bucket_id = done->bucket.id();
  const storage::Actor actor{done->authorization.id(), done->user.id()};

  storage::NewAuthorization request;
  request.org_id = org_id;
  request.user_id = done->user.id();
  request.description = "seed_store";
  for (int i = 0; i < permissions; ++i) {
    // read, write on the setup bucket; then other (made-up) buckets of the org.
    const authz::Id bucket = bucket_id + static_cast<authz::Id>(i / 2);
    request.permissions.push_back(authz::OrgIdPermission(
        i % 2 == 0 ? authz::Action::kRead : authz::Action::kWrite, authz::ResourceType::kBuckets,
        org_id, bucket));
  }

  TokensFile file;
  file.operator_token = setup.token;
  file.org_id = authz::FormatId(org_id);
  file.bucket_id = authz::FormatId(bucket_id);
  const int64_t every = sample > 0 ? std::max<int64_t>(1, count / sample) : 0;
  for (int64_t i = 0; i < count; ++i) {
    request.token = authz::GenerateToken();
    auto created = (*store)->CreateAuthorization(actor, request);
    if (!created.ok()) {
      std::fprintf(stderr, "seed_store: create #%lld: %s\n", static_cast<long long>(i),
                   std::string(created.status().message()).c_str());
      return 1;
    }
    if (every > 0 && i % every == 0 && file.requests[0].size() < static_cast<size_t>(sample)) {
      // Allowed: read on the setup bucket; denied: read on the org's authorizations (not held).
      file.requests[0].push_back(BenchRequest{RequestKind::kAllowed, request.token, "read",
                                              "buckets", file.org_id, file.bucket_id});
      file.requests[1].push_back(BenchRequest{RequestKind::kDenied, request.token, "read",
                                              "authorizations", file.org_id, ""});
      file.requests[2].push_back(BenchRequest{RequestKind::kUnknown, authz::GenerateToken(),
                                              "read", "buckets", file.org_id, file.bucket_id});
    }
    if ((i + 1) % 100000 == 0) {
      std::fprintf(stderr, "seed_store: %lld tokens, %.1f s\n", static_cast<long long>(i + 1),
                   absl::ToDoubleSeconds(absl::Now() - opened));
    }
  }
  if (absl::Status s = (*store)->Flush(); !s.ok()) {
    std::fprintf(stderr, "seed_store: flush: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const uint64_t events = (*store)->LastSequence();
  store->reset();
  if (!tokens_out.empty()) {
    if (absl::Status s = WriteTokensFile(tokens_out, file); !s.ok()) {
      std::fprintf(stderr, "seed_store: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  std::printf("seed_store: %lld tokens (%d permissions each), %llu events, in %.1f s -> %s\n",
              static_cast<long long>(count), permissions, static_cast<unsigned long long>(events),
              absl::ToDoubleSeconds(absl::Now() - opened), data_dir.c_str());
  return 0;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) { return authd::bench::Main(argc, argv); }
