#include "bench/hostile/legit_load.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "authd/v1/authorize_service.grpc.pb.h"

namespace authd::bench {
namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "OTHER";
  }
}

}  // namespace

std::string PhaseResult::Json() const {
  std::string failures_json;
  for (const auto& [name, n] : failures) {
    absl::StrAppend(&failures_json, failures_json.empty() ? "" : ",", "\"", name, "\":", n);
  }
  return absl::StrCat("{\"sent\":", sent, ",\"ok\":", ok, ",\"success\":", success_ratio(),
                      ",\"p50_us\":", p50_ns / 1000.0, ",\"p99_us\":", p99_ns / 1000.0,
                      ",\"max_us\":", max_ns / 1000.0, ",\"failures\":{", failures_json, "}}");
}

LegitLoad::LegitLoad(LegitLoadOptions options) : options_(std::move(options)) {}

LegitLoad::~LegitLoad() { Stop(); }

void LegitLoad::Start() { thread_ = std::thread([this] { Run(); }); }

void LegitLoad::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

PhaseResult LegitLoad::TakePhase() {
  MutexLock lock(&mu_);
  PhaseResult out = phase_;
  out.p50_ns = histogram_.Percentile(0.5);
  out.p99_ns = histogram_.Percentile(0.99);
  out.max_ns = histogram_.max();
  phase_ = PhaseResult();
  histogram_.Clear();
  return out;
}

void LegitLoad::Run() {
  auto stub = authd::v1::AuthorizeService::NewStub(options_.channel);
  absl::Time next = absl::Now();
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stop_) return;
    }
    absl::Time now = absl::Now();
    if (now < next) {
      absl::SleepFor(next - now);
    }
    absl::Time scheduled = next;
    next += options_.period;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    authd::v1::AuthorizeResponse response;
    grpc::Status s = stub->Authorize(&ctx, options_.request, &response);
    int64_t latency = absl::ToInt64Nanoseconds(absl::Now() - scheduled);
    MutexLock lock(&mu_);
    ++phase_.sent;
    if (!s.ok()) {
      ++phase_.failures[CodeName(s.error_code())];
    } else if (!response.allowed()) {
      ++phase_.failures["wrong_decision"];
    } else {
      ++phase_.ok;
    }
    histogram_.Record(static_cast<uint64_t>(latency < 0 ? 0 : latency));
    // One call at a time: when a call overran by more than a deadline, the slots it covered are
    // calls a real sibling would have made and not had answered in time. Count them as failed
    // (at the deadline) instead of sending them late in a burst.
    absl::Time after = absl::Now();
    if (after > next + options_.deadline) {
      int64_t missed = (after - next) / options_.period;
      phase_.sent += missed;
      phase_.failures["missed_slot"] += missed;
      for (int64_t i = 0; i < missed; ++i) {
        histogram_.Record(static_cast<uint64_t>(absl::ToInt64Nanoseconds(options_.deadline)));
      }
      next = after;
    }
  }
}

bool FreshChannelAuthorizes(const std::string& target, const authd::v1::AuthorizeRequest& request,
                            absl::Duration deadline,
                            std::shared_ptr<grpc::ChannelCredentials> creds) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // a connection of its own
  if (creds == nullptr) creds = grpc::InsecureChannelCredentials();
  auto channel = grpc::CreateCustomChannel(target, creds, args);
  auto stub = authd::v1::AuthorizeService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_wait_for_ready(true);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  authd::v1::AuthorizeResponse response;
  return stub->Authorize(&ctx, request, &response).ok();
}

}  // namespace authd::bench
