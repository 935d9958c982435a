// WatchHub: feeds WatchAuthorizations streams from the event log (docs/adr/0008, docs/api.md
// "Watching tokens"). One thread tails the log and turns each event about a token (or a user's
// status) into one shared response, built once and handed to every live stream whose caller may
// read it. A new stream first lists the current state (from_position 0) or replays the log from
// its position, a page per round, then joins the live fan-out at the exact position where its
// replay ends: no change is missed or sent twice. Idle streams get checkpoints, at which the
// caller's token is checked again.
//
// Memory is bounded per stream: at most kWatchQueueLimit messages wait for a client. A stream
// whose queue fills (a burst, or a slow client) goes back to replaying from the log, which only
// runs while its queue is less than half full; one whose client takes nothing for stall_timeout
// is ended RESOURCE_EXHAUSTED (it resumes from the last position it received). A checkpoint with
// `caught_up` marks the moment a stream has everything applied so far; the caller's token is
// checked again every checkpoint interval, in every phase.
// The hub owns its subscriptions' state; subscribers (the gRPC reactors) are borrowed and must
// call Unsubscribe before they go away. Thread-safe.
#ifndef AUTHD_SERVICES_WATCH_HUB_H_
#define AUTHD_SERVICES_WATCH_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "authd/v1/authorization_service.pb.h"
#include "authz/principal.h"
#include "base/mutex.h"
#include "services/service_deps.h"

namespace authd::services {

using WatchMessage = std::shared_ptr<const authd::v1::WatchAuthorizationsResponse>;

// Messages that may wait for one client before its stream is ended.
inline constexpr size_t kWatchQueueLimit = 1024;

// The receiving end of one stream (implemented by the gRPC reactor). Called by the hub's thread
// only, never after Unsubscribe returned.
class WatchSubscriber {
 public:
  virtual ~WatchSubscriber() = default;
  // Queues `message` for the client; false when kWatchQueueLimit messages already wait.
  virtual bool Push(WatchMessage message) = 0;
  // How many messages wait.
  virtual size_t Pending() const = 0;
  // Messages the client has taken so far (writes completed): the hub's stall clock.
  virtual uint64_t Written() const = 0;
  // Ends the stream with `status` (after the write in flight, if any; a stalled one is
  // cancelled); called at most once.
  virtual void End(absl::Status status) = 0;
};

// What one stream asked for, once its request is parsed and its caller authenticated.
struct WatchSpec {
  authz::Principal caller;
  // The caller's token (kept in memory only, to check it again at checkpoints) and peer.
  std::string token;
  std::string peer;
  uint64_t from_position = 0;
  authz::Id org_id = 0;
  authz::Id user_id = 0;
  absl::Duration checkpoint_interval = absl::Seconds(5);
};

struct WatchHubOptions {
  // Streams open at once; more are refused RESOURCE_EXHAUSTED. Default: 20,000.
  size_t max_watchers = 20000;
  // How long a stream resuming from a position this authd has not applied yet waits for it.
  // Default: 10s.
  absl::Duration ahead_wait = absl::Seconds(10);
  // How long the hub's thread sleeps when nothing is new. Default: 20ms.
  absl::Duration idle_wait = absl::Milliseconds(20);
  // A stream whose client takes nothing while messages wait for this long is ended
  // RESOURCE_EXHAUSTED. Default: 30s.
  absl::Duration stall_timeout = absl::Seconds(30);
};

class WatchHub {
 public:
  WatchHub(ServiceDeps deps, WatchHubOptions options);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts the thread. Stop ends every stream UNAVAILABLE and joins it; both idempotent.
  void Start();
  void Stop();

  // Registers a stream. Errors: kResourceExhausted at max_watchers, kUnavailable once stopped.
  absl::StatusOr<uint64_t> Subscribe(WatchSubscriber* subscriber, WatchSpec spec);
  // After this returns the hub never calls the subscriber again.
  void Unsubscribe(uint64_t id);

  size_t watchers() const;

 private:
  struct Stream;
  class Round;

  void Run();
  void Step() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ServiceDeps deps_;
  const WatchHubOptions options_;
  mutable Mutex mu_;
  std::map<uint64_t, std::unique_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // The position of the next event the live fan-out reads.
  uint64_t live_next_ ABSL_GUARDED_BY(mu_) = 1;
  // TokenStore::restores() as of the last round: a change ends every stream ABORTED.
  uint64_t restores_seen_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_WATCH_HUB_H_
