// EtcdWatch: one etcd v3 watch (a key or a prefix, from a revision) as a blocking stream of
// batches. EtcdClient::Watch opens it on one member, with etcd's `hasleader=true` metadata
// (clientv3's WithRequireLeader): a member that loses its leader ends the watch with kUnavailable
// instead of going silent. A watch does not fail over by itself: on an error the caller opens a
// new one from resume_revision(), which never skips or repeats an event.
//
// Ownership: the watch holds its own gRPC channel reference and may outlive the EtcdClient that
// opened it. A reader thread moves etcd's responses into a bounded queue (at most 256 batches;
// when it is full, gRPC flow control holds etcd back).
//
// Thread-safety: Next, resume_revision and compact_revision from one consumer thread at a time;
// Cancel and RequestProgress from any thread.
#ifndef AUTHD_STORAGE_ETCD_ETCD_WATCH_H_
#define AUTHD_STORAGE_ETCD_ETCD_WATCH_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "storage/etcd/etcd_types.h"

namespace authd::storage::etcd {

class EtcdWatch {
 public:
  ~EtcdWatch();  // cancels the watch and joins the reader thread
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  // The next batch of events, or a progress notification (no events). Blocks until one arrives,
  // `timeout` passes, or the watch ends. Errors:
  //   kDeadlineExceeded  nothing arrived within `timeout`; the watch goes on
  //   kOutOfRange        the start revision was compacted: compact_revision() is the oldest
  //                      revision etcd still has (load a snapshot, then watch from there)
  //   kUnavailable       the member lost its leader or the connection: watch again from
  //                      resume_revision(), e.g. on another member
  //   kPermissionDenied  the user may not read the key range
  //   kCancelled         Cancel() was called
  // Once the watch has ended every further call returns the same error.
  absl::StatusOr<WatchBatch> Next(absl::Duration timeout);

  // Asks etcd for a progress notification now (etcd 3.4's WatchProgressRequest): a batch with
  // no events and the current revision arrives on Next. Errors: kUnavailable (the stream ended).
  absl::Status RequestProgress();

  // Ends the watch; a blocked Next returns kCancelled. Idempotent.
  void Cancel();

  // The revision to start a new watch from so that it continues this one exactly: one past the
  // last revision Next delivered (an event's or a progress notification's).
  int64_t resume_revision() const;
  // Set when the watch ended with kOutOfRange: etcd's compact revision. 0 otherwise.
  int64_t compact_revision() const;
  // The store's revision when etcd created the watch.
  int64_t created_revision() const { return created_revision_; }
  int64_t watch_id() const { return watch_id_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  friend class EtcdClient;

  // Opens a watch on `channel` and waits until etcd confirms it was created, at most until
  // `created_deadline`. On failure returns nullptr and sets `*failure` to what the member said
  // (for EtcdClient to decide whether to try another member).
  static std::unique_ptr<EtcdWatch> Open(std::shared_ptr<grpc::Channel> channel,
                                         std::string endpoint, const std::string& token,
                                         const WatchOptions& options, absl::Time created_deadline,
                                         grpc::Status* failure);

  EtcdWatch(std::shared_ptr<grpc::Channel> channel, std::string endpoint, WatchOptions options);
  void ReadLoop();
  // Records how the watch ended (first call wins) and wakes the consumer.
  void End(absl::Status status, grpc::Status raw) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  const std::string endpoint_;
  const WatchOptions options_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest,
                                           etcdserverpb::WatchResponse>> stream_;
  std::thread reader_;
  Mutex write_mu_;  // one writer at a time on the stream (gRPC's rule)

  // Written once, before Open returns.
  int64_t created_revision_ = 0;
  int64_t watch_id_ = 0;

  mutable Mutex mu_;
  CondVar changed_;
  bool created_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool cancel_requested_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);
  grpc::Status end_raw_ ABSL_GUARDED_BY(mu_);  // for Open's failure report
  int64_t compact_revision_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t resume_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<WatchBatch> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_WATCH_H_
