// The Authorize decision in-process (Google Benchmark): everything authd does for one Authorize
// except gRPC, on an authz::TokenIndex holding N tokens of P permissions each:
//
//   authz::ClassifyToken (prefix + CRC32 checksum) -> authz::DigestToken (SHA-256)
//     -> TokenIndex::Authorize (shard reader lock, hash probe, constant-time digest compare,
//        active-user probe, InfluxDB permission match)
//
// Each call presents a token drawn from a pool of 65,536 tokens spread over the whole index (the
// digest is uniform, so probes land all over the table, as production probes do).
//   allowed: the requested permission matches the token's LAST permission (worst-case scan);
//   denied:  a known token, no permission matches (full scan);
//   unknown: a well-formed authd_ token that is not in the index.
// Permissions are `read orgs/<org>/buckets/<b_i>`, i = 0..P-1, as CreateAuthorization stores them.
//
// Counters: allocs_per_op counts every malloc/calloc/realloc of the process during the timed loop
// (this binary interposes them, so C libraries such as OpenSSL are counted too), new_per_op the
// C++ operator new calls among them; index_rss_bytes_per_token is the growth of the resident set
// (/proc/self/statm) while the index was built, divided by N; index_heap_bytes_per_token is the
// growth of glibc's in-use heap (mallinfo2) over the same build.
//
// BM_Step times each step alone (checksum, SHA-256, index probe + match) to show what dominates.
// BM_Digest compares authz::DigestToken with two other ways of computing the same digest, and
// BM_DecisionProposed re-runs the decision with the low-level one: the evidence for the changes
// proposed in docs/performance.md (since adopted; its second variant, absl's Mutex deadlock
// detection off, went when TokenIndex moved to authd::Mutex, which has none).
//
// BM_DecisionLatency times every call (steady_clock) into a histogram and reports p50/p99/p99.9;
// its numbers include one clock read (clock_overhead_ns). BM_AuthorizeOnce runs the services/
// adapter (proto request -> proto response, as the RPC handler does) to show what it adds.
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "authd/v1/authorize_service.pb.h"
#include "base/clock.h"
#include "authz/decision.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/session_table.h"
#include "authz/token.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "bench/histogram.h"
#include "bench/alloc_counter.h"
#include "benchmark/benchmark.h"
#include "services/authorize_service.h"
#include "services/service_deps.h"

// Allocations are counted by //bench:alloc_counter (MallocCount, NewCount).

