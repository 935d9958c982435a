// Envoy's Check against Authorize in process (Google Benchmark): the server-side work of one call
// without the gRPC transport, to separate what the messages cost from what the decision costs.
// The fixture is bench/run.sh's `sibling` store: a storage::TokenStore (RocksDB in a temp dir,
// unsynced) after Setup and 2,000 CreateAuthorization, each `read orgs/<org>/buckets/<bucket>`,
// feeding the in-memory index as in authd; the requests are load_gen's own
// (bench/ext_authz_requests.h for Check, the same tokens-file lines for Authorize), under
// load_gen's route table.
//
// Arg `kind`: 0 allowed, 1 denied (write on the bucket), 2 unknown token, 3 the 80:10:10 mix.
//
//   BM_Server/rpc/kind     parse the serialized request into a fresh message, run the handler
//                          (services::AuthorizeOnce / CheckOnce with DecideToken /
//                          BatchAuthorizeOnce) into a fresh response, serialize the response,
//                          destroy both: what gRPC's callback server does around the transport.
//                          rpc 0 Authorize, 1 Check, 2 BatchAuthorize of 100 (per call;
//                          items/s counts checks). rpc 3 is Check with its messages on a
//                          google::protobuf::Arena (what a gRPC MessageAllocator would give it);
//                          rpc 4 is Check whose request carries the `authorization` header only
//                          (what Envoy sends when its ext_authz `allowed_headers` lists only it);
//                          rpc 5 is Check with the point read of the bucket's own org that
//                          ExtAuthzServiceImpl::Check makes for a request by ID (since 4d47dad;
//                          this file's copy of services/ext_authz_service.cc's StoredOrgOf,
//                          buckets only).
//   BM_Parse/rpc/kind      ParseFromString into a fresh message (+ destroy) alone.
//   BM_Handler/rpc/kind    the handler alone, on a parsed request, fresh response.
//   BM_Serialize/rpc/kind  SerializeToString of a filled response alone.
//   BM_CheckStep/step      Check's own steps on a parsed request (mix):
//                          0 ReadCheckRequest (finds `authorization` among the headers),
//                          1 context_extensions lookup, 2 IsNormalPath, 3 route table Find,
//                          4 ResolveTarget, 5 DecideToken (shared with Authorize),
//                          6 CheckOnce with a constant decision (everything but the decision),
//                          7 TokenStore::GetBucket (the by-ID org lookup of rpc 5).
//
// Counters: allocs_per_op (every malloc of the process in the timed loop; this binary
// interposes the malloc family, as authorize_decision_bench does), request_bytes and
// response_bytes (serialized, mean over the requests the benchmark draws).
#include <malloc.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <new>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/arena.h>

#include "absl/status/status.h"
#include "authd/v1/authorize_service.pb.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/session_table.h"
#include "authz/token.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "bench/ext_authz_requests.h"
#include "bench/tokens_file.h"
#include "bench/alloc_counter.h"
#include "benchmark/benchmark.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "services/authorize_service.h"
#include "services/ext_authz_check.h"
#include "services/ext_authz_routes.h"
#include "services/service_deps.h"
#include "services/token_decision.h"
#include "storage/token_store.h"

// Allocations are counted by //bench:alloc_counter (MallocCount, NewCount).

