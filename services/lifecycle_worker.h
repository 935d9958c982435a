// LifecycleWorker: the background half of token lifecycle (docs/adr/0007), one thread:
//  - the expiry sweeper: every `sweep_interval` it asks the index for grants whose expiry has
//    passed and is not yet recorded, and appends AuthorizationExpired events for them (the
//    decision never waits for this: it compares times; the event says in the log, backups and
//    replicas when a token stopped working, and retires a rotated-away secret);
//    with a retention period it also deletes tokens expired longer ago than that;
//  - the last-used flusher: every `last_used_interval` it collects the usage slots Authorize and
//    API calls touched (authz::TokenIndex::TakeUsage) and appends them as one AuthorizationsUsed
//    event per chunk. A crash loses at most the uses of one interval; Stop flushes what is left.
//  - test time: with `clock_offset_file` (test builds only, see ServerOptions) it re-reads the
//    file every 100 ms and sets base/clock.h's test offset from it.
// Borrows the store and the index, which must outlive it. Thread-safe.
#ifndef AUTHD_SERVICES_LIFECYCLE_WORKER_H_
#define AUTHD_SERVICES_LIFECYCLE_WORKER_H_

#include <cstddef>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "authz/token_index.h"
#include "base/mutex.h"
#include "storage/token_store.h"

namespace authd::services {

struct LifecycleOptions {
  absl::Duration sweep_interval = absl::Seconds(1);
  // Zero: uses are not recorded.
  absl::Duration last_used_interval = absl::Minutes(1);
  // Empty: no test clock.
  std::string clock_offset_file;
  // Expired tokens are deleted this long after their expiry (by the sweeper, as ordinary
  // AuthorizationDeleted events, actor 0). Zero: kept until deleted by hand.
  absl::Duration expired_token_retention = absl::ZeroDuration();
};

// Most expiries / uses one event carries (the rest go in the next one of the same round).
inline constexpr size_t kMaxExpiriesPerEvent = 1000;
inline constexpr size_t kMaxUsesPerEvent = 10000;

// The test clock offset file's content: a signed whole number of seconds ("3600", "-5"), blank
// lines and surrounding space ignored. Errors: kInvalidArgument.
absl::StatusOr<int64_t> ParseClockOffsetSeconds(absl::string_view text);

class LifecycleWorker {
 public:
  LifecycleWorker(storage::TokenStore* store, authz::TokenIndex* index, LifecycleOptions options);
  ~LifecycleWorker();  // Stop()
  LifecycleWorker(const LifecycleWorker&) = delete;
  LifecycleWorker& operator=(const LifecycleWorker&) = delete;

  void Start();
  // Ends the thread, then flushes the uses not yet recorded (best effort: an error is logged).
  void Stop();

  // One round of each, as the thread runs them (tests call these directly). Return how many
  // expiries / uses were recorded. Errors: the store's (the uses are kept for the next round).
  absl::StatusOr<size_t> SweepOnce();
  // The retention purge (a no-op without one); returns how many tokens it deleted.
  absl::StatusOr<size_t> PurgeOnce();
  absl::StatusOr<size_t> FlushUsageOnce();

 private:
  void Run();
  void ReadClockOffset();

  storage::TokenStore* const store_;
  authz::TokenIndex* const index_;
  const LifecycleOptions options_;
  Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;
  std::thread thread_;
  std::string last_offset_text_;  // the thread's only
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_LIFECYCLE_WORKER_H_
