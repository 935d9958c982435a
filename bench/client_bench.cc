// client_bench: what authd::client::Authorizer (client/authorizer.h) costs a sibling, against a
// running authd seeded by bench/seed_tokens (its tokens file):
//   decision     ns per cached decision (SHA-256 of the token, a shared lock, authz::Decide), one
//                thread, over the file's allowed and denied requests after each was learned; with
//                SHA-256 alone and an Authorize RPC's median on the same requests for scale
//   propagation  from the start of an UpdateAuthorization (a description change) until the
//                client's stream delivers it, and from the write's acknowledgement until then:
//                p50 / p99 / max over --samples writes, one at a time
// Output: text, and with --json one JSON line starting with '{'. Only loopback targets.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "authz/id.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "bench/tokens_file.h"
#include "client/authorizer.h"

namespace authd::bench {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string target = "127.0.0.1:50051";
  std::string tokens_file;
  int64_t decisions = 2000000;
  int samples = 200;
  bool json = false;
};

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))]);
}

int Run(const Options& o) {
  if (o.target.rfind("127.0.0.1:", 0) != 0 && o.target.rfind("[::1]:", 0) != 0) {
    std::fprintf(stderr, "client_bench: only loopback targets\n");
    return 2;
  }
  absl::StatusOr<TokensFile> file = ReadTokensFile(o.tokens_file);
  if (!file.ok() || file->operator_token.empty()) {
    std::fprintf(stderr, "client_bench: --tokens-file: %s\n",
                 file.ok() ? "no operator line" : file.status().ToString().c_str());
    return 2;
  }
  struct Ask {
    std::string token;
    authz::Permission permission;
  };
  std::vector<Ask> asks;
  for (int kind : {0, 1}) {
    for (const BenchRequest& r : file->requests[kind]) {
      auto action = authz::ParseAction(r.action);
      auto type = authz::ParseResourceType(r.type);
      auto id = authz::ParseOptionalId(r.id, "id");
      auto org = authz::ParseOptionalId(r.org_id, "org_id");
      if (!action || !type || !id.ok() || !org.ok()) continue;
      asks.push_back({r.token, authz::Permission{*action, authz::Resource{*type, *id, *org}}});
      if (asks.size() >= 10000) break;
    }
  }
  if (asks.empty()) {
    std::fprintf(stderr, "client_bench: no allowed/denied requests in the tokens file\n");
    return 2;
  }

  // The propagation probe: the stream's thread stamps when the probe's description arrives.
  absl::Mutex probe_mu;
  std::string probe_id, probe_want;
  int64_t probe_seen_ns = 0;
  client::AuthorizerOptions options;
  options.target = o.target;
  options.watch_token = file->operator_token;
  options.on_change = [&](const authd::v1::WatchAuthorizationsResponse& m) {
    absl::MutexLock lock(&probe_mu);
    if (m.authorization().id() == probe_id && m.authorization().description() == probe_want) {
      probe_seen_ns = NowNs();
    }
  };
  auto authorizer = client::Authorizer::Create(options);
  if (!authorizer.ok() || !(*authorizer)->WaitFresh(absl::Seconds(60))) {
    std::fprintf(stderr, "client_bench: the cache did not fill\n");
    return 1;
  }
  client::Authorizer& a = **authorizer;

  // Learn every token (one RPC each), timing the RPCs for scale.
  std::vector<int64_t> rpc_ns;
  for (const Ask& ask : asks) {
    const int64_t t0 = NowNs();
    auto d = a.Authorize(ask.token, ask.permission);
    rpc_ns.push_back(NowNs() - t0);
    if (!d.ok()) {
      std::fprintf(stderr, "client_bench: %s\n", d.status().ToString().c_str());
      return 1;
    }
  }
  const uint64_t rpcs_before = a.stats().rpcs;
  // Cached decisions.
  uint64_t allowed = 0;
  const int64_t d0 = NowNs();
  for (int64_t i = 0; i < o.decisions; ++i) {
    const Ask& ask = asks[static_cast<size_t>(i) % asks.size()];
    auto d = a.Authorize(ask.token, ask.permission);
    allowed += d.ok() && d->allowed;
  }
  const double decision_ns = static_cast<double>(NowNs() - d0) / o.decisions;
  const uint64_t rpcs_during = a.stats().rpcs - rpcs_before;
  // SHA-256 alone, on the same tokens.
  uint64_t sink = 0;
  const int64_t h0 = NowNs();
  for (int64_t i = 0; i < o.decisions; ++i) {
    sink += authz::DigestToken(asks[static_cast<size_t>(i) % asks.size()].token)[0];
  }
  const double digest_ns = static_cast<double>(NowNs() - h0) / o.decisions;

  // Propagation: one write at a time.
  auto channel = grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials());
  auto auths = authd::v1::AuthorizationService::NewStub(channel);
  authd::v1::CreateAuthorizationRequest create;
  create.set_org_id(file->org_id);
  auto* perm = create.add_permissions();
  perm->set_action("read");
  perm->mutable_resource()->set_type("buckets");
  perm->mutable_resource()->set_org_id(file->org_id);
  authd::v1::Authorization probe;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Token " + file->operator_token);
    grpc::Status s = auths->CreateAuthorization(&ctx, create, &probe);
    if (!s.ok()) {
      std::fprintf(stderr, "client_bench: creating the probe token: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  std::vector<int64_t> from_start, from_ack, write_ns;
  for (int i = 0; i < o.samples; ++i) {
    const std::string want = absl::StrCat("probe ", i);
    {
      absl::MutexLock lock(&probe_mu);
      probe_id = probe.id();
      probe_want = want;
      probe_seen_ns = 0;
    }
    authd::v1::UpdateAuthorizationRequest update;
    update.set_id(probe.id());
    update.set_description(want);
    authd::v1::Authorization out;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Token " + file->operator_token);
    const int64_t t0 = NowNs();
    grpc::Status s = auths->UpdateAuthorization(&ctx, update, &out);
    const int64_t acked = NowNs();
    if (!s.ok()) {
      std::fprintf(stderr, "client_bench: update: %s\n", s.error_message().c_str());
      return 1;
    }
    absl::MutexLock lock(&probe_mu);
    probe_mu.AwaitWithTimeout(absl::Condition(+[](int64_t* seen) { return *seen != 0; }, &probe_seen_ns),
                              absl::Seconds(5));
    if (probe_seen_ns == 0) {
      std::fprintf(stderr, "client_bench: change %d not delivered within 5 s\n", i);
      return 1;
    }
    from_start.push_back(probe_seen_ns - t0);
    from_ack.push_back(probe_seen_ns - acked);
    write_ns.push_back(acked - t0);
  }

  const double rpc_p50 = Percentile(rpc_ns, 0.5);
  std::printf("cached decision: %.1f ns/op (%lld decisions over %zu tokens, %llu RPCs during, "
              "%.0f%% allowed); SHA-256 of the token alone %.1f ns; Authorize RPC p50 %.1f us "
              "(%.0fx the cached decision)\n",
              decision_ns, static_cast<long long>(o.decisions), asks.size(),
              static_cast<unsigned long long>(rpcs_during), 100.0 * allowed / o.decisions,
              digest_ns, rpc_p50 / 1000, rpc_p50 / decision_ns);
  std::printf("propagation (%d writes): write start -> client p50 %.2f ms p99 %.2f ms max %.2f ms; "
              "write ack -> client p50 %.2f ms p99 %.2f ms; the write itself p50 %.2f ms\n",
              o.samples, Percentile(from_start, 0.5) / 1e6, Percentile(from_start, 0.99) / 1e6,
              Percentile(from_start, 1.0) / 1e6, Percentile(from_ack, 0.5) / 1e6,
              Percentile(from_ack, 0.99) / 1e6, Percentile(write_ns, 0.5) / 1e6);
  if (o.json) {
    std::printf(
        "{\"decision_ns\":%.1f,\"digest_ns\":%.1f,\"rpc_p50_ns\":%.0f,\"rpcs_during\":%llu,"
        "\"propagation_p50_ms\":%.3f,\"propagation_p99_ms\":%.3f,\"propagation_max_ms\":%.3f,"
        "\"after_ack_p50_ms\":%.3f,\"after_ack_p99_ms\":%.3f,\"write_p50_ms\":%.3f,\"sink\":%llu}\n",
        decision_ns, digest_ns, rpc_p50, static_cast<unsigned long long>(rpcs_during),
        Percentile(from_start, 0.5) / 1e6, Percentile(from_start, 0.99) / 1e6,
        Percentile(from_start, 1.0) / 1e6, Percentile(from_ack, 0.5) / 1e6,
        Percentile(from_ack, 0.99) / 1e6, Percentile(write_ns, 0.5) / 1e6,
        static_cast<unsigned long long>(sink % 2));
  }
  return 0;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) {
  authd::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--target=")) {
      o.target = v;
    } else if (const char* v = value("--tokens-file=")) {
      o.tokens_file = v;
    } else if (const char* v = value("--decisions=")) {
      if (!absl::SimpleAtoi(v, &o.decisions) || o.decisions < 1) return 2;
    } else if (const char* v = value("--samples=")) {
      if (!absl::SimpleAtoi(v, &o.samples) || o.samples < 1) return 2;
    } else if (a == "--json") {
      o.json = true;
    } else {
      std::fprintf(stderr, "client_bench: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  return authd::bench::Run(o);
}
