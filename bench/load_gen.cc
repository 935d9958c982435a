// load_gen: a gRPC load generator for authd, on gRPC's C++ callback client API.
//
// Each of --concurrency slots keeps one RPC in flight. Closed loop (default): a slot sends its next
// request as soon as the previous one answers. Paced (--rate=R, total requests/s): requests are
// scheduled every 1/R s and sent by a free slot of one of --pacers threads; latency is measured from
// the *scheduled* time, so a stalled server shows up in the tail (no coordinated omission), and a
// client that cannot keep the schedule shows up as `late` requests (its pacer thread ran > 1 ms
// after their time: then the run measured the client, and bench/summarize.py says so). Requests are pre-built from the
// tokens file (bench/tokens_file.h) and drawn per --mix=allowed:denied:unknown percentages.
// Samples of the warm-up are discarded. Latencies go to a log-linear histogram (bench/histogram.h).
//
// --baseline=ADDR runs the same load against a second server (the null server, bench/null_server.h)
// right before the target, and prints target/baseline ratios. --rounds=N repeats both runs N times,
// alternating which goes first, and pools the samples (this 2-core box is shared: a change in
// background load during one long run would otherwise land on one server only). --rpc=create drives
// AuthorizationService.CreateAuthorization with the tokens file's operator token instead (the write
// path). Output: text, and with --json one JSON object on one line starting with '{'.
//
// The decision RPCs, all drawn from the same tokens file and --mix:
//   --rpc=authorize  AuthorizeService.Authorize; --verify: `allowed` matches the line's kind.
//   --rpc=check      Envoy's envoy.service.auth.v3.Authorization/Check, as the ext_authz filter
//                    sends it (bench/ext_authz_requests.h: addresses, HTTP attributes, 8 headers,
//                    `authorization: Token <t>`); the server needs the route table
//                    `--print-ext-authz-routes` prints, under which each path asks for the line's
//                    permission. --verify: allowed -> ok_response, denied -> denied_response 403,
//                    unknown -> denied_response 401. --check-headers=authorization sends that
//                    header only (Envoy's ext_authz `allowed_headers` listing just it).
//   --rpc=batch      AuthorizeService.BatchAuthorize with --batch-size checks (default 100) drawn
//                    per --mix into 64 pre-built batches; reported as calls/s and checks/s.
//                    --verify: every result's `allowed`, and no `errors` (counted per check).
// --baseline-rpc=RPC makes the baseline run RPC against the same target (or --baseline, if
// given): Check against Authorize on one server, rounds alternating. Ratios are target/baseline;
// `checks` ratios count each batch call as its --batch-size checks.
//
// Only loopback targets are accepted unless --allow-remote.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"  // SetMutexDeadlockDetectionMode, for gRPC's mutexes
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authz/token.h"
#include "base/mutex.h"
#include "bench/ext_authz_requests.h"
#include "bench/flags.h"
#include "bench/histogram.h"
#include "bench/tokens_file.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"

namespace authd::bench {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "0" : one;
}

struct Options {
  std::string target;
  std::string target_name = "authd";
  std::string baseline;
  std::string baseline_name = "null";
  std::string rpc = "authorize";
  std::string baseline_rpc;  // empty: as `rpc`
  int batch_size = 0;        // 0: 100 when a run is --rpc=batch
  std::string check_headers = "all";
  bool print_routes = false;
  int concurrency = 8;
  int channels = 0;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  std::string mix = "80:10:10";
  std::string tokens_file;
  double rate = 0;
  bool json = false;
  bool verify = true;
  bool allow_remote = false;
  absl::Duration rpc_timeout = absl::Seconds(5);
  int rounds = 1;
  int pacers = 2;
};

constexpr const char* kKindNames[kRequestKinds] = {"allowed", "denied", "unknown"};
// Distinct pre-built BatchAuthorize requests.
constexpr int kBatchPool = 64;

bool IsDecisionRpc(const std::string& rpc) {
  return rpc == "authorize" || rpc == "check" || rpc == "batch";
}

// One pre-built BatchAuthorize call and the answer each of its checks should get.
struct Batch {
  authd::v1::BatchAuthorizeRequest request;
  std::vector<bool> expect_allowed;
};

// Everything a run sends, built once before the clock starts.
struct Workload {
  std::vector<authd::v1::AuthorizeRequest> authorize[kRequestKinds];
  std::vector<envoy::service::auth::v3::CheckRequest> check[kRequestKinds];
  std::vector<Batch> batches;
  int mix_weights[kRequestKinds] = {0, 0, 0};
  int mix_total = 0;
  authd::v1::CreateAuthorizationRequest create;
  std::string operator_metadata;
};

struct RunResult {
  std::string name;
  std::string target;
  std::string rpc;
  int checks_per_call = 1;  // --batch-size for batch calls
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t unexpected = 0;
  uint64_t late = 0;
  std::string first_error;
  double seconds = 0;
  LatencyHistogram hist;

