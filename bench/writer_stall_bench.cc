// writer_stall_bench: how long a large DeleteOrg and a full Verify hold up other writers (the
// issue: "DeleteOrg of an org with 100k tokens and verify on 1M tokens run without blocking other
// writers for more than a bounded time; show the longest writer stall").
//
// Opens storage::TokenStore in-process on a fresh data dir and seeds it with `sync_writes = false`
// (Setup, then one CreateAuthorization per token: --delete-tokens in an org to delete,
// --verify-tokens in a filler org), flushes, sync(2)s, and reopens it with `sync_writes = true`, as
// the server runs. Then four phases, in one process:
//   baseline  a probe thread makes small writes (CreateAuthorization in the setup org) back to back
//             for --seconds;
//   delete    the same probe while another thread runs DeleteOrg on the org of --delete-tokens
//             tokens (bounded steps of storage::kMaxEventsPerDeleteOrgStep events);
//   verify    the same probe while another thread runs Verify() over the store (the filler org's
//             --verify-tokens tokens, the probe's own, and the delete phase's log);
//   baseline2 the probe alone again (how far the machine drifted during the run).
// In the op phases the probe starts first (--lead) and stops only after a write that finished
// after the op did, so the op's whole window is covered. For each phase: the writes that finished
// inside the window, the latency (p50/p99/max) of every write that overlapped it, and the longest
// gap between two consecutive probe completions that overlaps it (the longest writer stall), plus
// the ratios of p99, max and stall to the baseline's, and the slowest write in each tenth of the
// window (a stall that grows as the op goes on shows there). Output: a table, then one JSON line
// per phase (starting with '{', "tool":"writer_stall_bench"), with the process's peak RSS.
//
// Every loop is bounded by a count and by time (--max-probe-writes, --max-seconds). Exit code 0
// when every phase ran, the ops succeeded and Verify found nothing; 1 otherwise; 2 for bad flags.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/token.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "bench/flags.h"
#include "bench/histogram.h"
#include "storage/token_store.h"

namespace authd::bench {
namespace {

constexpr int kTenths = 10;

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

// A "Vm...:" line of /proc/self/status, in kB (0 when absent).
int64_t ProcStatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string name;
  int64_t kb = 0;
  while (in >> name) {
    if (name == field + ":") {
      in >> kb;
      return kb;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }
double Us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }
double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

struct Options {
  std::string data_dir;
  bool keep_data_dir = false;
  int64_t delete_tokens = 100000;
  int64_t verify_tokens = 1000000;
  double seconds = 5;
  absl::Duration lead = absl::Milliseconds(300);
  double max_seconds = 900;
  int64_t max_probe_writes = 5000000;
};

// One successful probe write: when it started and finished (steady clock, ns).
struct Sample {
  int64_t start_ns;
  int64_t end_ns;
};

// The probe: one thread making one CreateAuthorization after another until told to stop, or until
// its count or time bound. Each write's token is generated before its clock starts.
class Probe {
 public:
  Probe(storage::TokenStore* store, storage::Actor actor, storage::NewAuthorization request,
        int64_t max_writes, absl::Duration max_time)
      : store_(store),
        actor_(actor),
        request_(std::move(request)),
        max_writes_(max_writes),
        max_time_(max_time) {}

  void Start() {
    samples_.reserve(static_cast<size_t>(std::min<int64_t>(max_writes_, 1 << 20)));
    thread_ = std::thread([this] { Loop(); });
  }
  // Stops once a write has finished after `after_ns` (the op's end), or at once with INT64_MIN.
  void StopAfter(int64_t after_ns) { stop_after_ns_.store(after_ns, std::memory_order_release); }
  void Join() { thread_.join(); }

  // Completions so far (safe while running).
  int64_t completed() const { return completed_.load(std::memory_order_acquire); }
  // After Join().
  const std::vector<Sample>& samples() const { return samples_; }
  int64_t start_ns() const { return start_ns_; }
  uint64_t errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }
  bool hit_bound() const { return hit_bound_; }

