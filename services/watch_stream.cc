#include "services/watch_stream.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "services/grpc_status.h"

namespace authd::services {
namespace {

// A caller that holds no read permission on tokens at all (of any org) would only ever get
// checkpoints, at the cost of a listing scan: refused.
bool MayReadSomeToken(const authz::Principal& caller) {
  for (const authz::Permission& p : caller.permissions) {
    if (p.action == authz::Action::kRead &&
        (p.resource.type == authz::ResourceType::kAuthorizations ||
         p.resource.type == authz::ResourceType::kInstance)) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<WatchSpec> ParseWatchRequest(const authd::v1::WatchAuthorizationsRequest& request) {
  WatchSpec spec;
  spec.from_position = request.from_position();
  absl::StatusOr<authz::Id> org = authz::ParseOptionalId(request.org_id(), "org_id");
  if (!org.ok()) return org.status();
  spec.org_id = *org;
  absl::StatusOr<authz::Id> user = authz::ParseOptionalId(request.user_id(), "user_id");
  if (!user.ok()) return user.status();
  spec.user_id = *user;
  if (request.has_checkpoint_interval()) {
    const auto& d = request.checkpoint_interval();
    if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() > 999999999 || d.seconds() > 60 ||
        (d.seconds() == 60 && d.nanos() > 0) || (d.seconds() == 0 && d.nanos() < 100000000)) {
      return absl::InvalidArgumentError("checkpoint_interval: want 100ms to 60s");
    }
    spec.checkpoint_interval = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  }
  return spec;
}

WatchStream::WatchStream(const ServiceDeps& deps, WatchHub* hub,
                         grpc::CallbackServerContext* context,
                         const authd::v1::WatchAuthorizationsRequest& request)
    : hub_(hub), context_(context) {
  absl::StatusOr<uint64_t> id = absl::InternalError("not subscribed");
  absl::StatusOr<WatchSpec> spec = ParseWatchRequest(request);
  absl::StatusOr<authz::Principal> caller = deps.auth->Authenticate(*context);
  absl::StatusOr<std::string> token = TokenFromContext(*context);
  if (!caller.ok()) {
    id = caller.status();  // first: an unauthenticated caller learns nothing about its request
  } else if (!spec.ok()) {
    id = spec.status();
  } else if (!MayReadSomeToken(*caller)) {
    id = absl::PermissionDeniedError(
        "watch: the caller may read no tokens (it needs read permission on authorizations)");
  } else if (!token.ok()) {
    id = token.status();
  } else {
    spec->caller = *std::move(caller);
    spec->token = *std::move(token);
    spec->peer = deps.auth->PeerOf(*context);
    // The hub may push or end the stream before this constructor returns: `constructing_`
    // holds every write and the Finish back until it does (so OnDone cannot come first).
    id = hub_->Subscribe(this, *std::move(spec));
  }
  MutexLock lock(&mu_);
  constructing_ = false;
  if (!id.ok()) {
    ending_ = true;
    end_status_ = ToGrpcStatus(id.status());
  } else {
    id_ = *id;
  }
  PumpLocked();
}

bool WatchStream::Push(WatchMessage message) {
  MutexLock lock(&mu_);
  if (ending_) return true;  // dropped: the stream is ending anyway
  if (queue_.size() >= kWatchQueueLimit) return false;
  queue_.push_back(std::move(message));
  PumpLocked();
  return true;
}

size_t WatchStream::Pending() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

uint64_t WatchStream::Written() const {
  MutexLock lock(&mu_);
  return written_;
}

void WatchStream::End(absl::Status status) {
  MutexLock lock(&mu_);
  // A client that stopped reading would hold the write in flight (and the Finish) forever.
  const bool stalled = status.code() == absl::StatusCode::kResourceExhausted;
  if (EndLocked(ToGrpcStatus(status)) && writing_ && stalled) context_->TryCancel();
}

bool WatchStream::EndLocked(grpc::Status status) {
  if (ending_) return false;
  ending_ = true;
  end_status_ = std::move(status);
  // What was queued but not yet written is dropped: the client resumes from what it received.
  while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
  PumpLocked();
  return true;
}

void WatchStream::PumpLocked() {
  if (constructing_ || finished_ || writing_) return;
  if (ending_) {
    finished_ = true;
    Finish(end_status_);
    return;
  }
  if (queue_.empty()) return;
  writing_ = true;
  StartWrite(queue_.front().get());
}

void WatchStream::OnWriteDone(bool ok) {
  MutexLock lock(&mu_);
  writing_ = false;
  queue_.pop_front();
  if (ok) ++written_;
  if (!ok && !ending_) {
    // The client went away (or the call was cancelled): nothing more can be written.
    ending_ = true;
    end_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    queue_.clear();
  }
  PumpLocked();
}

void WatchStream::OnCancel() {
  MutexLock lock(&mu_);
  EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void WatchStream::OnDone() {
  // First out of the hub (which may be pushing right now: Unsubscribe waits for it), then gone.
  if (id_ != 0) hub_->Unsubscribe(id_);
  delete this;
}

}  // namespace authd::services
