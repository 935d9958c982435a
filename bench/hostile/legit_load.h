// LegitLoad: the well-behaved sibling during an attack. One long-lived channel, one Authorize call
// every `period` (a paced, open-loop schedule: latency counts from the scheduled time, so a stall
// shows up in the tail), each with its own deadline. Results are taken per phase (quiet, attack,
// after) so that one run compares them. Used by bench/hostile/legit_client (the 30 s figures in
// docs/security.md) and tests/e2e/hostile_network_e2e_test (the short CI mode).
// Thread-safe: Start/TakePhase/Stop from one controlling thread; the calls run on their own.
#ifndef AUTHD_BENCH_HOSTILE_LEGIT_LOAD_H_
#define AUTHD_BENCH_HOSTILE_LEGIT_LOAD_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "authd/v1/authorize_service.pb.h"
#include "base/mutex.h"
#include "bench/histogram.h"

namespace authd::bench {

struct LegitLoadOptions {
  std::shared_ptr<grpc::Channel> channel;
  authd::v1::AuthorizeRequest request;
  absl::Duration period = absl::Milliseconds(5);    // 200 calls/s
  absl::Duration deadline = absl::Seconds(2);
};

struct PhaseResult {
  int64_t sent = 0;
  int64_t ok = 0;          // OK and the expected decision (allowed)
  // By gRPC code name, "wrong_decision", or "missed_slot" (a call not made because the one
  // before it overran by more than a deadline; counted in `sent` and as failed).
  std::map<std::string, int64_t> failures;
  uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;

  double success_ratio() const { return sent == 0 ? 0.0 : static_cast<double>(ok) / sent; }
  // One line of JSON.
  std::string Json() const;
};

class LegitLoad {
 public:
  explicit LegitLoad(LegitLoadOptions options);
  ~LegitLoad();

  void Start();
  // What happened since Start or the previous TakePhase.
  PhaseResult TakePhase();
  void Stop();

 private:
  void Run();

  LegitLoadOptions options_;
  std::thread thread_;
  Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  PhaseResult phase_ ABSL_GUARDED_BY(mu_);
  LatencyHistogram histogram_ ABSL_GUARDED_BY(mu_);
};

// One Authorize call on a brand-new channel to `target` (wait_for_ready, within `deadline`):
// true if it was answered OK. Shows that new clients are served. `creds` default: plaintext.
bool FreshChannelAuthorizes(const std::string& target, const authd::v1::AuthorizeRequest& request,
                            absl::Duration deadline,
                            std::shared_ptr<grpc::ChannelCredentials> creds = nullptr);

}  // namespace authd::bench

#endif  // AUTHD_BENCH_HOSTILE_LEGIT_LOAD_H_