  double qps() const { return seconds > 0 ? static_cast<double>(hist.count()) / seconds : 0; }
  double checks_per_s() const { return qps() * checks_per_call; }
};

bool IsLoopback(const std::string& target) {
  std::string host = target.substr(0, target.rfind(':'));
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

absl::Status ParseMix(const std::string& mix, Workload* w) {
  std::vector<std::string> parts = absl::StrSplit(mix, ':');
  if (parts.size() != kRequestKinds) {
    return absl::InvalidArgumentError("--mix: want allowed:denied:unknown, e.g. 80:10:10");
  }
  w->mix_total = 0;
  for (int k = 0; k < kRequestKinds; ++k) {
    if (!absl::SimpleAtoi(parts[k], &w->mix_weights[k]) || w->mix_weights[k] < 0) {
      return absl::InvalidArgumentError("--mix: percentages must be non-negative integers");
    }
    w->mix_total += w->mix_weights[k];
  }
  if (w->mix_total <= 0) return absl::InvalidArgumentError("--mix: all zero");
  return absl::OkStatus();
}

// A request kind drawn per the mix from the random number `r`.
int PickKind(const Workload& w, uint64_t r) {
  int pick = static_cast<int>(r % static_cast<uint64_t>(w.mix_total));
  int kind = 0;
  while (pick >= w.mix_weights[kind]) pick -= w.mix_weights[kind++];
  return kind;
}

absl::StatusOr<Workload> BuildWorkload(const Options& o) {
  Workload w;
  if (absl::Status s = ParseMix(o.mix, &w); !s.ok()) return s;
  TokensFile file;
  if (!o.tokens_file.empty()) {
    auto read = ReadTokensFile(o.tokens_file);
    if (!read.ok()) return read.status();
    file = std::move(*read);
  } else {
    // No file: well-formed tokens that no server holds, so the run is all "unknown" (enough for
    // the null server and for smoke tests).
    for (int i = 0; i < 64; ++i) {
      file.requests[static_cast<int>(RequestKind::kUnknown)].push_back(BenchRequest{
          RequestKind::kUnknown, authz::GenerateToken(), "read", "buckets", "", ""});
    }
    if (o.mix != "0:0:100" && IsDecisionRpc(o.rpc)) {
      std::fprintf(stderr, "load_gen: no --tokens-file: sending unknown tokens only (--mix ignored)\n");
    }
    w.mix_weights[0] = w.mix_weights[1] = 0;
    w.mix_weights[2] = w.mix_total = 100;
  }
  const auto uses = [&o](const char* rpc) { return o.rpc == rpc || o.baseline_rpc == rpc; };
  uint64_t stream_id = 1;
  for (int k = 0; k < kRequestKinds; ++k) {
    for (const BenchRequest& r : file.requests[k]) {
      authd::v1::AuthorizeRequest req;
      req.set_token(r.token);
      req.set_action(r.action);
      req.mutable_resource()->set_type(r.type);
      req.mutable_resource()->set_org_id(r.org_id);
      req.mutable_resource()->set_id(r.id);
      w.authorize[k].push_back(std::move(req));
      if (uses("check")) {
        auto check = CheckRequestFor(r, stream_id++,
                                     o.check_headers == "authorization"
                                         ? CheckHeaders::kAuthorizationOnly
                                         : CheckHeaders::kAll);
        if (!check.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("--rpc=check: a ", kKindNames[k],
                                                         " line: ", check.status().message()));
        }
        w.check[k].push_back(*std::move(check));
      }
    }
    if (IsDecisionRpc(o.rpc) && w.mix_weights[k] > 0 && w.authorize[k].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix asks for ", kKindNames[k], " requests but the tokens file has none"));
    }
  }
  if (uses("batch")) {
    // Drawn like the single calls' requests, from a fixed seed: every run sends the same batches.
    std::mt19937_64 rng(0x2545f4914f6cdd1dULL);
    w.batches.resize(kBatchPool);
    for (Batch& b : w.batches) {
      b.request.mutable_checks()->Reserve(o.batch_size);
      for (int i = 0; i < o.batch_size; ++i) {
        const int kind = PickKind(w, rng());
        const auto& pool = w.authorize[kind];
        *b.request.add_checks() = pool[rng() % pool.size()];
        b.expect_allowed.push_back(kind == static_cast<int>(RequestKind::kAllowed));
      }
    }
  }
  if (o.rpc == "create") {
    if (file.operator_token.empty()) {
      return absl::InvalidArgumentError("--rpc=create needs a tokens file with an operator line");
    }
    w.create.set_org_id(file.org_id);
    w.create.set_description("load_gen");
    authd::v1::Permission* p = w.create.add_permissions();
    p->set_action("read");
    p->mutable_resource()->set_type("buckets");
    p->mutable_resource()->set_org_id(file.org_id);
    p->mutable_resource()->set_id(file.bucket_id);
    w.operator_metadata = absl::StrCat("Token ", file.operator_token);
  }
  return w;
}

