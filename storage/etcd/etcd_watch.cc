#include "storage/etcd/etcd_watch.h"

#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/etcd/etcd_status.h"
#include "storage/etcd/range_end.h"

namespace authd::storage::etcd {
namespace {

constexpr size_t kMaxQueuedBatches = 256;
// After a cancel, the reader drains what gRPC still holds; it ends quickly, but never loop
// unboundedly on a misbehaving stream.
constexpr int kMaxDrainReads = 1024;

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  KeyValue out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  return out;
}

}  // namespace

EtcdWatch::EtcdWatch(std::shared_ptr<grpc::Channel> channel, std::string endpoint,
                     WatchOptions options)
    : channel_(std::move(channel)),
      stub_(etcdserverpb::Watch::NewStub(channel_)),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)) {}

EtcdWatch::~EtcdWatch() {
  Cancel();
  if (reader_.joinable()) reader_.join();
}

std::unique_ptr<EtcdWatch> EtcdWatch::Open(std::shared_ptr<grpc::Channel> channel,
                                           std::string endpoint, const std::string& token,
                                           const WatchOptions& options,
                                           absl::Time created_deadline, grpc::Status* failure) {
  auto watch = absl::WrapUnique(new EtcdWatch(std::move(channel), std::move(endpoint), options));
  // Without `hasleader`, a member cut off from its leader keeps the stream open and silent.
  watch->context_.AddMetadata("hasleader", "true");
  if (!token.empty()) watch->context_.AddMetadata("token", token);
  watch->stream_ = watch->stub_->Watch(&watch->context_);

  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  create->set_key(options.key);
  if (options.prefix) {
    create->set_range_end(RangeEndForPrefix(options.key));
  } else if (!options.range_end.empty()) {
    create->set_range_end(options.range_end);
  }
  create->set_start_revision(options.start_revision);
  create->set_progress_notify(options.progress_notify);
  create->set_prev_kv(options.prev_kv);
  {
    // When the write fails the reader still runs: its Read fails at once and Finish says why.
    MutexLock lock(&watch->write_mu_);
    watch->stream_->Write(request);
  }
  {
    MutexLock lock(&watch->mu_);
    watch->resume_revision_ = options.start_revision;
  }
  watch->reader_ = std::thread([w = watch.get()] { w->ReadLoop(); });

  MutexLock lock(&watch->mu_);
  while (!watch->created_ && !watch->ended_) {
    if (watch->changed_.WaitWithDeadline(&watch->mu_, created_deadline)) break;
  }
  if (watch->created_ && !watch->ended_) return watch;
  if (watch->ended_) {
    *failure = watch->end_raw_;
  } else {
    *failure = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            "no reply to the watch's create request in time");
  }
  return nullptr;  // the destructor cancels the stream and joins the reader
}