 private:
  void Loop() {
    start_ns_ = NowNs();
    const int64_t deadline = start_ns_ + absl::ToInt64Nanoseconds(max_time_);
    for (int64_t i = 0; i < max_writes_; ++i) {
      request_.token = authz::GenerateToken();
      const int64_t t0 = NowNs();
      if (t0 > deadline) break;
      auto created = store_->CreateAuthorization(actor_, request_);
      const int64_t t1 = NowNs();
      if (created.ok()) {
        samples_.push_back(Sample{t0, t1});
        completed_.fetch_add(1, std::memory_order_release);
      } else if (errors_++ == 0) {
        first_error_ = std::string(created.status().message());
      }
      if (t1 > stop_after_ns_.load(std::memory_order_acquire)) return;
    }
    hit_bound_ = true;
  }

  storage::TokenStore* const store_;
  const storage::Actor actor_;
  storage::NewAuthorization request_;
  const int64_t max_writes_;
  const absl::Duration max_time_;
  std::atomic<int64_t> stop_after_ns_{INT64_MAX};
  std::atomic<int64_t> completed_{0};
  std::thread thread_;
  // Written by the probe thread only; read after Join().
  std::vector<Sample> samples_;
  int64_t start_ns_ = 0;
  uint64_t errors_ = 0;
  std::string first_error_;
  bool hit_bound_ = false;
};

// What a phase measured, over its window [window_start_ns, window_end_ns].
struct PhaseResult {
  std::string phase;
  std::string op;  // "-" for the baseline
  int64_t op_tokens = 0;
  double op_seconds = 0;
  bool op_ok = true;
  std::string op_error;
  std::string op_detail;
  std::string op_json;  // extra JSON fields, each with a leading comma
  uint64_t completed = 0;    // probe writes that finished inside the window
  LatencyHistogram latency;  // every probe write that overlapped the window
  uint64_t longest_stall_ns = 0;
  // When the longest stall began, in seconds from the window's start (negative: before it), and
  // as UTC wall time (to find it in RocksDB's LOG).
  double longest_stall_at_s = 0;
  std::string longest_stall_utc;
  uint64_t errors = 0;
  std::string first_error;
  bool hit_bound = false;
  double window_seconds = 0;
  std::vector<uint64_t> tenth_max_ns = std::vector<uint64_t>(kTenths, 0);
  std::vector<uint64_t> tenth_count = std::vector<uint64_t>(kTenths, 0);
  std::string load_avg;
  int64_t peak_rss_kb = 0;  // the process's VmHWM at the phase's end
};

// Fills `r`'s probe figures from the probe's samples against the window.
void Measure(const Probe& probe, int64_t window_start, int64_t window_end, PhaseResult* r) {
  r->errors = probe.errors();
  r->first_error = probe.first_error();
  r->hit_bound = probe.hit_bound();
  r->window_seconds = static_cast<double>(window_end - window_start) / 1e9;
  const int64_t span = std::max<int64_t>(1, window_end - window_start);
  // The probe's start counts as a completion: a stall from the first write on is a stall too.
  int64_t previous_end = probe.start_ns();
  int64_t stall_start = previous_end;
  for (const Sample& s : probe.samples()) {
    if (s.start_ns < window_end && s.end_ns > window_start) r->latency.Record(s.end_ns - s.start_ns);
    if (s.end_ns >= window_start && s.end_ns <= window_end) {
      ++r->completed;
      const int tenth = std::min<int>(kTenths - 1, static_cast<int>((s.end_ns - window_start) *
                                                                    kTenths / span));
      r->tenth_max_ns[tenth] = std::max<uint64_t>(r->tenth_max_ns[tenth], s.end_ns - s.start_ns);
      ++r->tenth_count[tenth];
    }
    // The gap (previous_end, end) overlaps the window.
    if (s.end_ns > window_start && previous_end < window_end &&
        static_cast<uint64_t>(s.end_ns - previous_end) > r->longest_stall_ns) {
      r->longest_stall_ns = s.end_ns - previous_end;
      stall_start = previous_end;
    }
    previous_end = s.end_ns;
  }
  // No completion after the window's end (the probe hit its bound): the open gap is a stall.
  if (previous_end < window_end && static_cast<uint64_t>(window_end - previous_end) > r->longest_stall_ns) {
    r->longest_stall_ns = window_end - previous_end;
    stall_start = previous_end;
  }
  r->longest_stall_at_s = static_cast<double>(stall_start - window_start) / 1e9;
  // Steady clock to wall clock, read now (both move at the same rate over a run).
  const absl::Time wall = absl::Now() - absl::Nanoseconds(NowNs() - stall_start);
  r->longest_stall_utc = absl::FormatTime("%H:%M:%E3S", wall, absl::UTCTimeZone());
}

// Runs the probe alone for `o.seconds`.
PhaseResult RunBaseline(const Options& o, storage::TokenStore* store, const storage::Actor& actor,
                        const storage::NewAuthorization& request) {
  PhaseResult r;
  r.phase = "baseline";
  r.op = "-";
  r.load_avg = LoadAverage();
  Probe probe(store, actor, request, o.max_probe_writes, absl::Seconds(o.seconds));
  probe.Start();
  probe.Join();
  const int64_t end = probe.samples().empty() ? probe.start_ns() : probe.samples().back().end_ns;
  Measure(probe, probe.start_ns(), end, &r);
  r.hit_bound = false;  // its time bound is how the baseline ends
  return r;
}

// Runs `op` on its own thread while the probe writes: the probe first (at least --lead and one
// completed write), then the op, then the probe until a write that finished after the op.
PhaseResult RunWithOp(const Options& o, const std::string& phase, const std::string& op_name,
                      storage::TokenStore* store, const storage::Actor& actor,
                      const storage::NewAuthorization& request,
                      const std::function<absl::Status(PhaseResult*)>& op) {
  PhaseResult r;
  r.phase = phase;
  r.op = op_name;
  r.load_avg = LoadAverage();
  Probe probe(store, actor, request, o.max_probe_writes, absl::Seconds(o.max_seconds));
  probe.Start();
  const int64_t lead_until = NowNs() + absl::ToInt64Nanoseconds(o.lead);
  const int64_t lead_bound = NowNs() + absl::ToInt64Nanoseconds(absl::Seconds(30));
  // Bounded wait (30 s) for the probe to be running: lead time passed and one write done.
  while ((NowNs() < lead_until || probe.completed() == 0) && NowNs() < lead_bound) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<int64_t> op_start{0};
  std::atomic<int64_t> op_end{0};
  absl::Status status;
  std::thread worker([&] {
    op_start.store(NowNs(), std::memory_order_release);
    status = op(&r);
    const int64_t end = NowNs();
    op_end.store(end, std::memory_order_release);
    probe.StopAfter(end);
  });
  worker.join();
  probe.Join();
  r.op_seconds = static_cast<double>(op_end.load() - op_start.load()) / 1e9;
  r.op_ok = status.ok();
  if (!status.ok()) r.op_error = std::string(status.message());
  Measure(probe, op_start.load(), op_end.load(), &r);
  return r;
}

void PrintTable(const std::vector<PhaseResult>& phases) {
  const PhaseResult& base = phases.front();
  const double base_p99 = base.latency.Percentile(0.99);
  const double base_max = base.latency.max();
  const double base_stall = base.longest_stall_ns;
  std::printf("\n%-9s %-10s %9s %9s %12s %9s %9s %9s %10s %7s %7s %8s\n", "phase", "op", "op_s",
              "window_s", "probe_writes", "p50_ms", "p99_ms", "max_ms", "stall_ms", "p99_x",
              "max_x", "stall_x");
  for (const PhaseResult& p : phases) {
    std::printf("%-9s %-10s %9.2f %9.2f %12llu %9.2f %9.2f %9.2f %10.2f %7.2f %7.2f %8.2f\n",
                p.phase.c_str(), p.op.c_str(), p.op_seconds, p.window_seconds,
                static_cast<unsigned long long>(p.completed), Ms(p.latency.Percentile(0.5)),
                Ms(p.latency.Percentile(0.99)), Ms(p.latency.max()), Ms(p.longest_stall_ns),
                Ratio(p.latency.Percentile(0.99), base_p99), Ratio(p.latency.max(), base_max),
                Ratio(p.longest_stall_ns, base_stall));
  }
  std::printf("(probe_writes: probe writes finished inside the window; p50/p99/max: latency of every "
              "probe write that overlapped it; stall: the longest gap between consecutive probe "
              "completions overlapping it; *_x: ratio to the baseline)\n");
  for (const PhaseResult& p : phases) {
    std::vector<std::string> tenths;
    for (int i = 0; i < kTenths; ++i) {
      tenths.push_back(absl::StrFormat("%.1f/%llu", Ms(p.tenth_max_ns[i]),
                                       static_cast<unsigned long long>(p.tenth_count[i])));
    }
    std::printf("%s: slowest write ms / writes, by tenth of the window: %s\n", p.phase.c_str(),
                absl::StrJoin(tenths, " ").c_str());
    std::printf("%s: longest stall %.2f ms, from %.3f s into the window (%s UTC)\n", p.phase.c_str(),
                Ms(p.longest_stall_ns), p.longest_stall_at_s, p.longest_stall_utc.c_str());
    if (!p.op_detail.empty()) std::printf("%s: %s\n", p.phase.c_str(), p.op_detail.c_str());
    if (p.errors > 0) {
      std::printf("%s: %llu probe writes failed, first: %s\n", p.phase.c_str(),
                  static_cast<unsigned long long>(p.errors), p.first_error.c_str());
    }
    if (!p.op_ok) std::printf("%s: %s failed: %s\n", p.phase.c_str(), p.op.c_str(), p.op_error.c_str());
    if (p.hit_bound) std::printf("%s: the probe stopped at its count or time bound\n", p.phase.c_str());
  }
}

void PrintJson(const PhaseResult& p, const PhaseResult& base, bool sync_writes) {
  std::vector<std::string> tenths;
  for (uint64_t ns : p.tenth_max_ns) tenths.push_back(absl::StrFormat("%.1f", Us(ns)));
  absl::PrintF(
      "{\"tool\":\"writer_stall_bench\",\"phase\":\"%s\",\"op\":\"%s\",\"op_tokens\":%d,"
      "\"op_ok\":%s,\"op_s\":%.3f,\"window_s\":%.3f,\"sync_writes\":%s,\"probe_writes\":%d,"
      "\"probe_overlapping\":%d,\"probe_errors\":%d,\"probe_hit_bound\":%s,\"p50_us\":%.1f,"
      "\"p99_us\":%.1f,\"max_us\":%.1f,\"longest_stall_us\":%.1f,\"p99_ratio\":%.3f,"
      "\"max_ratio\":%.3f,\"stall_ratio\":%.3f,\"longest_stall_at_s\":%.3f,\"tenths_max_us\":[%s],\"load_avg_1m\":%s,"
      "\"peak_rss_kb\":%d%s}\n",
      p.phase, p.op, p.op_tokens, p.op_ok ? "true" : "false", p.op_seconds, p.window_seconds,
      sync_writes ? "true" : "false", p.completed, p.latency.count(), p.errors,
      p.hit_bound ? "true" : "false", Us(p.latency.Percentile(0.5)),
      Us(p.latency.Percentile(0.99)), Us(p.latency.max()), Us(p.longest_stall_ns),
      Ratio(p.latency.Percentile(0.99), base.latency.Percentile(0.99)),
      Ratio(p.latency.max(), base.latency.max()), Ratio(p.longest_stall_ns, base.longest_stall_ns),
      p.longest_stall_at_s, absl::StrJoin(tenths, ","), p.load_avg, p.peak_rss_kb, p.op_json);
}

// Creates `count` tokens in `org_id` with `request`'s shape, progress on stderr every 100k.
absl::Status Seed(storage::TokenStore* store, const storage::Actor& actor, authz::Id org_id,
                  storage::NewAuthorization request, int64_t count, const char* what) {
  request.org_id = org_id;
  const absl::Time start = absl::Now();
  for (int64_t i = 0; i < count; ++i) {
    request.token = authz::GenerateToken();
    auto created = store->CreateAuthorization(actor, request);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat(what, " token #", i, ": ", created.status().message()));
    }
    if ((i + 1) % 100000 == 0) {
      std::fprintf(stderr, "writer_stall_bench: seeded %lld %s tokens, %.1f s\n",
                   static_cast<long long>(i + 1), what, absl::ToDoubleSeconds(absl::Now() - start));
    }
  }
  return absl::OkStatus();
}