namespace authd::bench {
namespace {

using authd::v1::AuthorizeRequest;
using authd::v1::AuthorizeResponse;
using authd::v1::BatchAuthorizeRequest;
using authd::v1::BatchAuthorizeResponse;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

constexpr int kTokens = 2000;
constexpr int kSequence = 4096;  // requests drawn per benchmark, cycled
constexpr int kBatchSize = 100;
constexpr int kMixKind = 3;
enum Rpc {
  kAuthorize = 0,
  kCheck = 1,
  kBatch = 2,
  kCheckArena = 3,
  kCheckOneHeader = 4,
  kCheckStoredOrg = 5,
};

struct Fixture {
  RealClock clock;
  authz::TokenIndex index;
  authz::SessionTable sessions{&clock, absl::Hours(1)};
  std::string data_dir;
  std::unique_ptr<storage::TokenStore> store;
  authz::Id bucket = 0;
  services::ServiceDeps deps;
  services::ExtAuthzOptions options;
  // Per kind: the tokens-file lines, as both requests, parsed and serialized.
  std::vector<AuthorizeRequest> authorize[kRequestKinds];
  std::vector<CheckRequest> check[kRequestKinds];
  std::vector<std::string> authorize_wire[kRequestKinds];
  std::vector<std::string> check_wire[kRequestKinds];
  std::vector<std::string> check_one_header_wire[kRequestKinds];
  std::vector<BatchAuthorizeRequest> batches;  // 64 batches of the mix
  std::vector<std::string> batch_wire;
};

void Fail(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "ext_authz_bench: %s: %s\n", what, std::string(s.message()).c_str());
  std::abort();
}

Fixture& GetFixture() {
  static Fixture* const f = [] {
    auto* f = new Fixture;
    char dir[] = "/tmp/authd-ext-authz-bench.XXXXXX";
    if (mkdtemp(dir) == nullptr) Fail("mkdtemp", absl::InternalError("failed"));
    f->data_dir = dir;
    static std::string* const removed_at_exit = new std::string(dir);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*removed_at_exit, ec);
    });
    storage::TokenStoreOptions store_options;
    store_options.data_dir = f->data_dir;
    store_options.sync_writes = false;
    auto store = storage::TokenStore::Open(store_options, &f->clock, &f->index);
    if (!store.ok()) Fail("open", store.status());
    f->store = *std::move(store);
    f->deps.store = f->store.get();
    f->deps.index = &f->index;
    f->deps.sessions = &f->sessions;
    f->deps.clock = &f->clock;
    auto routes = services::ExtAuthzRouteTable::Parse(ExtAuthzRoutesYaml(), "load_gen routes");
    if (!routes.ok()) Fail("routes", routes.status());
    f->options.routes = *std::move(routes);

    storage::SetupCommand setup;
    setup.username = "bench";
    setup.org = "bench-org";
    setup.bucket = "bench-bucket";
    setup.token = authz::GenerateToken();
    auto done = f->store->Setup(setup);
    if (!done.ok()) Fail("setup", done.status());
    const authz::Id org = done->org.id();
    f->bucket = done->bucket.id();
    const std::string org_id = authz::FormatId(org), bucket_id = authz::FormatId(f->bucket);
    storage::NewAuthorization create;
    create.org_id = org;
    create.user_id = done->user.id();
    create.description = "ext_authz_bench";
    create.permissions = {authz::OrgIdPermission(authz::Action::kRead,
                                                 authz::ResourceType::kBuckets, org, f->bucket)};
    const storage::Actor actor{done->authorization.id(), done->user.id()};

    uint64_t stream = 1;
    auto add = [&](RequestKind kind, const BenchRequest& line) {
      const int k = static_cast<int>(kind);
      AuthorizeRequest a;
      a.set_token(line.token);
      a.set_action(line.action);
      a.mutable_resource()->set_type(line.type);
      a.mutable_resource()->set_org_id(line.org_id);
      a.mutable_resource()->set_id(line.id);
      f->authorize_wire[k].push_back(a.SerializeAsString());
      f->authorize[k].push_back(std::move(a));
      CheckRequest c = *CheckRequestFor(line, stream++);
      f->check_wire[k].push_back(c.SerializeAsString());
      f->check_one_header_wire[k].push_back(
          CheckRequestFor(line, stream - 1, CheckHeaders::kAuthorizationOnly)->SerializeAsString());
      f->check[k].push_back(std::move(c));
    };
    for (int i = 0; i < kTokens; ++i) {
      create.token = authz::GenerateToken();
      auto created = f->store->CreateAuthorization(actor, create);
      if (!created.ok()) Fail("create", created.status());
      add(RequestKind::kAllowed,
          BenchRequest{RequestKind::kAllowed, create.token, "read", "buckets", org_id, bucket_id});
      add(RequestKind::kDenied,
          BenchRequest{RequestKind::kDenied, create.token, "write", "buckets", org_id, bucket_id});
      add(RequestKind::kUnknown, BenchRequest{RequestKind::kUnknown, authz::GenerateToken(), "read",
                                              "buckets", org_id, bucket_id});
    }
    std::mt19937_64 rng(7);
    for (int b = 0; b < 64; ++b) {
      BatchAuthorizeRequest batch;
      for (int i = 0; i < kBatchSize; ++i) {
        const uint64_t r = rng() % 100;
        const int kind = r < 80 ? 0 : r < 90 ? 1 : 2;
        *batch.add_checks() = f->authorize[kind][rng() % kTokens];
      }
      f->batch_wire.push_back(batch.SerializeAsString());
      f->batches.push_back(std::move(batch));
    }
    return f;
  }();
  return *f;
}

