// authorizer_example: a sibling service's use of authd::client::Authorizer (client/authorizer.h).
// It connects to authd, waits for the cache to fill from WatchAuthorizations, then decides the
// same question --repeat times and prints each answer, where it came from, and the cache's
// staleness. Tokens come from the environment, not the command line (which `ps` shows):
//
//   AUTHD_WATCH_TOKEN=<operator or all-access token> AUTHD_TOKEN=<token to judge> \
//   bazel-bin/examples/authorizer_example --target=127.0.0.1:50051 \
//       --action=read --type=buckets --id=<bucket id> --org-id=<org id> --repeat=3
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authz/id.h"
#include "authz/resource_type.h"
#include "client/authorizer.h"

namespace {

const char* kReasons[] = {"allowed", "unknown token", "inactive token", "inactive user",
                          "no permission", "expired"};

int Usage(const char* why) {
  std::fprintf(stderr,
               "authorizer_example: %s\nusage: AUTHD_WATCH_TOKEN=... AUTHD_TOKEN=... "
               "authorizer_example --target=HOST:PORT --action=read|write --type=TYPE "
               "[--id=ID] [--org-id=ID] [--repeat=N]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:50051", action = "read", type, id, org_id;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto value = [&](absl::string_view flag, std::string* out) {
      if (!absl::StartsWith(a, flag)) return false;
      *out = std::string(a.substr(flag.size()));
      return true;
    };
    std::string n;
    if (value("--target=", &target) || value("--action=", &action) || value("--type=", &type) ||
        value("--id=", &id) || value("--org-id=", &org_id)) {
      continue;
    }
    if (value("--repeat=", &n) && absl::SimpleAtoi(n, &repeat) && repeat > 0) continue;
    return Usage(absl::StrCat("unknown or malformed argument ", a).c_str());
  }
  const char* watch_token = std::getenv("AUTHD_WATCH_TOKEN");
  const char* token = std::getenv("AUTHD_TOKEN");
  if (watch_token == nullptr || token == nullptr) return Usage("set AUTHD_WATCH_TOKEN and AUTHD_TOKEN");
  auto parsed_action = authd::authz::ParseAction(action);
  auto parsed_type = authd::authz::ParseResourceType(type);
  auto parsed_id = authd::authz::ParseOptionalId(id, "--id");
  auto parsed_org = authd::authz::ParseOptionalId(org_id, "--org-id");
  if (!parsed_action) return Usage("--action: read or write");
  if (!parsed_type) return Usage("--type: an authd resource type, e.g. buckets");
  if (!parsed_id.ok() || !parsed_org.ok()) return Usage("--id / --org-id: 16-digit hex IDs");
  const authd::authz::Permission requested{
      *parsed_action, authd::authz::Resource{*parsed_type, *parsed_id, *parsed_org}};

  authd::client::AuthorizerOptions options;
  options.target = target;
  options.watch_token = watch_token;
  auto authorizer = authd::client::Authorizer::Create(options);
  if (!authorizer.ok()) {
    std::fprintf(stderr, "authorizer_example: %s\n", authorizer.status().ToString().c_str());
    return 1;
  }
  if (!(*authorizer)->WaitFresh(absl::Seconds(10))) {
    std::fprintf(stderr, "authorizer_example: the cache did not fill within 10s (is authd at %s, "
                         "and may AUTHD_WATCH_TOKEN read tokens?)\n", target.c_str());
  }
  for (int i = 0; i < repeat; ++i) {
    absl::StatusOr<authd::client::Decision> d = (*authorizer)->Authorize(token, requested);
    if (!d.ok()) {
      std::printf("decision %d: error %s\n", i + 1, d.status().ToString().c_str());
      continue;
    }
    std::printf("decision %d: %s (%s), authorization %s, from %s\n", i + 1,
                d->allowed ? "ALLOWED" : "DENIED", kReasons[static_cast<int>(d->reason)],
                authd::authz::FormatId(d->authorization_id).c_str(),
                d->from_cache ? "the cache" : "an Authorize RPC");
  }
  const authd::client::AuthorizerStats s = (*authorizer)->stats();
  std::printf("cache: %zu tokens listed, %zu presented tokens known, position %llu, staleness %s; "
              "%llu decisions from the cache, %llu RPCs\n",
              s.cached_grants, s.cached_tokens, static_cast<unsigned long long>(s.position),
              absl::FormatDuration((*authorizer)->Staleness()).c_str(),
              static_cast<unsigned long long>(s.cache_hits),
              static_cast<unsigned long long>(s.rpcs));
  return 0;
}