int Fail(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "writer_stall_bench: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  return 1;
}

// Whether `dir` is absent or an empty directory.
bool FreshDir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return true;
  return std::filesystem::is_directory(dir, ec) && std::filesystem::is_empty(dir, ec);
}

int Run(const Options& o) {
  const std::string data_dir = o.data_dir;
  RealClock clock;
  auto index = std::make_unique<authz::TokenIndex>();
  storage::TokenStoreOptions options;
  options.data_dir = data_dir;
  options.sync_writes = false;
  std::printf("writer_stall_bench: delete_tokens=%lld verify_tokens=%lld seconds=%g lead=%s "
              "max_events_per_delete_step=%zu data_dir=%s load_avg_1m=%s\n",
              static_cast<long long>(o.delete_tokens), static_cast<long long>(o.verify_tokens),
              o.seconds, absl::FormatDuration(o.lead).c_str(),
              storage::kMaxEventsPerDeleteOrgStep, data_dir.c_str(), LoadAverage().c_str());
  std::fflush(stdout);

  // ---- Seed, unsynced.
  const absl::Time seed_start = absl::Now();
  authz::Id delete_org = 0;
  storage::Actor actor;
  storage::NewAuthorization request;
  {
    auto store = storage::TokenStore::Open(options, &clock, index.get());
    if (!store.ok()) return Fail("open (sync_writes=false)", store.status());
    storage::SetupCommand setup;
    setup.username = "stall";
    setup.org = "stall-probe";
    setup.bucket = "stall-bucket";
    setup.token = authz::GenerateToken();
    auto done = (*store)->Setup(setup);
    if (!done.ok()) return Fail("setup", done.status());
    actor = storage::Actor{done->authorization.id(), done->user.id()};
    request.org_id = done->org.id();
    request.user_id = done->user.id();
    request.description = "writer_stall_bench";
    // Read and write on the setup bucket, as bench/seed_store's 2-permission tokens.
    for (authz::Action action : {authz::Action::kRead, authz::Action::kWrite}) {
      request.permissions.push_back(authz::OrgIdPermission(action, authz::ResourceType::kBuckets,
                                                           done->org.id(), done->bucket.id()));
    }
    auto doomed = (*store)->CreateOrg(actor, "stall-delete", "the org the delete phase deletes");
    if (!doomed.ok()) return Fail("create org", doomed.status());
    delete_org = doomed->id();
    auto filler = (*store)->CreateOrg(actor, "stall-verify", "the tokens the verify phase reads");
    if (!filler.ok()) return Fail("create org", filler.status());
    if (absl::Status s = Seed(store->get(), actor, delete_org, request, o.delete_tokens, "delete-org");
        !s.ok()) {
      return Fail("seed", s);
    }
    if (absl::Status s = Seed(store->get(), actor, filler->id(), request, o.verify_tokens, "filler-org");
        !s.ok()) {
      return Fail("seed", s);
    }
    if (absl::Status s = (*store)->Flush(); !s.ok()) return Fail("flush", s);
  }
  const double seed_seconds = absl::ToDoubleSeconds(absl::Now() - seed_start);
  std::printf("seed: %lld tokens (%lld in the org to delete, %lld in the filler org), "
              "sync_writes=false, in %.1f s\n",
              static_cast<long long>(o.delete_tokens + o.verify_tokens),
              static_cast<long long>(o.delete_tokens), static_cast<long long>(o.verify_tokens),
              seed_seconds);
  std::fflush(stdout);

  // The unsynced seed left its WAL and SST pages dirty in the page cache; written back while the
  // baseline runs, they would slow its fsyncs (one journal for the whole file system). Write them
  // back first.
  const absl::Time sync_start = absl::Now();
  ::sync();
  std::printf("sync(2) of the seeded pages: %.1f s\n", absl::ToDoubleSeconds(absl::Now() - sync_start));

  // ---- Reopen with synced writes, as the server runs.
  index = std::make_unique<authz::TokenIndex>();
  options.sync_writes = true;
  const absl::Time reopen_start = absl::Now();
  auto opened = storage::TokenStore::Open(options, &clock, index.get());
  if (!opened.ok()) return Fail("reopen (sync_writes=true)", opened.status());
  std::unique_ptr<storage::TokenStore> store = std::move(*opened);
  std::printf("reopen: sync_writes=true, %llu events, in %.1f s\n",
              static_cast<unsigned long long>(store->LastSequence()),
              absl::ToDoubleSeconds(absl::Now() - reopen_start));
  std::fflush(stdout);

  std::vector<PhaseResult> phases;
  phases.push_back(RunBaseline(o, store.get(), actor, request));
  phases.back().peak_rss_kb = ProcStatusKb("VmHWM");
  std::printf("phase baseline done: %llu probe writes in %.2f s\n",
              static_cast<unsigned long long>(phases.back().completed), phases.back().window_seconds);
  std::fflush(stdout);

  phases.push_back(RunWithOp(o, "delete", "DeleteOrg", store.get(), actor, request,
                             [&](PhaseResult* r) -> absl::Status {
                               r->op_tokens = o.delete_tokens;
                               return store->DeleteOrg(actor, delete_org);
                             }));
  {
    PhaseResult& r = phases.back();
    auto gone = store->GetOrg(delete_org);
    const bool deleted = absl::IsNotFound(gone.status());
    r.op_detail = absl::StrFormat(
        "DeleteOrg of %lld tokens in %.2f s (at most %zu events per step: >= %lld steps); org %s",
        static_cast<long long>(o.delete_tokens), r.op_seconds, storage::kMaxEventsPerDeleteOrgStep,
        static_cast<long long>(o.delete_tokens / storage::kMaxEventsPerDeleteOrgStep + 1),
        deleted ? "gone afterwards" : "STILL PRESENT afterwards");
    if (r.op_ok && !deleted) {
      r.op_ok = false;
      r.op_error = "the org is still there after DeleteOrg returned OK";
    }
    r.op_json = absl::StrFormat(",\"org_deleted\":%s", deleted ? "true" : "false");
    r.peak_rss_kb = ProcStatusKb("VmHWM");
    std::printf("phase delete done: DeleteOrg %.2f s\n", r.op_seconds);
    std::fflush(stdout);
  }

  phases.push_back(RunWithOp(
      o, "verify", "Verify", store.get(), actor, request, [&](PhaseResult* r) -> absl::Status {
        r->op_tokens = o.verify_tokens;
        auto report = store->Verify();
        if (!report.ok()) return report.status();
        r->op_detail = absl::StrFormat(
            "Verify read %llu events, checkpoint %llu, %zu projection keys; %zu problems%s",
            static_cast<unsigned long long>(report->events),
            static_cast<unsigned long long>(report->checkpoint), report->projection_keys,
            report->problems.size(),
            report->problems.empty() ? "" : absl::StrCat(": ", absl::StrJoin(report->problems, "; ")));
        r->op_json = absl::StrFormat(",\"events\":%d,\"projection_keys\":%d,\"problems\":%d",
                                     report->events, report->projection_keys,
                                     report->problems.size());
        if (!report->problems.empty()) {
          return absl::DataLossError(absl::StrCat("Verify found ", report->problems.size(),
                                                  " problems"));
        }
        return absl::OkStatus();
      }));
  phases.back().peak_rss_kb = ProcStatusKb("VmHWM");
  std::printf("phase verify done: Verify %.2f s, peak RSS so far %lld MB\n", phases.back().op_seconds,
              static_cast<long long>(phases.back().peak_rss_kb / 1024));
  std::fflush(stdout);

  // The probe alone again: how far the machine drifted during the run (its ratios are to the first
  // baseline, like the ops').
  phases.push_back(RunBaseline(o, store.get(), actor, request));
  phases.back().phase = "baseline2";
  phases.back().peak_rss_kb = ProcStatusKb("VmHWM");
  std::printf("phase baseline2 done: %llu probe writes in %.2f s\n",
              static_cast<unsigned long long>(phases.back().completed), phases.back().window_seconds);

  PrintTable(phases);
  for (const PhaseResult& p : phases) PrintJson(p, phases.front(), options.sync_writes);
  std::fflush(stdout);

  int rc = 0;
  for (const PhaseResult& p : phases) {
    if (!p.op_ok || p.errors > 0 || p.latency.count() == 0) rc = 1;
  }
  return rc;
}