namespace authd::bench {
namespace {

using authz::Action;
using authz::Id;
using authz::Permission;
using authz::ResourceType;

constexpr int kPool = 1 << 16;
constexpr Id kOrg = 0x0a0b0c0d0e0f1011;
constexpr Id kFirstBucket = 0x1000;
constexpr int kUsers = 1000;

enum Kind { kAllowed = 0, kDenied = 1, kUnknown = 2 };

int64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

int64_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

struct Fixture {
  int64_t tokens = 0;
  int permissions = 0;
  authz::TokenIndex index;
  std::vector<std::string> known;    // kPool tokens that are in the index
  std::vector<std::string> unknown;  // kPool well-formed tokens that are not
  Permission allowed_request;
  Permission denied_request;
  double rss_per_token = 0;
  double heap_per_token = 0;
};

// One fixture at a time (the 1M x 44 one holds ~1.3 GB): built on first use, rebuilt when the
// shape changes. Benchmarks are registered grouped by shape so each is built once.
Fixture& GetFixture(int64_t n, int p) {
  static Mutex mu;
  static std::unique_ptr<Fixture> current;
  MutexLock lock(&mu);
  if (current != nullptr && current->tokens == n && current->permissions == p) return *current;
  current.reset();
  malloc_trim(0);

  auto f = std::make_unique<Fixture>();
  f->tokens = n;
  f->permissions = p;
  std::vector<Permission> perms;
  for (int i = 0; i < p; ++i) {
    perms.push_back(authz::OrgIdPermission(Action::kRead, ResourceType::kBuckets, kOrg,
                                           kFirstBucket + static_cast<Id>(i)));
  }
  f->allowed_request = perms.back();
  f->denied_request =
      authz::OrgIdPermission(Action::kWrite, ResourceType::kBuckets, kOrg, kFirstBucket);
  const int64_t pool = std::min<int64_t>(n, kPool);
  for (int64_t i = 0; i < pool; ++i) f->known.push_back(authz::GenerateToken());
  for (int64_t i = 0; i < kPool; ++i) f->unknown.push_back(authz::GenerateToken());
  for (int u = 1; u <= kUsers; ++u) f->index.SetUserActive(static_cast<Id>(u), true);

  const int64_t rss0 = ResidentBytes();
  const int64_t heap0 = HeapInUse();
  for (int64_t i = 0; i < n; ++i) {
    const std::string generated = i < pool ? std::string() : authz::GenerateToken();
    const std::string& token = i < pool ? f->known[i] : generated;
    authz::TokenGrant grant;
    grant.authorization_id = static_cast<Id>(1000000 + i);
    grant.user_id = static_cast<Id>(1 + i % kUsers);
    grant.org_id = kOrg;
    grant.permissions = perms;
    f->index.Put(authz::DigestToken(token), std::move(grant));
  }
  f->rss_per_token = static_cast<double>(ResidentBytes() - rss0) / n;
  f->heap_per_token = static_cast<double>(HeapInUse() - heap0) / n;
  current = std::move(f);
  return *current;
}

void Counters(benchmark::State& state, const Fixture& f, uint64_t mallocs, uint64_t news) {
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(mallocs), benchmark::Counter::kAvgIterations);
  state.counters["new_per_op"] =
      benchmark::Counter(static_cast<double>(news), benchmark::Counter::kAvgIterations);
  state.counters["index_rss_bytes_per_token"] = f.rss_per_token;
  state.counters["index_heap_bytes_per_token"] = f.heap_per_token;
}

// The whole decision for one presented token, as services/authorize_service.cc makes it.
inline authz::Decision DecideOnce(const authz::TokenIndex& index, const std::string& token,
                                  const Permission& requested) {
  if (authz::ClassifyToken(token) == authz::TokenShape::kImpossible) {
    return authz::Decide(nullptr, false, requested, authd::CoarseNowNanos());
  }
  return index.Authorize(authz::DigestToken(token), requested, authd::CoarseNowNanos());
}

// SHA-256 through the low-level API on a stack context (deprecated in OpenSSL 3, still shipped).
authz::TokenDigest DigestLowLevel(const std::string& token) {
  authz::TokenDigest d;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, token.data(), token.size());
  SHA256_Final(d.data(), &ctx);
  return d;
}

// SHA-256 through EVP with the algorithm fetched once and one context per thread, reused.
authz::TokenDigest DigestEvpReused(const std::string& token) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local EVP_MD_CTX* const ctx = EVP_MD_CTX_new();
  authz::TokenDigest d;
  unsigned int len = 0;
  EVP_DigestInit_ex2(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, token.data(), token.size());
  EVP_DigestFinal_ex(ctx, d.data(), &len);
  return d;
}

// Args: tokens, permissions, kind.
void BM_Decision(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0), static_cast<int>(state.range(1)));
  const Kind kind = static_cast<Kind>(state.range(2));
  const std::vector<std::string>& pool = kind == kUnknown ? f.unknown : f.known;
  const Permission& requested = kind == kDenied ? f.denied_request : f.allowed_request;
  const bool want_allowed = kind == kAllowed;
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  uint64_t wrong = 0;
  const uint64_t mallocs0 = MallocCount();
  const uint64_t news0 = NewCount();
  for (auto _ : state) {
    authz::Decision d = DecideOnce(f.index, pool[i++ % pool.size()], requested);
    benchmark::DoNotOptimize(d);
    wrong += d.allowed != want_allowed;
  }
  const uint64_t mallocs = MallocCount() - mallocs0;
  const uint64_t news = NewCount() - news0;
  if (wrong != 0) state.SkipWithError("a decision differed from the expected one");
  // With several threads the process-wide counts are attributed to each thread's iterations.
  Counters(state, f, mallocs / state.threads(), news / state.threads());
}

