// EtcdClient: a small synchronous client of an etcd v3 cluster (KV, Watch, Auth, Maintenance,
// Cluster) over the stubs generated from etcd's own protos (storage/etcd/BUILD.bazel). It is the
// transport under authd's replicated event log (ADR 0005) and knows nothing of authd's records.
//
// Endpoints and failover: one gRPC channel per endpoint. A call goes to the member that answered
// last; when that member cannot be reached, has no leader (every KV call and watch carries etcd's
// `hasleader=true` metadata, clientv3's WithRequireLeader), or, for a read, does not answer within
// `attempt_timeout`, the call moves to the next endpoint, round robin, waiting a bounded back-off
// once every endpoint has been tried, until the call's deadline (`call_timeout`). When no member
// answers in time the error is kUnavailable, naming each endpoint tried and what it said.
//
// Writes (Put, a Txn with a put or a delete, Compact) are sent again only when etcd certainly did
// not act on them (not connected, "no leader", "not capable", "too many requests"): a write that
// reached a member which then failed is reported as kUnknown or kDeadlineExceeded, "outcome
// unknown", never silently retried (a retried compare-and-swap would report a conflict with
// itself). See storage/etcd/etcd_status.h for every error's code.
//
// Authentication: with `user`, the client calls Auth.Authenticate and sends the token as the
// `token` metadata; when etcd says the token is invalid or predates an auth change it
// authenticates again, once per call. Passwords and tokens never appear in error messages.
//
// Thread-safety: every method may be called from many threads at once (gRPC stubs are
// thread-safe; the current endpoint and the token are behind one authd::Mutex, never held across
// an RPC). The client owns its channels; a watch shares its channel and may outlive the client.
#ifndef AUTHD_STORAGE_ETCD_ETCD_CLIENT_H_
#define AUTHD_STORAGE_ETCD_ETCD_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "storage/etcd/etcd_types.h"
#include "storage/etcd/etcd_watch.h"

namespace authd::storage::etcd {

struct EtcdClientOptions {
  // The members' client URLs, "http://host:port" or "https://host:port". At least one.
  std::vector<std::string> endpoints;

  // TLS for https:// endpoints, as PEM file paths. Empty `ca_file`: the system's roots. A client
  // certificate needs both `cert_file` and `key_file`. Default: empty.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;

  // An etcd user and its password; empty `user`: no authentication. Default: empty.
  std::string user;
  std::string password;

  // The deadline of each call, across every failover and back-off. Default: 5 s.
  absl::Duration call_timeout = absl::Seconds(5);
  // How long to wait for a connection to one member before trying the next. Default: 2 s.
  absl::Duration dial_timeout = absl::Seconds(2);
  // How long a read (Range, a Txn without puts, MemberList, Authenticate, a watch's creation)
  // waits for one member before trying the next; writes wait until the call's deadline.
  // Default: 2 s.
  absl::Duration attempt_timeout = absl::Seconds(2);
  // Back-off between attempts once every endpoint has failed in this call: doubles from
  // `initial_backoff` up to `max_backoff`. Default: 25 ms, 500 ms.
  absl::Duration initial_backoff = absl::Milliseconds(25);
  absl::Duration max_backoff = absl::Milliseconds(500);
};

class EtcdClient {
 public:
  // Counters for operations and tests.
  struct Stats {
    uint64_t authentications = 0;  // successful Auth.Authenticate calls
    uint64_t failovers = 0;        // times a call moved on to another endpoint
  };

  // Checks the options and opens a (lazily connecting) channel per endpoint; talks to no member.
  // Errors: kInvalidArgument (no endpoint, a malformed URL, https without usable TLS files).
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(EtcdClientOptions options);

  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // The key, or a range of keys. Errors: kOutOfRange (`revision` compacted or in the future),
  // kUnavailable (no member answered), kUnauthenticated, kPermissionDenied.
  absl::StatusOr<RangeResult> Range(const std::string& key, const RangeOptions& options = {});