// One load run against one server.
class Runner {
 public:
  Runner(const Options& o, const Workload& w, std::string name, std::string target)
      : o_(o), w_(w) {
    result_.name = std::move(name);
    result_.target = std::move(target);
    result_.rpc = o.rpc;
    result_.checks_per_call = o.rpc == "batch" ? o.batch_size : 1;
  }

  absl::StatusOr<RunResult> Run() {
    const int channels = o_.channels > 0 ? o_.channels : std::min(o_.concurrency, 4);
    for (int i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      // A subchannel pool per channel, and a distinct arg, so every channel is its own connection.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("authd.bench.channel", i);
      auto ch = grpc::CreateCustomChannel(result_.target, grpc::InsecureChannelCredentials(), args);
      if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
        return absl::UnavailableError(absl::StrCat("cannot connect to ", result_.target));
      }
      authorize_stubs_.push_back(authd::v1::AuthorizeService::NewStub(ch));
      create_stubs_.push_back(authd::v1::AuthorizationService::NewStub(ch));
      check_stubs_.push_back(envoy::service::auth::v3::Authorization::NewStub(ch));
      channels_.push_back(std::move(ch));
    }
    slots_.resize(o_.concurrency);
    for (int i = 0; i < o_.concurrency; ++i) {
      slots_[i] = std::make_unique<Slot>();
      slots_[i]->runner = this;
      slots_[i]->channel = i % channels;
      slots_[i]->rng.seed(0x9e3779b97f4a7c15ULL * (i + 1));
    }
    start_ns_ = NowNs();
    measure_ns_ = start_ns_ + absl::ToInt64Nanoseconds(o_.warmup);
    stop_ns_ = measure_ns_ + absl::ToInt64Nanoseconds(o_.duration);
    {
      MutexLock lock(&mu_);
      active_ = o_.concurrency;
    }