// ---- Lifecycle (issue 14, docs/adr/0007): what expiry and last-used recording cost the decision,
// against the decision as it was before them, in the same process.
enum LifecycleMode {
  kBefore = 0,     // no usage marking, no clock reading: the pre-lifecycle decision
  kNoExpiry = 1,   // uses marked, one coarse clock reading per call; tokens without expiry
  kExpiring = 2,   // the same, every token expiring (in a day)
};

struct LifecycleFixture {
  authz::TokenIndex before{/*record_usage=*/false};
  authz::TokenIndex no_expiry;
  authz::TokenIndex expiring;
  std::vector<authz::TokenDigest> digests;  // kPool tokens in all three
  Permission requested;
};

LifecycleFixture& GetLifecycleFixture(int64_t n) {
  static Mutex mu;
  static std::unique_ptr<LifecycleFixture> current;
  static int64_t current_n = 0;
  MutexLock lock(&mu);
  if (current != nullptr && current_n == n) return *current;
  current.reset();
  malloc_trim(0);
  auto f = std::make_unique<LifecycleFixture>();
  f->requested = authz::OrgIdPermission(Action::kRead, ResourceType::kBuckets, kOrg, kFirstBucket);
  for (authz::TokenIndex* index : {&f->before, &f->no_expiry, &f->expiring}) {
    for (int u = 1; u <= kUsers; ++u) index->SetUserActive(static_cast<Id>(u), true);
  }
  const int64_t day_later = authd::CoarseNowNanos() + int64_t{86400} * 1000000000;
  for (int64_t i = 0; i < n; ++i) {
    const authz::TokenDigest digest = authz::DigestToken(authz::GenerateToken());
    if (i < kPool) f->digests.push_back(digest);
    authz::TokenGrant grant;
    grant.authorization_id = static_cast<Id>(1000000 + i);
    grant.user_id = static_cast<Id>(1 + i % kUsers);
    grant.org_id = kOrg;
    grant.permissions = {f->requested};
    f->before.Put(digest, grant);
    f->no_expiry.Put(digest, grant);
    grant.expires_at_ns = day_later;
    f->expiring.Put(digest, std::move(grant));
  }
  current = std::move(f);
  current_n = n;
  return *current;
}

// Args: tokens, mode. The index step (digests precomputed), allowed requests.
void BM_Lifecycle(benchmark::State& state) {
  LifecycleFixture& f = GetLifecycleFixture(state.range(0));
  const auto mode = static_cast<LifecycleMode>(state.range(1));
  const authz::TokenIndex& index =
      mode == kBefore ? f.before : mode == kNoExpiry ? f.no_expiry : f.expiring;
  const int64_t fixed_now = authd::CoarseNowNanos();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  uint64_t wrong = 0;
  const uint64_t mallocs0 = MallocCount();
  const uint64_t news0 = NewCount();
  for (auto _ : state) {
    const int64_t now = mode == kBefore ? fixed_now : authd::CoarseNowNanos();
    authz::Decision d = index.Authorize(f.digests[i++ % f.digests.size()], f.requested, now);
    benchmark::DoNotOptimize(d);
    wrong += !d.allowed;
  }
  if (wrong != 0) state.SkipWithError("a decision differed from the expected one");
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(MallocCount() - mallocs0 + NewCount() - news0) / state.threads(),
      benchmark::Counter::kAvgIterations);
}

// The clock reading alone.
void BM_CoarseClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(authd::CoarseNowNanos());
}

