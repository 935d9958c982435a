// authd::client::Authorizer: the C++ client for sibling services that decide on every request
// (docs/client.md, ADR 0008). It answers Authorize(token, permission) in-process from a cache
// that authd's WatchAuthorizations stream keeps current, and asks authd over gRPC only for a
// token it has not seen yet or when the cache may be stale.
//
//   - The cache holds every token the watch token may read (its permissions, status, expiry,
//     user status), by authorization ID, and which presented tokens (by their SHA-256, never the
//     token itself) belong to which ID. A token's first decision is an Authorize RPC; the answer
//     names its ID, and later decisions for it are local.
//   - Freshness: a caught-up checkpoint (the server had nothing more to send; every
//     `checkpoint_interval` when idle) and the live changes after it prove the cache current.
//     Staleness() is the time since the last one; replayed history after a reconnect does not
//     count, and a restore or lost history (ABORTED, OUT_OF_RANGE) makes the cache stale at once. Past `max_staleness` every decision goes to authd (and fails
//     with its error if authd cannot be reached): the cache never answers from a view older than
//     the bound.
//   - A revocation (deactivated, deleted, expired, user deactivated) reaches the cache as soon as
//     authd streams it, at worst within one checkpoint interval of the stream being healthy.
//   - Rotation: a rotated token's presented secrets are forgotten, and none are learned while a
//     previous secret is in its grace period, nor from an answer that says the secret is a
//     rotated-away one (`previous_secret`) or expired, nor from an RPC that overlapped a rotation
//     or answered from an older view than the cache's (`min_position`): an old secret is always
//     judged by authd.
//   - The stream resumes from its last position after an error; a position authd no longer has
//     (OUT_OF_RANGE) or a restored store (ABORTED) makes it relist from scratch.
//
// Thread-safe: Authorize may be called from any number of threads. One background thread reads
// the stream. Decisions from the cache take a shared lock, hash the token and allocate nothing.
#ifndef AUTHD_CLIENT_AUTHORIZER_H_
#define AUTHD_CLIENT_AUTHORIZER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authz/decision.h"
#include "authz/permission.h"
#include "authz/token_hash.h"
#include "base/mutex.h"

namespace authd::client {

struct AuthorizerOptions {
  // authd's address, e.g. "127.0.0.1:50051". Required.
  std::string target;
  // Default: plaintext (insecure channel credentials).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The token the stream is opened with: it decides which tokens can be cached (those it may
  // read: `read orgs/<org>/authorizations` and `read users/<user>`, as ListAuthorizations). An
  // operator token, or a token of `read:orgs/<org>/authorizations` + `read:users` for one org.
  // (An org's all-access token reads only its own user's tokens, as in InfluxDB.) Required.
  std::string watch_token;
  // Only cache tokens of this org (optional; empty = every org the watch token may read).
  std::string org_id;
  // The stream's idle checkpoint interval. Default: 1s.
  absl::Duration checkpoint_interval = absl::Seconds(1);
  // Past this since the last message of the stream, decisions go to authd. Default: 5s.
  absl::Duration max_staleness = absl::Seconds(5);
  // Presented tokens remembered at most (beyond, new ones are decided by RPC). Default: 1M.
  size_t max_cached_tokens = 1000000;
  // Deadline of each Authorize RPC. Default: 2s.
  absl::Duration rpc_timeout = absl::Seconds(2);
  // Called on the stream's thread for every change applied after the initial listing (not for
  // the listing's EXISTING messages, nor checkpoints). Optional.
  std::function<void(const authd::v1::WatchAuthorizationsResponse&)> on_change;
};

// A decision, as authd's Authorize makes it.
struct Decision {
  bool allowed = false;
  authz::DenyReason reason = authz::DenyReason::kUnknownToken;
  authz::Id authorization_id = 0;  // set when the token is known
  authz::Id user_id = 0;
  authz::Id org_id = 0;
  bool from_cache = false;
};

struct AuthorizerStats {
  uint64_t cache_hits = 0;
  uint64_t rpcs = 0;
  uint64_t stream_restarts = 0;
  uint64_t relists = 0;
  uint64_t position = 0;  // the stream's last position
  size_t cached_grants = 0;
  size_t cached_tokens = 0;
};

class Authorizer {
 public:
  // Connects and starts the stream (it does not wait for it: see WaitSynced). Errors:
  // kInvalidArgument for missing options.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Create(AuthorizerOptions options);
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // May `token` do `requested`? From the cache when it can, else by RPC. Errors (RPC only):
  // authd's status, e.g. kUnavailable when it cannot be reached, kInvalidArgument.
  absl::StatusOr<Decision> Authorize(absl::string_view token, const authz::Permission& requested);

  // Time since the stream's last message; absl::InfiniteDuration() before the first listing.
  absl::Duration Staleness() const;
  // True once a listing completed and the cache is within max_staleness.
  bool Fresh() const;
  // Waits (at most `timeout`) until Fresh().
  bool WaitFresh(absl::Duration timeout) const;
  AuthorizerStats stats() const;

 private:
  struct Entry {
    authz::TokenGrant grant;
    // While a rotated-away secret may still work, no presented token is learned for this ID.
    int64_t previous_valid_until_ns = 0;
  };
  struct Maps {
    absl::flat_hash_map<authz::Id, Entry> grants;
    absl::flat_hash_set<authz::Id> inactive_users;
  };

  explicit Authorizer(AuthorizerOptions options);
  void RunStream();
  // Applies one change to `maps` (the live ones, or those of a listing in progress).
  void ApplyLocked(const authd::v1::WatchAuthorizationsResponse& m, Maps* maps)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetTokensLocked(authz::Id id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Decision> AuthorizeByRpc(absl::string_view token,
                                          const authz::Permission& requested,
                                          const authz::TokenDigest& digest);

  const AuthorizerOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<authd::v1::AuthorizeService::Stub> authorize_;
  std::unique_ptr<authd::v1::AuthorizationService::Stub> watch_;

  mutable Mutex mu_;
  Maps live_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<authz::TokenDigest, authz::Id, authz::TokenDigestHash> tokens_
      ABSL_GUARDED_BY(mu_);
  // The reverse of tokens_, so a rotation or deletion forgets its tokens without a scan.
  absl::flat_hash_map<authz::Id, std::vector<authz::TokenDigest>> by_id_ ABSL_GUARDED_BY(mu_);
  // Bumped by every relist and every rotation: a token learned by an RPC that overlapped one is
  // not kept (it might be a secret the rotation retired).
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rotations_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ClientContext* stream_ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  CondVar stop_cv_;

  // Steady-clock nanoseconds of the stream's last message; 0 until a listing completed.
  std::atomic<int64_t> last_message_ns_{0};
  std::atomic<uint64_t> position_{0};
  std::atomic<uint64_t> cache_hits_{0}, rpcs_{0}, stream_restarts_{0}, relists_{0};
  std::thread stream_thread_;
};

}  // namespace authd::client

#endif  // AUTHD_CLIENT_AUTHORIZER_H_