    if (o_.rate > 0) {
      const int pacers = std::min(o_.pacers, o_.concurrency);
      pacers_.clear();
      for (int p = 0; p < pacers; ++p) pacers_.push_back(std::make_unique<Pacer>());
      for (int i = 0; i < o_.concurrency; ++i) {
        slots_[i]->pacer = i % pacers;
        MutexLock lock(&pacers_[i % pacers]->mu);
        pacers_[i % pacers]->free.push_back(slots_[i].get());
      }
      std::vector<std::thread> threads;
      for (int p = 0; p < pacers; ++p) threads.emplace_back([this, p, pacers] { Pace(p, pacers); });
      for (std::thread& t : threads) t.join();
      for (auto& p : pacers_) result_.late += p->late;
    } else {
      for (auto& s : slots_) Issue(s.get(), NowNs());
    }
    // Every RPC has a deadline, so the slots drain within rpc_timeout of the stop; after that,
    // cancel what is left (no slot starts an RPC after the stop) and give it a little longer.
    {
      MutexLock lock(&mu_);
      const absl::Time stop = absl::Now() + absl::Nanoseconds(stop_ns_ - NowNs());
      if (!AwaitDrainedLocked(stop + o_.rpc_timeout + absl::Seconds(2))) {
        for (auto& s : slots_) {
          if (s->ctx != nullptr) s->ctx->TryCancel();
        }
        if (!AwaitDrainedLocked(absl::Now() + absl::Seconds(5))) {
          return absl::DeadlineExceededError("RPCs did not drain after the run");
        }
      }
    }
    result_.seconds = static_cast<double>(stop_ns_ - measure_ns_) / 1e9;
    for (auto& s : slots_) {
      result_.hist.Merge(s->hist);
      result_.ok += s->ok;
      result_.errors += s->errors;
      result_.unexpected += s->unexpected;
      if (result_.first_error.empty()) result_.first_error = s->first_error;
    }
    return std::move(result_);
  }

 private:
  struct Slot {
    Runner* runner = nullptr;
    int channel = 0;
    int pacer = 0;
    std::mt19937_64 rng;
    std::unique_ptr<grpc::ClientContext> ctx;
    authd::v1::AuthorizeResponse authorize_response;
    authd::v1::Authorization create_response;
    envoy::service::auth::v3::CheckResponse check_response;
    authd::v1::BatchAuthorizeResponse batch_response;
    int expect_kind = 0;           // authorize, check: the RequestKind sent
    const Batch* batch = nullptr;  // batch: the call sent
    int64_t intended_ns = 0;
    // Touched only by the slot's own (single) in-flight RPC; read after the drain.
    LatencyHistogram hist;
    uint64_t ok = 0;
    uint64_t errors = 0;
    uint64_t unexpected = 0;
    std::string first_error;
  };

  // Paced mode: `pacers` threads share the schedule (pacer p sends requests p, p + pacers, ...)
  // and each hands its requests to its own slots, so no lock is shared between pacers.
  void Pace(int p, int pacers) {
    Pacer& pacer = *pacers_[p];
    const double interval_ns = 1e9 / o_.rate;
    for (uint64_t k = p;; k += pacers) {
      const int64_t intended = start_ns_ + static_cast<int64_t>(k * interval_ns);
      if (intended >= stop_ns_) break;
      const int64_t now = NowNs();
      if (intended > now) std::this_thread::sleep_for(std::chrono::nanoseconds(intended - now));
      // Late = this thread got the CPU more than 1 ms after the request's time: the client fell
      // behind. (Waiting below for a free slot is the server's doing and counts as its latency.)
      if (NowNs() - intended > 1000000 && intended >= measure_ns_) ++pacer.late;
      Slot* slot = nullptr;
      {
        MutexLock lock(&pacer.mu);
        const int64_t left = stop_ns_ - NowNs();
        if (left <= 0) break;
        const absl::Time give_up = absl::Now() + absl::Nanoseconds(left);
        bool timed_out = false;
        while (pacer.free.empty() && !timed_out) {
          timed_out = pacer.has_free.WaitWithDeadline(&pacer.mu, give_up);
        }
        if (pacer.free.empty()) break;
        slot = pacer.free.back();
        pacer.free.pop_back();
      }
      Issue(slot, intended);
    }
    // Slots still free never run again: retire them.
    int retired = 0;
    {
      MutexLock lock(&pacer.mu);
      retired = static_cast<int>(pacer.free.size());
      pacer.free.clear();
      pacer.done = true;
    }
    MutexLock lock(&mu_);
    active_ -= retired;
    if (active_ == 0) drained_.Signal();
  }

  // Waits until every slot has retired (active_ == 0) or `deadline`; returns whether they had.
  bool AwaitDrainedLocked(absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    bool timed_out = false;
    while (active_ != 0 && !timed_out) timed_out = drained_.WaitWithDeadline(&mu_, deadline);
    return active_ == 0;
  }

  void Issue(Slot* s, int64_t intended_ns) {
    s->intended_ns = intended_ns;
    s->ctx = std::make_unique<grpc::ClientContext>();
    s->ctx->set_deadline(std::chrono::system_clock::now() +
                         std::chrono::nanoseconds(absl::ToInt64Nanoseconds(o_.rpc_timeout)));
    if (o_.rpc == "create") {
      s->ctx->AddMetadata("authorization", w_.operator_metadata);
      create_stubs_[s->channel]->async()->CreateAuthorization(
          s->ctx.get(), &w_.create, &s->create_response,
          [s](grpc::Status status) { s->runner->OnDone(s, status); });
      return;
    }
    if (o_.rpc == "batch") {
      s->batch = &w_.batches[s->rng() % w_.batches.size()];
      authorize_stubs_[s->channel]->async()->BatchAuthorize(
          s->ctx.get(), &s->batch->request, &s->batch_response,
          [s](grpc::Status status) { s->runner->OnDone(s, status); });
      return;
    }
    const int kind = PickKind(w_, s->rng());
    s->expect_kind = kind;
    if (o_.rpc == "check") {
      const auto& pool = w_.check[kind];
      check_stubs_[s->channel]->async()->Check(
          s->ctx.get(), &pool[s->rng() % pool.size()], &s->check_response,
          [s](grpc::Status status) { s->runner->OnDone(s, status); });
      return;
    }
    const auto& pool = w_.authorize[kind];
    const authd::v1::AuthorizeRequest* req = &pool[s->rng() % pool.size()];
    authorize_stubs_[s->channel]->async()->Authorize(
        s->ctx.get(), req, &s->authorize_response,
        [s](grpc::Status status) { s->runner->OnDone(s, status); });
  }

  // How many answers of `s`'s completed call differ from what the tokens file says (for a batch,
  // per check; a batch that reports `errors` or the wrong number of results counts whole).
  uint64_t Unexpected(const Slot& s) const {
    const bool allowed = s.expect_kind == static_cast<int>(RequestKind::kAllowed);
    if (o_.rpc == "authorize") return s.authorize_response.allowed() != allowed ? 1 : 0;
    if (o_.rpc == "check") {
      const envoy::service::auth::v3::CheckResponse& r = s.check_response;
      if (allowed) return r.has_ok_response() && r.status().code() == 0 ? 0 : 1;
      const envoy::type::v3::StatusCode want = s.expect_kind == static_cast<int>(RequestKind::kDenied)
                                                   ? envoy::type::v3::Forbidden
                                                   : envoy::type::v3::Unauthorized;
      return r.has_denied_response() && r.denied_response().status().code() == want ? 0 : 1;
    }
    if (o_.rpc == "batch") {
      const authd::v1::BatchAuthorizeResponse& r = s.batch_response;
      const std::vector<bool>& want = s.batch->expect_allowed;
      if (r.errors_size() != 0 || r.results_size() != static_cast<int>(want.size())) {
        return want.size();
      }
      uint64_t wrong = 0;
      for (size_t i = 0; i < want.size(); ++i) wrong += r.results(static_cast<int>(i)).allowed() != want[i];
      return wrong;
    }
    return 0;  // create: not verified
  }

  void OnDone(Slot* s, const grpc::Status& status) {
    const int64_t end = NowNs();
    if (s->intended_ns >= measure_ns_ && end <= stop_ns_) {
      if (status.ok()) {
        ++s->ok;
        s->hist.Record(static_cast<uint64_t>(end - s->intended_ns));
        if (o_.verify) s->unexpected += Unexpected(*s);
      } else {
        ++s->errors;
        if (s->first_error.empty()) {
          s->first_error = absl::StrCat(status.error_code(), ": ", status.error_message());
        }
      }
    }
    if (o_.rate > 0) {
      Pacer& pacer = *pacers_[s->pacer];
      {
        MutexLock lock(&pacer.mu);
        if (!pacer.done) {
          pacer.free.push_back(s);
          pacer.has_free.Signal();
          return;
        }
      }
      Retire();
      return;
    }
    if (end < stop_ns_) {
      Issue(s, end);
      return;
    }
    Retire();
  }

  // A slot that will issue no more RPCs.
  void Retire() {
    MutexLock lock(&mu_);
    if (--active_ == 0) drained_.Signal();
  }

  const Options& o_;
  const Workload& w_;
  RunResult result_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<authd::v1::AuthorizeService::Stub>> authorize_stubs_;
  std::vector<std::unique_ptr<authd::v1::AuthorizationService::Stub>> create_stubs_;
  std::vector<std::unique_ptr<envoy::service::auth::v3::Authorization::Stub>> check_stubs_;
  std::vector<std::unique_ptr<Slot>> slots_;
  int64_t start_ns_ = 0;
  int64_t measure_ns_ = 0;
  int64_t stop_ns_ = 0;
  Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;  // slots that may still issue or finish an RPC
  CondVar drained_;                      // signalled when active_ reaches 0
  struct Pacer {
    Mutex mu;
    CondVar has_free;  // signalled when a slot is pushed onto `free`
    std::vector<Slot*> free ABSL_GUARDED_BY(mu);
    bool done ABSL_GUARDED_BY(mu) = false;
    uint64_t late = 0;  // touched by its pacer thread only
  };
  std::vector<std::unique_ptr<Pacer>> pacers_;
};