// The (kind, index) pairs a benchmark cycles through: one kind, or the 80:10:10 mix.
struct Pick {
  int kind;
  int index;
};
std::vector<Pick> Sequence(int kind) {
  std::mt19937_64 rng(11 + kind);
  std::vector<Pick> seq;
  for (int i = 0; i < kSequence; ++i) {
    int k = kind;
    if (kind == kMixKind) {
      const uint64_t r = rng() % 100;
      k = r < 80 ? 0 : r < 90 ? 1 : 2;
    }
    seq.push_back(Pick{k, static_cast<int>(rng() % kTokens)});
  }
  return seq;
}

absl::Status Check(const Fixture& f, const CheckRequest& request, CheckResponse* response) {
  const int64_t now = CoarseNowNanos();
  return services::CheckOnce(
      f.options, request,
      [&](absl::string_view token, const authz::Permission& p) {
        return services::DecideToken(f.deps, token, p, now);
      },
      response);
}

// Check as ExtAuthzServiceImpl::Check decides since 4d47dad, for buckets: a request by ID is
// judged against the bucket's own org, read from the store.
absl::Status CheckStoredOrg(const Fixture& f, const CheckRequest& request,
                            CheckResponse* response) {
  const int64_t now = CoarseNowNanos();
  return services::CheckOnce(
      f.options, request,
      [&](absl::string_view token, const authz::Permission& permission) {
        if (permission.resource.id == 0 ||
            permission.resource.type != authz::ResourceType::kBuckets) {
          return services::DecideToken(f.deps, token, permission, now);
        }
        authz::Permission p = permission;
        auto bucket = f.store->GetBucket(p.resource.id);
        p.resource.org_id = bucket.ok() ? bucket->org_id() : 0;
        return services::DecideToken(f.deps, token, p, now);
      },
      response);
}

void Finish(benchmark::State& state, uint64_t mallocs0, double request_bytes,
            double response_bytes, uint64_t errors) {
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(MallocCount() - mallocs0), benchmark::Counter::kAvgIterations);
  state.counters["request_bytes"] = request_bytes;
  state.counters["response_bytes"] = response_bytes;
  if (errors != 0) state.SkipWithError("a handler returned an error");
}