int Main(int argc, char** argv) {
  Options o;
  Flags flags;
  flags.Add("data-dir", &o.data_dir, "an absent or empty data dir; empty = a fresh temp dir, "
                                     "removed at the end");
  flags.Add("keep-data-dir", &o.keep_data_dir, "keep the temp data dir");
  flags.Add("delete-tokens", &o.delete_tokens, "tokens in the org the delete phase deletes");
  flags.Add("verify-tokens", &o.verify_tokens, "tokens in the filler org (the store Verify reads)");
  flags.Add("seconds", &o.seconds, "length of the baseline phase, in seconds");
  flags.Add("lead", &o.lead, "probe time before each op starts");
  flags.Add("max-seconds", &o.max_seconds, "time bound of the probe in each op phase, in seconds");
  flags.Add("max-probe-writes", &o.max_probe_writes, "count bound of the probe in each phase");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "writer_stall_bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("writer_stall_bench",
                           "How long a large DeleteOrg and a full Verify stall other writers "
                           "(in-process TokenStore, synced writes).")
                   .c_str(),
               stdout);
    return 0;
  }
  if (o.delete_tokens < 0 || o.delete_tokens > 10000000 || o.verify_tokens < 0 ||
      o.verify_tokens > 20000000 || !(o.seconds > 0 && o.seconds <= 3600) ||
      o.lead < absl::ZeroDuration() || o.lead > absl::Minutes(1) ||
      !(o.max_seconds > 0 && o.max_seconds <= 7200) ||
      o.max_probe_writes < 1 || o.max_probe_writes > 100000000) {
    std::fprintf(stderr,
                 "writer_stall_bench: out of range: delete-tokens 0..1e7, verify-tokens 0..2e7, "
                 "seconds (0, 1h], lead [0, 1m], max-seconds (0, 2h], max-probe-writes 1..1e8\n");
    return 2;
  }
  bool temp = false;
  if (o.data_dir.empty()) {
    char tmpl[] = "/tmp/writer-stall.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "writer_stall_bench: cannot create a temp dir under /tmp\n");
      return 1;
    }
    o.data_dir = tmpl;
    temp = true;
  } else if (!FreshDir(o.data_dir)) {
    std::fprintf(stderr, "writer_stall_bench: --data-dir %s is not empty (it must be fresh)\n",
                 o.data_dir.c_str());
    return 2;
  }
  const int rc = Run(o);
  if (temp && !o.keep_data_dir) {
    std::error_code ec;
    std::filesystem::remove_all(o.data_dir, ec);
  }
  return rc;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) { return authd::bench::Main(argc, argv); }