double Us(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

void PrintText(const Options& o, const RunResult& r) {
  std::printf("[%s] %s rpc=%s%s concurrency=%d %s\n", r.name.c_str(), r.target.c_str(),
              r.rpc.c_str(),
              r.rpc == "batch" ? absl::StrFormat(" batch-size=%d", r.checks_per_call).c_str() : "",
              o.concurrency,
              o.rate > 0 ? absl::StrFormat("rate=%.0f/s", o.rate).c_str() : "closed-loop");
  std::printf("  %llu ok in %.2f s -> %.1f %s%s; errors=%llu unexpected=%llu%s\n",
              static_cast<unsigned long long>(r.hist.count()), r.seconds, r.qps(),
              r.rpc == "batch" ? "calls/s" : "req/s",
              r.rpc == "batch" ? absl::StrFormat(" (%.1f checks/s)", r.checks_per_s()).c_str() : "",
              static_cast<unsigned long long>(r.errors),
              static_cast<unsigned long long>(r.unexpected),
              r.late > 0 ? absl::StrFormat(" late(>1ms)=%llu",
                                           static_cast<unsigned long long>(r.late))
                               .c_str()
                         : "");
  if (!r.first_error.empty()) std::printf("  first error: %s\n", r.first_error.c_str());
  std::printf("  latency us: p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f mean=%.1f\n",
              Us(r.hist.Percentile(0.5)), Us(r.hist.Percentile(0.9)), Us(r.hist.Percentile(0.99)),
              Us(r.hist.Percentile(0.999)), Us(r.hist.max()), r.hist.mean() / 1000.0);
  std::fflush(stdout);
}

std::string RunJson(const RunResult& r, const std::vector<double>& round_qps) {
  std::string rounds;
  for (double q : round_qps) absl::StrAppend(&rounds, rounds.empty() ? "" : ",", absl::StrFormat("%.1f", q));
  return absl::StrFormat(
      "{\"name\":\"%s\",\"target\":\"%s\",\"rpc\":\"%s\",\"checks_per_call\":%d,\"requests\":%d,"
      "\"errors\":%d,\"unexpected\":%d,\"late\":%d,\"seconds\":%.3f,\"qps\":%.1f,"
      "\"checks_per_s\":%.1f,\"round_qps\":[%s],\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f}",
      r.name, r.target, r.rpc, r.checks_per_call, r.hist.count(), r.errors, r.unexpected, r.late,
      r.seconds, r.qps(), r.checks_per_s(), rounds, Us(r.hist.Percentile(0.5)),
      Us(r.hist.Percentile(0.9)), Us(r.hist.Percentile(0.99)), Us(r.hist.Percentile(0.999)),
      Us(r.hist.max()), r.hist.mean() / 1000.0);
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

// Median, min and max of per-round ratios.
struct Spread {
  double median = 0, lo = 0, hi = 0;
};
Spread SpreadOf(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.lo = v.front();
  s.hi = v.back();
  return s;
}

// One server and RPC a round runs.
struct RunSpec {
  std::string name;
  std::string target;
  std::string rpc;
};

int Main(int argc, char** argv) {
  // Debian's abseil is built without NDEBUG, which turns on absl::Mutex deadlock detection (a
  // global lock and a lock graph update on every acquisition of gRPC's own mutexes; ours are
  // authd::Mutex). The client is not under test: give its CPU back to the server on this shared
  // 2-core box.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Options o;
  Flags flags;
  flags.Add("target", &o.target, "host:port of the server under test (required)");
  flags.Add("target-name", &o.target_name,
            "label of the target in the output (with --baseline-rpc: default the rpc's name)");
  flags.Add("baseline", &o.baseline, "host:port of a baseline (null) server, run first");
  flags.Add("baseline-name", &o.baseline_name,
            "label of the baseline in the output (with --baseline-rpc: default the rpc's name)");
  flags.Add("rpc", &o.rpc,
            "authorize (AuthorizeService.Authorize), check (Envoy's Authorization/Check), batch "
            "(AuthorizeService.BatchAuthorize) or create (CreateAuthorization)");
  flags.Add("baseline-rpc", &o.baseline_rpc,
            "authorize, check or batch: the baseline runs this rpc, against --baseline if given, "
            "else against --target (one server, two rpcs, alternating rounds)");
  flags.Add("batch-size", &o.batch_size, "checks per BatchAuthorize call (1..1000; default 100)");
  flags.Add("check-headers", &o.check_headers,
            "all (Envoy's default: every request header) or authorization (only that one)");
  flags.Add("print-ext-authz-routes", &o.print_routes,
            "print the --ext-authz-routes file authd needs for --rpc=check, and exit");
  flags.Add("concurrency", &o.concurrency, "RPCs in flight");
  flags.Add("channels", &o.channels, "connections; 0 = min(concurrency, 4)");
  flags.Add("duration", &o.duration, "measured time per server and round");
  flags.Add("rounds", &o.rounds, "repeat the runs this many times (alternating which server goes "
                                 "first) and pool them; per-round QPS ratios are reported too");
  flags.Add("warmup", &o.warmup, "unmeasured time before it");
  flags.Add("mix", &o.mix, "allowed:denied:unknown percentages of decision requests");
  flags.Add("tokens-file", &o.tokens_file, "tokens to use (bench/tokens_file.h)");
  flags.Add("rate", &o.rate, "total requests/s, paced; 0 = closed loop (as fast as answered)");
  flags.Add("pacers", &o.pacers, "threads sending paced requests (--rate)");
  flags.Add("json", &o.json, "also print one JSON line");
  flags.Add("verify", &o.verify,
            "count answers that differ from the tokens file's kind (see the header comment)");
  flags.Add("allow-remote", &o.allow_remote, "accept a non-loopback target");
  flags.Add("rpc-timeout", &o.rpc_timeout, "deadline of each RPC");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "load_gen: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("load_gen", "gRPC load for authd: QPS and latency percentiles.").c_str(),
               stdout);
    return 0;
  }
  if (o.print_routes) {
    std::fputs(ExtAuthzRoutesYaml().c_str(), stdout);
    return 0;
  }
  if (o.target.empty()) {
    std::fprintf(stderr, "load_gen: --target is required\n");
    return 2;
  }
  if (!IsDecisionRpc(o.rpc) && o.rpc != "create") {
    std::fprintf(stderr, "load_gen: --rpc must be authorize, check, batch or create\n");
    return 2;
  }
  if (!o.baseline_rpc.empty()) {
    if (!IsDecisionRpc(o.baseline_rpc) || !IsDecisionRpc(o.rpc)) {
      std::fprintf(stderr,
                   "load_gen: --baseline-rpc compares decision rpcs: authorize, check or batch, "
                   "with --rpc one of them\n");
      return 2;
    }
    if (o.baseline_rpc == o.rpc && o.baseline.empty()) {
      std::fprintf(stderr,
                   "load_gen: --baseline-rpc equal to --rpc without --baseline compares the "
                   "target with itself\n");
      return 2;
    }
  }
  if (o.check_headers != "all" && o.check_headers != "authorization") {
    std::fprintf(stderr, "load_gen: --check-headers must be all or authorization\n");
    return 2;
  }
  if (o.check_headers != "all" && o.rpc != "check" && o.baseline_rpc != "check") {
    std::fprintf(stderr, "load_gen: --check-headers needs --rpc=check or --baseline-rpc=check\n");
    return 2;
  }
  const bool batch = o.rpc == "batch" || o.baseline_rpc == "batch";
  if (o.batch_size != 0 && !batch) {
    std::fprintf(stderr, "load_gen: --batch-size needs --rpc=batch or --baseline-rpc=batch\n");
    return 2;
  }
  if (batch && o.batch_size == 0) o.batch_size = 100;
  if (o.batch_size < 0 || o.batch_size > 1000) {
    std::fprintf(stderr, "load_gen: --batch-size: 1..1000 (BatchAuthorize's limit)\n");
    return 2;
  }
  if (o.concurrency < 1 || o.concurrency > 4096 || o.channels < 0 || o.channels > 64 ||
      o.duration <= absl::ZeroDuration() || o.duration > absl::Hours(1) ||
      o.warmup < absl::ZeroDuration() || o.warmup > absl::Minutes(10) || o.rate < 0 ||
      o.rounds < 1 || o.rounds > 100 || o.pacers < 1 || o.pacers > 16) {
    std::fprintf(stderr,
                 "load_gen: out of range: concurrency 1..4096, channels 0..64, duration (0, 1h], "
                 "warmup [0, 10m], rate >= 0, rounds 1..100, pacers 1..16\n");
    return 2;
  }
  if (!o.allow_remote && (!IsLoopback(o.target) || (!o.baseline.empty() && !IsLoopback(o.baseline)))) {
    std::fprintf(stderr, "load_gen: only loopback targets without --allow-remote\n");
    return 2;
  }
  // One server, two rpcs: name the runs after their rpcs unless told otherwise.
  if (!o.baseline_rpc.empty()) {
    if (o.target_name == Options().target_name) o.target_name = o.rpc;
    if (o.baseline_name == Options().baseline_name) o.baseline_name = o.baseline_rpc;
  }
  auto workload = BuildWorkload(o);
  if (!workload.ok()) {
    std::fprintf(stderr, "load_gen: %s\n", std::string(workload.status().message()).c_str());
    return 2;
  }
  const std::string load_avg = LoadAverage();
  std::printf("load_gen: rpc=%s%s%s%s concurrency=%d duration=%s warmup=%s mix=%s load_avg_1m=%s\n",
              o.rpc.c_str(),
              o.baseline_rpc.empty() ? "" : absl::StrCat(" baseline-rpc=", o.baseline_rpc).c_str(),
              batch ? absl::StrCat(" batch-size=", o.batch_size).c_str() : "",
              o.check_headers != "all" ? " check-headers=authorization" : "", o.concurrency,
              absl::FormatDuration(o.duration).c_str(), absl::FormatDuration(o.warmup).c_str(),
              o.mix.c_str(), load_avg.c_str());

  std::vector<RunSpec> runs;
  if (!o.baseline.empty() || !o.baseline_rpc.empty()) {
    runs.push_back(RunSpec{o.baseline_name, o.baseline.empty() ? o.target : o.baseline,
                           o.baseline_rpc.empty() ? o.rpc : o.baseline_rpc});
  }
  runs.push_back(RunSpec{o.target_name, o.target, o.rpc});
  // results[i] accumulates runs[i] over the rounds. With a baseline, rounds alternate which
  // run goes first, so a drift in background load hits both alike.
  std::vector<RunResult> results(runs.size());
  std::vector<std::vector<double>> round_qps(runs.size());
  std::vector<double> round_qps_ratios;
  std::vector<double> round_checks_ratios;
  for (int round = 0; round < o.rounds; ++round) {
    for (size_t k = 0; k < runs.size(); ++k) {
      const size_t i = (round % 2 == 1) ? runs.size() - 1 - k : k;
      const RunSpec& spec = runs[i];
      Options run_options = o;
      run_options.rpc = spec.rpc;
      // The null server answers every request with allowed=false: a baseline server's answers
      // are not verified. (A baseline rpc on the target itself is.)
      if (!o.baseline.empty() && i == 0) run_options.verify = false;
      Runner runner(run_options, *workload, spec.name, spec.target);
      auto result = runner.Run();
      if (!result.ok()) {
        std::fprintf(stderr, "load_gen: %s: %s\n", spec.name.c_str(),
                     std::string(result.status().message()).c_str());
        std::fflush(stdout);
        // RPCs may still be in flight: leave without running destructors under their callbacks.
        std::_Exit(1);
      }
      if (o.rounds > 1) {
        std::printf("  round %d %-10s %9.1f %s  p50=%.1f p99=%.1f us  load=%s\n", round + 1,
                    spec.name.c_str(), result->qps(), spec.rpc == "batch" ? "calls/s" : "req/s ",
                    Us(result->hist.Percentile(0.5)), Us(result->hist.Percentile(0.99)),
                    LoadAverage().c_str());
      }
      round_qps[i].push_back(result->qps());
      RunResult& total = results[i];
      total.name = result->name;
      total.target = result->target;
      total.rpc = result->rpc;
      total.checks_per_call = result->checks_per_call;
      total.ok += result->ok;
      total.errors += result->errors;
      total.unexpected += result->unexpected;
      total.late += result->late;
      total.seconds += result->seconds;
      if (total.first_error.empty()) total.first_error = result->first_error;
      total.hist.Merge(result->hist);
    }
    if (runs.size() == 2) {
      const double b = round_qps[0].back(), t = round_qps[1].back();
      round_qps_ratios.push_back(Ratio(t, b));
      round_checks_ratios.push_back(
          Ratio(t * results[1].checks_per_call, b * results[0].checks_per_call));
    }
  }
  for (const RunResult& r : results) PrintText(o, r);

  std::string ratios;
  if (results.size() == 2) {
    const RunResult& b = results[0];
    const RunResult& t = results[1];
    const double rq = Ratio(t.qps(), b.qps());
    const double rc = Ratio(t.checks_per_s(), b.checks_per_s());
    const double r50 = Ratio(t.hist.Percentile(0.5), b.hist.Percentile(0.5));
    const double r90 = Ratio(t.hist.Percentile(0.9), b.hist.Percentile(0.9));
    const double r99 = Ratio(t.hist.Percentile(0.99), b.hist.Percentile(0.99));
    const double r999 = Ratio(t.hist.Percentile(0.999), b.hist.Percentile(0.999));
    const Spread q = SpreadOf(round_qps_ratios);
    const Spread c = SpreadOf(round_checks_ratios);
    std::printf("ratios %s/%s: qps=%.3f p50=%.3f p90=%.3f p99=%.3f p99.9=%.3f", t.name.c_str(),
                b.name.c_str(), rq, r50, r90, r99, r999);
    if (batch) std::printf(" checks/s=%.3f", rc);
    if (o.rounds > 1) {
      std::printf("; per-round qps ratio median=%.3f min=%.3f max=%.3f", q.median, q.lo, q.hi);
      if (batch) {
        std::printf("; per-round checks/s ratio median=%.3f min=%.3f max=%.3f", c.median, c.lo,
                    c.hi);
      }
    }
    std::printf("\n");
    ratios = absl::StrFormat(
        ",\"ratios\":{\"qps\":%.3f,\"checks\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
        "\"p999\":%.3f,\"qps_round_median\":%.3f,\"qps_round_min\":%.3f,\"qps_round_max\":%.3f,"
        "\"checks_round_median\":%.3f,\"checks_round_min\":%.3f,\"checks_round_max\":%.3f}",
        rq, rc, r50, r90, r99, r999, q.median, q.lo, q.hi, c.median, c.lo, c.hi);
  }
  if (o.json) {
    std::string runs_json;
    for (size_t i = 0; i < results.size(); ++i) {
      absl::StrAppend(&runs_json, runs_json.empty() ? "" : ",", RunJson(results[i], round_qps[i]));
    }
    std::printf(
        "{\"tool\":\"load_gen\",\"rpc\":\"%s\",\"baseline_rpc\":\"%s\",\"batch_size\":%d,"
        "\"check_headers\":\"%s\","
        "\"concurrency\":%d,\"rounds\":%d,\"duration_s\":%.3f,\"warmup_s\":%.3f,\"mix\":\"%s\","
        "\"rate\":%.1f,\"load_avg_1m\":%s,\"load_avg_1m_end\":%s,\"runs\":[%s]%s}\n",
        o.rpc.c_str(), o.baseline_rpc.c_str(), o.batch_size, o.check_headers.c_str(),
        o.concurrency, o.rounds,
        absl::ToDoubleSeconds(o.duration), absl::ToDoubleSeconds(o.warmup), o.mix.c_str(), o.rate,
        load_avg.c_str(), LoadAverage().c_str(), runs_json.c_str(), ratios.c_str());
  }
  std::fflush(stdout);
  for (const RunResult& r : results) {
    if (r.hist.count() == 0) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) { return authd::bench::Main(argc, argv); }