// Args: rpc, kind.
void BM_Server(benchmark::State& state) {
  Fixture& f = GetFixture();
  const int rpc = static_cast<int>(state.range(0));
  const std::vector<Pick> seq = Sequence(static_cast<int>(state.range(1)));
  size_t i = 0;
  uint64_t errors = 0;
  double request_bytes = 0, response_bytes = 0;
  std::string out;
  const uint64_t mallocs0 = MallocCount();
  for (auto _ : state) {
    const Pick p = seq[i++ % seq.size()];
    switch (rpc) {
      case kAuthorize: {
        const std::string& wire = f.authorize_wire[p.kind][p.index];
        auto request = std::make_unique<AuthorizeRequest>();
        auto response = std::make_unique<AuthorizeResponse>();
        errors += !request->ParseFromString(wire);
        errors += !services::AuthorizeOnce(f.deps, *request, response.get()).ok();
        out.clear();
        response->SerializeToString(&out);
        request_bytes += wire.size();
        break;
      }
      case kCheck:
      case kCheckOneHeader: {
        const std::string& wire = rpc == kCheck ? f.check_wire[p.kind][p.index]
                                                : f.check_one_header_wire[p.kind][p.index];
        auto request = std::make_unique<CheckRequest>();
        auto response = std::make_unique<CheckResponse>();
        errors += !request->ParseFromString(wire);
        errors += !Check(f, *request, response.get()).ok();
        out.clear();
        response->SerializeToString(&out);
        request_bytes += wire.size();
        break;
      }
      case kBatch: {
        const std::string& wire = f.batch_wire[p.index % f.batch_wire.size()];
        auto request = std::make_unique<BatchAuthorizeRequest>();
        auto response = std::make_unique<BatchAuthorizeResponse>();
        errors += !request->ParseFromString(wire);
        errors += !services::BatchAuthorizeOnce(f.deps, *request, response.get()).ok();
        out.clear();
        response->SerializeToString(&out);
        request_bytes += wire.size();
        break;
      }
      case kCheckStoredOrg: {
        const std::string& wire = f.check_wire[p.kind][p.index];
        auto request = std::make_unique<CheckRequest>();
        auto response = std::make_unique<CheckResponse>();
        errors += !request->ParseFromString(wire);
        errors += !CheckStoredOrg(f, *request, response.get()).ok();
        out.clear();
        response->SerializeToString(&out);
        request_bytes += wire.size();
        break;
      }
      case kCheckArena: {
        const std::string& wire = f.check_wire[p.kind][p.index];
        google::protobuf::Arena arena;
        auto* request = google::protobuf::Arena::CreateMessage<CheckRequest>(&arena);
        auto* response = google::protobuf::Arena::CreateMessage<CheckResponse>(&arena);
        errors += !request->ParseFromString(wire);
        errors += !Check(f, *request, response).ok();
        out.clear();
        response->SerializeToString(&out);
        request_bytes += wire.size();
        break;
      }
    }
    response_bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  const double n = static_cast<double>(state.iterations());
  Finish(state, mallocs0, request_bytes / n, response_bytes / n, errors);
  state.SetItemsProcessed(state.iterations() * (rpc == kBatch ? kBatchSize : 1));
}

// Args: rpc (0 Authorize, 1 Check), kind.
void BM_Parse(benchmark::State& state) {
  Fixture& f = GetFixture();
  const int rpc = static_cast<int>(state.range(0));
  const std::vector<Pick> seq = Sequence(static_cast<int>(state.range(1)));
  size_t i = 0;
  uint64_t errors = 0;
  double bytes = 0;
  const uint64_t mallocs0 = MallocCount();
  for (auto _ : state) {
    const Pick p = seq[i++ % seq.size()];
    if (rpc == kAuthorize) {
      const std::string& wire = f.authorize_wire[p.kind][p.index];
      auto request = std::make_unique<AuthorizeRequest>();
      errors += !request->ParseFromString(wire);
      bytes += wire.size();
      benchmark::DoNotOptimize(request);
    } else {
      const std::string& wire = f.check_wire[p.kind][p.index];
      auto request = std::make_unique<CheckRequest>();
      errors += !request->ParseFromString(wire);
      bytes += wire.size();
      benchmark::DoNotOptimize(request);
    }
  }
  Finish(state, mallocs0, bytes / static_cast<double>(state.iterations()), 0, errors);
}

// Args: rpc (0 Authorize, 1 Check), kind.
void BM_Handler(benchmark::State& state) {
  Fixture& f = GetFixture();
  const int rpc = static_cast<int>(state.range(0));
  const std::vector<Pick> seq = Sequence(static_cast<int>(state.range(1)));
  size_t i = 0;
  uint64_t errors = 0;
  const uint64_t mallocs0 = MallocCount();
  for (auto _ : state) {
    const Pick p = seq[i++ % seq.size()];
    if (rpc == kAuthorize) {
      AuthorizeResponse response;
      errors += !services::AuthorizeOnce(f.deps, f.authorize[p.kind][p.index], &response).ok();
      benchmark::DoNotOptimize(response);
    } else {
      CheckResponse response;
      errors += !Check(f, f.check[p.kind][p.index], &response).ok();
      benchmark::DoNotOptimize(response);
    }
  }
  Finish(state, mallocs0, 0, 0, errors);
}

// Args: rpc (0 Authorize, 1 Check), kind.
void BM_Serialize(benchmark::State& state) {
  Fixture& f = GetFixture();
  const int rpc = static_cast<int>(state.range(0));
  const std::vector<Pick> seq = Sequence(static_cast<int>(state.range(1)));
  // One filled response per (kind) drawn, made beforehand.
  std::vector<AuthorizeResponse> authorize(seq.size());
  std::vector<CheckResponse> check(seq.size());
  for (size_t k = 0; k < seq.size(); ++k) {
    if (rpc == kAuthorize) {
      (void)services::AuthorizeOnce(f.deps, f.authorize[seq[k].kind][seq[k].index], &authorize[k]);
    } else {
      (void)Check(f, f.check[seq[k].kind][seq[k].index], &check[k]);
    }
  }
  size_t i = 0;
  double bytes = 0;
  std::string out;
  const uint64_t mallocs0 = MallocCount();
  for (auto _ : state) {
    const size_t k = i++ % seq.size();
    out.clear();
    if (rpc == kAuthorize) {
      authorize[k].SerializeToString(&out);
    } else {
      check[k].SerializeToString(&out);
    }
    bytes += out.size();
    benchmark::DoNotOptimize(out);
  }
  Finish(state, mallocs0, 0, bytes / static_cast<double>(state.iterations()), 0);
}

enum Step {
  kRead = 0,
  kExtensions = 1,
  kNormalPath = 2,
  kFind = 3,
  kResolve = 4,
  kDecide = 5,
  kAllButDecision = 6,
  kGetBucket = 7,
};

// Arg: step. The mix.
void BM_CheckStep(benchmark::State& state) {
  Fixture& f = GetFixture();
  const Step step = static_cast<Step>(state.range(0));
  const std::vector<Pick> seq = Sequence(kMixKind);
  // The parts each step starts from, computed once.
  struct Parts {
    const CheckRequest* request;
    services::SplitPath split;
    std::string method;
    std::string token;
    const services::ExtAuthzRoute* route;
    services::PathCaptures captures;
    authz::Permission permission;
  };
  std::vector<Parts> parts(seq.size());
  for (size_t k = 0; k < seq.size(); ++k) {
    Parts& p = parts[k];
    p.request = &f.check[seq[k].kind][seq[k].index];
    auto in = services::ReadCheckRequest(*p.request);
    p.split = services::SplitPathAndQuery(in->path);
    p.method = std::string(in->method);
    p.token = std::string(*services::TokenFromAuthorization(*in->authorization));
    p.route = f.options.routes.Find(p.method, p.split.path, &p.captures);
    p.permission = *services::ResolveTarget(p.route->target, p.captures, p.split.query);
  }
  authz::Decision constant;
  constant.allowed = true;
  constant.reason = authz::DenyReason::kNone;
  constant.authorization_id = constant.user_id = constant.org_id = 0x100000;
  size_t i = 0;
  uint64_t errors = 0;
  const uint64_t mallocs0 = MallocCount();
  for (auto _ : state) {
    Parts& p = parts[i++ % parts.size()];
    switch (step) {
      case kRead:
        benchmark::DoNotOptimize(services::ReadCheckRequest(*p.request));
        break;
      case kExtensions: {
        const auto& ext = p.request->attributes().context_extensions();
        auto route = services::RouteFromContextExtensions(
            [&](absl::string_view key) -> std::optional<absl::string_view> {
              auto it = ext.find(std::string(key));
              if (it == ext.end()) return std::nullopt;
              return absl::string_view(it->second);
            });
        benchmark::DoNotOptimize(route);
        break;
      }
      case kNormalPath:
        benchmark::DoNotOptimize(services::IsNormalPath(p.split.path));
        break;
      case kFind: {
        services::PathCaptures captures;
        benchmark::DoNotOptimize(f.options.routes.Find(p.method, p.split.path, &captures));
        break;
      }
      case kResolve:
        benchmark::DoNotOptimize(services::ResolveTarget(p.route->target, p.captures, p.split.query));
        break;
      case kDecide:
        benchmark::DoNotOptimize(
            services::DecideToken(f.deps, p.token, p.permission, CoarseNowNanos()));
        break;
      case kAllButDecision: {
        CheckResponse response;
        errors += !services::CheckOnce(
                       f.options, *p.request,
                       [&](absl::string_view, const authz::Permission&) { return constant; },
                       &response)
                       .ok();
        benchmark::DoNotOptimize(response);
        break;
      }
      case kGetBucket: {
        auto bucket = f.store->GetBucket(f.bucket);
        errors += !bucket.ok();
        benchmark::DoNotOptimize(bucket);
        break;
      }
    }
  }
  Finish(state, mallocs0, 0, 0, errors);
}

void ServerArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rpc", "kind"});
  for (int kind = 0; kind <= kMixKind; ++kind) {
    for (int rpc : {kAuthorize, kCheck, kCheckStoredOrg, kCheckArena, kCheckOneHeader}) {
      b->Args({rpc, kind});
    }
  }
  b->Args({kBatch, kMixKind});
}

void PairArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rpc", "kind"});
  for (int kind = 0; kind <= kMixKind; ++kind) {
    for (int rpc : {kAuthorize, kCheck}) b->Args({rpc, kind});
  }
}

BENCHMARK(BM_Server)->Apply(ServerArgs);
BENCHMARK(BM_Parse)->Apply(PairArgs);
BENCHMARK(BM_Handler)->Apply(PairArgs);
BENCHMARK(BM_Serialize)->Apply(PairArgs);
BENCHMARK(BM_CheckStep)->ArgName("step")->DenseRange(kRead, kGetBucket);

}  // namespace
}  // namespace authd::bench

BENCHMARK_MAIN();