  // Sets `key` to `value`; returns the revision of the change. Errors: kInvalidArgument (too
  // large), kResourceExhausted (etcd's space quota), kUnavailable (not applied), kUnknown /
  // kDeadlineExceeded (outcome unknown), kUnauthenticated, kPermissionDenied.
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value);

  // If every compare holds, runs `then` else `otherwise`, atomically. A failed compare is a
  // result (succeeded = false), not an error. Errors: those of Put (a Txn with a put or delete is a write),
  // and kInvalidArgument for etcd's txn limits (--max-txn-ops, a key put twice).
  absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                const std::vector<TxnOp>& then,
                                const std::vector<TxnOp>& otherwise = {});

  // Opens a watch, on the first member that confirms it (failover as for a read). Errors:
  // kUnavailable, kUnauthenticated, kPermissionDenied; a compacted start revision is reported
  // by the watch's first Next (kOutOfRange), as etcd reports it.
  absl::StatusOr<std::unique_ptr<EtcdWatch>> Watch(const WatchOptions& options);

  // Discards the history before `revision` (etcd's KV.Compact); `physical` waits until the
  // backend has really removed it. Errors: kOutOfRange (already compacted past `revision`, or in
  // the future), and those of Put.
  absl::Status Compact(int64_t revision, bool physical);

  // Per-member maintenance: `endpoint` must be one of the options' endpoints, and only that member
  // is asked (no failover, no leader needed). Errors: kInvalidArgument (unknown endpoint),
  // kUnavailable (the member did not answer within the call's deadline).
  absl::StatusOr<MemberStatus> Status(const std::string& endpoint);
  absl::Status Defragment(const std::string& endpoint);

  // The cluster's members, from any member (failover as for a read).
  absl::StatusOr<std::vector<Member>> MemberList();

  // The endpoint the next call goes to first (the last one that answered).
  std::string current_endpoint() const;
  const std::vector<std::string>& endpoints() const { return options_.endpoints; }
  Stats stats() const;

 private:
  struct Endpoint;
  // kRead and kWrite carry `hasleader=true`; kLocal calls (Status, Defragment, MemberList) are
  // answered by the member alone and work without a leader, so they do not.
  enum class CallKind { kRead, kWrite, kLocal };
  // When the token is missing: authenticate (unless etcd said auth is off), authenticate even so,
  // or go without (kLocal calls: no Authenticate, which needs a leader).
  enum class AuthMode { kIfNeeded, kForce, kCachedOnly };
  // One attempt at one member: the RPC with `context` (deadline and metadata already set). A
  // watch, which makes its own context, takes the token and the attempt's deadline instead.
  using Attempt = std::function<grpc::Status(Endpoint& endpoint, grpc::ClientContext* context,
                                             const std::string& token, absl::Time deadline)>;

  explicit EtcdClient(EtcdClientOptions options);
  absl::Status InitChannels();

  // Runs `attempt` with failover, back-off, re-authentication and the error mapping above; at
  // `only` alone (no failover) when it is not null.
  absl::Status Call(const char* method, CallKind kind, Endpoint* only, const Attempt& attempt);
  // Waits (at most until `deadline`) for `endpoint`'s channel to be connected. With
  // `wait_through_failure` false, a channel whose connection attempt failed is given up at once.
  grpc::Status Connect(Endpoint& endpoint, absl::Time deadline, bool wait_through_failure);
  // The token to send to `endpoint` ("" without authentication), authenticating per `mode`.
  // Failures are the Authenticate call's, for Call to classify.
  grpc::Status Token(Endpoint& endpoint, absl::Time deadline, AuthMode mode, std::string* token);
  // Forgets `token` (if it is still the current one) so the next attempt authenticates again.
  void DropToken(const std::string& token);
  Endpoint* FindEndpoint(const std::string& url);

  const EtcdClientOptions options_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;

  mutable Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
  std::string token_ ABSL_GUARDED_BY(mu_);
  // Authenticate said auth is not enabled: send no token until etcd asks for one.
  bool auth_disabled_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<uint64_t> authentications_{0};
  std::atomic<uint64_t> failovers_{0};
};

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_ETCD_CLIENT_H_
