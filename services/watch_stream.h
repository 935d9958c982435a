// WatchStream: one WatchAuthorizations call (authd.v1.AuthorizationService), a gRPC callback
// write reactor fed by the WatchHub (services/watch_hub.h). It parses the request, authenticates
// the caller, subscribes, and writes the hub's messages one at a time from a queue the hub bounds.
// Owns itself: deleted in OnDone, after unsubscribing. Thread-safe (the hub's thread pushes,
// gRPC's threads complete writes).
#ifndef AUTHD_SERVICES_WATCH_STREAM_H_
#define AUTHD_SERVICES_WATCH_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <deque>

#include "absl/status/statusor.h"
#include "authd/v1/authorization_service.pb.h"
#include "base/mutex.h"
#include "services/service_deps.h"
#include "services/watch_hub.h"

namespace authd::services {

// The request's filters and interval, validated. Errors: kInvalidArgument naming the field.
absl::StatusOr<WatchSpec> ParseWatchRequest(const authd::v1::WatchAuthorizationsRequest& request);

class WatchStream final : public grpc::ServerWriteReactor<authd::v1::WatchAuthorizationsResponse>,
                          public WatchSubscriber {
 public:
  // Starts the call: on a bad request or caller it finishes at once with the error.
  WatchStream(const ServiceDeps& deps, WatchHub* hub, grpc::CallbackServerContext* context,
              const authd::v1::WatchAuthorizationsRequest& request);

  // WatchSubscriber (the hub's thread).
  bool Push(WatchMessage message) override;
  size_t Pending() const override;
  uint64_t Written() const override;
  void End(absl::Status status) override;

  // grpc::ServerWriteReactor.
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Starts the next write, or the pending Finish once nothing is in flight.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the stream with `status` once (the queue beyond the write in flight is dropped); false
  // if it was already ending.
  bool EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  WatchHub* const hub_;
  grpc::CallbackServerContext* const context_;
  uint64_t id_ = 0;  // set once subscribed
  mutable Mutex mu_;
  std::deque<WatchMessage> queue_ ABSL_GUARDED_BY(mu_);  // front: in flight when writing_
  bool constructing_ ABSL_GUARDED_BY(mu_) = true;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_WATCH_STREAM_H_