// Args: tokens, permissions, variant. The decision as proposed in docs/performance.md:
//   variant 0: DigestLowLevel in place of authz::DigestToken.
// (Variant 1, absl's Mutex deadlock detection off, measured nothing once TokenIndex's locks
// became authd::Mutex, and was removed.)
void BM_DecisionProposed(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0), static_cast<int>(state.range(1)));
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  uint64_t wrong = 0;
  const uint64_t mallocs0 = MallocCount();
  const uint64_t news0 = NewCount();
  for (auto _ : state) {
    const std::string& token = f.known[i++ % f.known.size()];
    authz::Decision d = authz::ClassifyToken(token) == authz::TokenShape::kImpossible
                            ? authz::Decide(nullptr, false, f.allowed_request, authd::CoarseNowNanos())
                            : f.index.Authorize(DigestLowLevel(token), f.allowed_request, authd::CoarseNowNanos());
    benchmark::DoNotOptimize(d);
    wrong += !d.allowed;
  }
  const uint64_t mallocs = MallocCount() - mallocs0;
  const uint64_t news = NewCount() - news0;
  if (wrong != 0) state.SkipWithError("a decision differed from the expected one");
  Counters(state, f, mallocs / state.threads(), news / state.threads());
}

enum Step { kChecksum = 0, kSha256 = 1, kIndex = 2 };

// Args: tokens, permissions, step. Allowed requests.
void BM_Step(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0), static_cast<int>(state.range(1)));
  const Step step = static_cast<Step>(state.range(2));
  std::vector<authz::TokenDigest> digests;
  for (const std::string& t : f.known) digests.push_back(authz::DigestToken(t));
  size_t i = 0;
  const uint64_t mallocs0 = MallocCount();
  const uint64_t news0 = NewCount();
  for (auto _ : state) {
    const size_t k = i++ % f.known.size();
    switch (step) {
      case kChecksum:
        benchmark::DoNotOptimize(authz::ClassifyToken(f.known[k]));
        break;
      case kSha256:
        benchmark::DoNotOptimize(authz::DigestToken(f.known[k]));
        break;
      case kIndex:
        benchmark::DoNotOptimize(f.index.Authorize(digests[k], f.allowed_request, authd::CoarseNowNanos()));
        break;
    }
  }
  Counters(state, f, MallocCount() - mallocs0, NewCount() - news0);
}

// Arg: 0 = authz::DigestToken (SHA256() one-shot), 1 = DigestLowLevel, 2 = DigestEvpReused.
void BM_Digest(benchmark::State& state) {
  std::vector<std::string> tokens;
  for (int k = 0; k < 1024; ++k) tokens.push_back(authz::GenerateToken());
  const int how = static_cast<int>(state.range(0));
  if (DigestLowLevel(tokens[0]) != authz::DigestToken(tokens[0]) ||
      DigestEvpReused(tokens[0]) != authz::DigestToken(tokens[0])) {
    state.SkipWithError("the digests differ");
  }
  size_t i = 0;
  const uint64_t mallocs0 = MallocCount();
  for (auto _ : state) {
    const std::string& t = tokens[i++ % tokens.size()];
    benchmark::DoNotOptimize(how == 0   ? authz::DigestToken(t)
                             : how == 1 ? DigestLowLevel(t)
                                        : DigestEvpReused(t));
  }
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(MallocCount() - mallocs0), benchmark::Counter::kAvgIterations);
}

// Args: tokens, permissions. Allowed requests, every call timed.
void BM_DecisionLatency(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0), static_cast<int>(state.range(1)));
  LatencyHistogram hist;
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    authz::Decision d = DecideOnce(f.index, f.known[i++ % f.known.size()], f.allowed_request);
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(d);
    hist.Record(static_cast<uint64_t>((t1 - t0).count()));
  }
  // What one timing adds: two clock reads around nothing.
  LatencyHistogram empty;
  for (int k = 0; k < 100000; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto t1 = std::chrono::steady_clock::now();
    empty.Record(static_cast<uint64_t>((t1 - t0).count()));
  }
  state.counters["p50_ns"] = static_cast<double>(hist.Percentile(0.5));
  state.counters["p90_ns"] = static_cast<double>(hist.Percentile(0.9));
  state.counters["p99_ns"] = static_cast<double>(hist.Percentile(0.99));
  state.counters["p999_ns"] = static_cast<double>(hist.Percentile(0.999));
  state.counters["clock_overhead_ns"] = static_cast<double>(empty.Percentile(0.5));
}