void EtcdWatch::ReadLoop() {
  const std::string what = absl::StrCat("Watch of '", absl::CEscape(options_.key), "'",
                                        options_.prefix ? "*" : (options_.range_end.empty() ? "" : "..."), " at ", endpoint_);
  etcdserverpb::WatchResponse response;
  bool read_failed = false;
  while (true) {
    if (!stream_->Read(&response)) {
      read_failed = true;
      break;
    }
    MutexLock lock(&mu_);
    if (cancel_requested_) break;
    if (response.created()) {
      created_revision_ = response.header().revision();
      watch_id_ = response.watch_id();
      if (response.canceled()) {
        // Refused at creation; the reason is one of etcd's error strings, e.g. "etcdserver:
        // invalid auth token" or "etcdserver: permission denied".
        grpc::Status raw(grpc::StatusCode::FAILED_PRECONDITION, response.cancel_reason());
        End(EtcdStatusToAbsl(raw, what, /*write=*/false), raw);
        break;
      }
      created_ = true;
      if (options_.start_revision == 0) resume_revision_ = created_revision_ + 1;
      changed_.SignalAll();
      continue;
    }
    if (response.canceled() || response.compact_revision() != 0) {
      if (response.compact_revision() != 0) {
        compact_revision_ = response.compact_revision();
        End(absl::OutOfRangeError(absl::StrCat(
                "etcd: ", what, ": revision ", options_.start_revision,
                " is compacted; the oldest revision etcd has is ", compact_revision_)),
            grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "compacted"));
      } else {
        grpc::Status raw(grpc::StatusCode::CANCELLED,
                         response.cancel_reason().empty() ? "watch canceled by etcd"
                                                          : response.cancel_reason());
        End(EtcdStatusToAbsl(raw, what, /*write=*/false), raw);
      }
      break;
    }
    // A batch of events, or a progress notification (no events; watch_id -1 when it answers
    // RequestProgress).
    WatchBatch batch;
    batch.revision = response.header().revision();
    batch.events.reserve(response.events_size());
    for (const mvccpb::Event& e : response.events()) {
      WatchEvent event;
      event.type = e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete
                                                      : WatchEvent::Type::kPut;
      event.kv = FromProto(e.kv());
      if (e.has_prev_kv()) event.prev_kv = FromProto(e.prev_kv());
      batch.events.push_back(std::move(event));
    }
    while (queue_.size() >= kMaxQueuedBatches && !cancel_requested_) changed_.Wait(&mu_);
    if (cancel_requested_) break;
    queue_.push_back(std::move(batch));
    changed_.SignalAll();
  }
  // The server keeps a stream open after cancelling one of its watchers: close ours, drain what
  // gRPC still delivers, then collect the final status (Finish needs Read to have failed).
  context_.TryCancel();
  for (int i = 0; !read_failed && i < kMaxDrainReads; ++i) {
    if (!stream_->Read(&response)) read_failed = true;
  }
  grpc::Status finish = stream_->Finish();
  MutexLock lock(&mu_);
  if (cancel_requested_) {
    End(absl::CancelledError(absl::StrCat("etcd: ", what, ": cancelled")),
        grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  } else {
    if (finish.ok()) finish = grpc::Status(grpc::StatusCode::UNAVAILABLE, "watch stream ended");
    End(EtcdStatusToAbsl(finish, what, /*write=*/false), finish);
  }
}

void EtcdWatch::End(absl::Status status, grpc::Status raw) {
  if (ended_) return;
  ended_ = true;
  end_status_ = std::move(status);
  end_raw_ = std::move(raw);
  changed_.SignalAll();
}

absl::StatusOr<WatchBatch> EtcdWatch::Next(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  while (queue_.empty() && !ended_) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  if (!queue_.empty()) {
    WatchBatch batch = std::move(queue_.front());
    queue_.pop_front();
    changed_.SignalAll();  // room for the reader
    int64_t last = batch.events.empty() ? batch.revision : batch.events.back().kv.mod_revision;
    if (last + 1 > resume_revision_) resume_revision_ = last + 1;
    return batch;
  }
  if (ended_) return end_status_;
  return absl::DeadlineExceededError(
      absl::StrCat("etcd: no watch response from ", endpoint_, " within ",
                   absl::FormatDuration(timeout)));
}

absl::Status EtcdWatch::RequestProgress() {
  {
    MutexLock lock(&mu_);
    if (ended_) return end_status_;
  }
  etcdserverpb::WatchRequest request;
  request.mutable_progress_request();
  MutexLock lock(&write_mu_);
  if (!stream_->Write(request)) {
    return absl::UnavailableError(
        absl::StrCat("etcd: watch stream to ", endpoint_, " is closed"));
  }
  return absl::OkStatus();
}

void EtcdWatch::Cancel() {
  {
    MutexLock lock(&mu_);
    if (cancel_requested_) return;
    cancel_requested_ = true;
    changed_.SignalAll();
  }
  context_.TryCancel();
}

int64_t EtcdWatch::resume_revision() const {
  MutexLock lock(&mu_);
  return resume_revision_;
}

int64_t EtcdWatch::compact_revision() const {
  MutexLock lock(&mu_);
  return compact_revision_;
}

}  // namespace authd::storage::etcd