// Args: tokens, permissions. The RPC handler's work without gRPC: parse the proto request, decide,
// fill a fresh proto response (the callback server allocates one per call).
void BM_AuthorizeOnce(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0), static_cast<int>(state.range(1)));
  RealClock clock;
  authz::SessionTable sessions(&clock, absl::Hours(1));
  services::ServiceDeps deps;
  deps.index = &f.index;
  deps.sessions = &sessions;
  deps.clock = &clock;
  std::vector<authd::v1::AuthorizeRequest> requests(f.known.size());
  for (size_t k = 0; k < f.known.size(); ++k) {
    requests[k].set_token(f.known[k]);
    requests[k].set_action("read");
    requests[k].mutable_resource()->set_type("buckets");
    requests[k].mutable_resource()->set_org_id(authz::FormatId(kOrg));
    requests[k].mutable_resource()->set_id(authz::FormatId(f.allowed_request.resource.id));
  }
  size_t i = 0;
  uint64_t wrong = 0;
  const uint64_t mallocs0 = MallocCount();
  const uint64_t news0 = NewCount();
  for (auto _ : state) {
    authd::v1::AuthorizeResponse response;
    absl::Status s = services::AuthorizeOnce(deps, requests[i++ % requests.size()], &response);
    benchmark::DoNotOptimize(response);
    wrong += !s.ok() || !response.allowed();
  }
  const uint64_t mallocs = MallocCount() - mallocs0;
  const uint64_t news = NewCount() - news0;
  if (wrong != 0) state.SkipWithError("AuthorizeOnce did not allow a valid request");
  Counters(state, f, mallocs, news);
}

constexpr int64_t k1K = 1000;
constexpr int64_t k100K = 100000;
constexpr int64_t k1M = 1000000;

void DecisionArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"tokens", "perms", "kind"});
  for (int64_t n : {k1K, k100K}) {
    for (int p : {1, 10, 44}) b->Args({n, p, kAllowed});
  }
  // 1M: every shape allowed, plus the denied and unknown paths; P = 2 is the scale target's shape.
  b->Args({k1M, 1, kAllowed})->Args({k1M, 1, kDenied})->Args({k1M, 1, kUnknown});
  b->Args({k1M, 2, kAllowed});
  b->Args({k1M, 10, kAllowed});
  b->Args({k1M, 44, kAllowed})->Args({k1M, 44, kDenied})->Args({k1M, 44, kUnknown});
}

BENCHMARK(BM_Decision)->Apply(DecisionArgs)->Repetitions(3)->DisplayAggregatesOnly(true);
// Two threads on the 2-core box: reader locks and cache lines shared between cores.
BENCHMARK(BM_Decision)->ArgNames({"tokens", "perms", "kind"})->Args({k1M, 44, kAllowed})->Threads(2);
BENCHMARK(BM_DecisionLatency)->ArgNames({"tokens", "perms"})->Args({k1M, 44});
BENCHMARK(BM_DecisionProposed)->ArgNames({"tokens", "perms", "variant"})->Args({k1M, 44, 0});
BENCHMARK(BM_Step)->ArgNames({"tokens", "perms", "step"})->Args({k1M, 44, kChecksum})
    ->Args({k1M, 44, kSha256})->Args({k1M, 44, kIndex});
BENCHMARK(BM_DecisionLatency)->ArgNames({"tokens", "perms"})->Args({k1M, 1});
BENCHMARK(BM_DecisionProposed)->ArgNames({"tokens", "perms", "variant"})->Args({k1M, 1, 0});
BENCHMARK(BM_AuthorizeOnce)->ArgNames({"tokens", "perms"})->Args({k1M, 1});
BENCHMARK(BM_Digest)->ArgName("impl")->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_CoarseClock);
// The three modes on one fixture (built once); run with --benchmark_enable_random_interleaving
// so that their repetitions interleave and the ratio is like for like.
BENCHMARK(BM_Lifecycle)
    ->ArgNames({"tokens", "mode"})
    ->Args({k1M, kBefore})
    ->Args({k1M, kNoExpiry})
    ->Args({k1M, kExpiring})
    ->Repetitions(5)
    ->DisplayAggregatesOnly(true);

}  // namespace
}  // namespace authd::bench

BENCHMARK_MAIN();
