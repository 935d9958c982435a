#include "client/authorizer.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "authz/resource_type.h"
#include "base/clock.h"

namespace authd::client {
namespace {

namespace v1 = ::authd::v1;
using google::protobuf::util::TimeUtil;

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

authz::Id IdOr0(const std::string& text) {
  absl::StatusOr<authz::Id> id = authz::ParseOptionalId(text, "id");
  return id.ok() ? *id : 0;
}

int64_t NanosOr0(const v1::Authorization& a, bool (v1::Authorization::*has)() const,
                 const google::protobuf::Timestamp& (v1::Authorization::*get)() const) {
  return (a.*has)() ? TimeUtil::TimestampToNanoseconds((a.*get)()) : 0;
}

// The grant a streamed token describes. Permissions authd sent that this client cannot parse
// (a newer resource type) are left out: the cache then denies what authd might allow, and the
// caller's RPC fallback is never needed for a permission the cache holds.
authz::TokenGrant GrantOf(const v1::Authorization& a) {
  std::vector<authz::Permission> perms;
  perms.reserve(a.permissions_size());
  for (const v1::Permission& p : a.permissions()) {
    auto action = authz::ParseAction(p.action());
    auto type = authz::ParseResourceType(p.resource().type());
    if (!action || !type) continue;
    perms.push_back(authz::Permission{
        *action, authz::Resource{*type, IdOr0(p.resource().id()), IdOr0(p.resource().org_id())}});
  }
  authz::TokenGrant g(IdOr0(a.id()), IdOr0(a.user_id()), IdOr0(a.org_id()),
                      a.status() == "active", std::move(perms));
  g.expires_at_ns = NanosOr0(a, &v1::Authorization::has_expires_at, &v1::Authorization::expires_at);
  return g;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Create(AuthorizerOptions options) {
  if (options.target.empty()) return absl::InvalidArgumentError("target: required");
  if (options.watch_token.empty()) return absl::InvalidArgumentError("watch_token: required");
  if (absl::Status s = authz::ParseOptionalId(options.org_id, "org_id").status(); !s.ok()) return s;
  if (options.checkpoint_interval < absl::Milliseconds(100) ||
      options.checkpoint_interval > absl::Seconds(60)) {
    return absl::InvalidArgumentError("checkpoint_interval: want 100ms to 60s");
  }
  if (options.max_staleness < options.checkpoint_interval) {
    return absl::InvalidArgumentError(
        "max_staleness: must be at least checkpoint_interval (else the cache is never fresh)");
  }
  if (!options.credentials) options.credentials = grpc::InsecureChannelCredentials();
  std::unique_ptr<Authorizer> a(new Authorizer(std::move(options)));
  a->stream_thread_ = std::thread([p = a.get()] { p->RunStream(); });
  return a;
}

Authorizer::Authorizer(AuthorizerOptions options) : options_(std::move(options)) {
  channel_ = grpc::CreateChannel(options_.target, options_.credentials);
  authorize_ = v1::AuthorizeService::NewStub(channel_);
  watch_ = v1::AuthorizationService::NewStub(channel_);
}

Authorizer::~Authorizer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    if (stream_ctx_ != nullptr) stream_ctx_->TryCancel();
    stop_cv_.SignalAll();
  }
  if (stream_thread_.joinable()) stream_thread_.join();
}

absl::Duration Authorizer::Staleness() const {
  const int64_t last = last_message_ns_.load(std::memory_order_acquire);
  if (last == 0) return absl::InfiniteDuration();
  return absl::Nanoseconds(SteadyNowNs() - last);
}

bool Authorizer::Fresh() const { return Staleness() <= options_.max_staleness; }

bool Authorizer::WaitFresh(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Fresh()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

AuthorizerStats Authorizer::stats() const {
  AuthorizerStats s;
  s.cache_hits = cache_hits_.load();
  s.rpcs = rpcs_.load();
  s.stream_restarts = stream_restarts_.load();
  s.relists = relists_.load();
  s.position = position_.load();
  ReaderMutexLock lock(&mu_);
  s.cached_grants = live_.grants.size();
  s.cached_tokens = tokens_.size();
  return s;
}

absl::StatusOr<Decision> Authorizer::Authorize(absl::string_view token,
                                               const authz::Permission& requested) {
  const authz::TokenDigest digest = authz::DigestToken(token);
  if (Fresh()) {
    ReaderMutexLock lock(&mu_);
    auto t = tokens_.find(digest);
    if (t != tokens_.end()) {
      auto g = live_.grants.find(t->second);
      if (g != live_.grants.end()) {
        const authz::TokenGrant& grant = g->second.grant;
        const authz::Decision d =
            authz::Decide(&grant, live_.inactive_users.count(grant.user_id) == 0, requested,
                          CoarseNowNanos());
        cache_hits_.fetch_add(1, std::memory_order_relaxed);
        return Decision{d.allowed, d.reason, d.authorization_id, d.user_id, d.org_id, true};
      }
    }
  }
  return AuthorizeByRpc(token, requested, digest);
}

absl::StatusOr<Decision> Authorizer::AuthorizeByRpc(absl::string_view token,
                                                    const authz::Permission& requested,
                                                    const authz::TokenDigest& digest) {
  // What the cache knew before asking: a token is learned only if nothing that could change
  // which secrets are valid (a relist, a rotation of its token) happened while the RPC was in
  // flight. The token's ID is unknown until the answer, so every grant's generation is checked
  // after it against a snapshot of the epoch and of the rotation counter.
  uint64_t epoch_before = 0;
  uint64_t rotations_before = 0;
  {
    ReaderMutexLock lock(&mu_);
    epoch_before = epoch_;
    rotations_before = rotations_;
  }
  v1::AuthorizeRequest req;
  req.set_token(std::string(token));
  req.set_action(std::string(authz::ActionName(requested.action)));
  req.mutable_resource()->set_type(std::string(authz::ResourceTypeName(requested.resource.type)));
  if (requested.resource.id != 0) req.mutable_resource()->set_id(authz::FormatId(requested.resource.id));
  if (requested.resource.org_id != 0) {
    req.mutable_resource()->set_org_id(authz::FormatId(requested.resource.org_id));
  }
  // Not older than what the cache has seen: behind a balancer the RPC may reach a replica that
  // lags the one streaming, where a secret retired by a rotation the cache applied still works.
  const uint64_t seen = position_.load(std::memory_order_acquire);
  req.set_min_position(seen);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
  v1::AuthorizeResponse resp;
  rpcs_.fetch_add(1, std::memory_order_relaxed);
  grpc::Status s = authorize_->Authorize(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s);
  Decision d;
  d.allowed = resp.allowed();
  d.reason = static_cast<authz::DenyReason>(resp.reason());
  d.authorization_id = IdOr0(resp.authorization_id());
  d.user_id = IdOr0(resp.user_id());
  d.org_id = IdOr0(resp.org_id());
  // Never learned: unknown tokens, a rotated-away secret (in or just past its grace period), an
  // expired token (its secret may be one the sweeper has not retired yet), or an answer from a
  // view older than the cache's.
  if (d.authorization_id == 0 || resp.previous_secret() || d.reason == authz::DenyReason::kExpired ||
      (seen != 0 && resp.position() < seen) || !Fresh()) {
    return d;
  }
  // Learn it: known to authd, and to the cache with no rotation grace in progress.
  MutexLock lock(&mu_);
  if (epoch_ != epoch_before || rotations_ != rotations_before) return d;
  if (tokens_.size() >= options_.max_cached_tokens) return d;
  auto g = live_.grants.find(d.authorization_id);
  if (g == live_.grants.end()) return d;  // not in the watch token's scope (or not listed yet)
  if (g->second.previous_valid_until_ns > CoarseNowNanos()) return d;
  if (tokens_.emplace(digest, d.authorization_id).second) {
    by_id_[d.authorization_id].push_back(digest);
  }
  return d;
}

void Authorizer::ForgetTokensLocked(authz::Id id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  for (const authz::TokenDigest& digest : it->second) tokens_.erase(digest);
  by_id_.erase(it);
}

void Authorizer::ApplyLocked(const v1::WatchAuthorizationsResponse& m, Maps* maps) {
  const v1::Authorization& a = m.authorization();
  const authz::Id id = IdOr0(a.id());
  switch (m.kind()) {
    case v1::CHANGE_KIND_DELETED:
      maps->grants.erase(id);
      if (maps == &live_) ForgetTokensLocked(id);
      return;
    case v1::CHANGE_KIND_USER_STATUS:
      if (m.user_active()) {
        maps->inactive_users.erase(IdOr0(a.user_id()));
      } else {
        maps->inactive_users.insert(IdOr0(a.user_id()));
      }
      return;
    case v1::CHANGE_KIND_CHECKPOINT:
    case v1::CHANGE_KIND_UNSPECIFIED:
      return;
    default:
      break;
  }
  // EXISTING, CREATED, UPDATED, ACTIVATED, DEACTIVATED, EXPIRED, ROTATED: the token as it is now.
  Entry& e = maps->grants[id];
  e.grant = GrantOf(a);
  e.previous_valid_until_ns = NanosOr0(a, &v1::Authorization::has_previous_token_valid_until,
                                       &v1::Authorization::previous_token_valid_until);
  if (m.user_active()) {
    maps->inactive_users.erase(e.grant.user_id);
  } else {
    maps->inactive_users.insert(e.grant.user_id);
  }
  if (m.kind() == v1::CHANGE_KIND_EXPIRED) {
    if (m.previous_secret()) {
      if (maps == &live_) ForgetTokensLocked(id);  // defence: none should have been learned
    } else {
      // authd's clock said so: expired now, whatever this host's clock says.
      const int64_t now = CoarseNowNanos();
      if (e.grant.expires_at_ns == 0 || e.grant.expires_at_ns > now) e.grant.expires_at_ns = now;
    }
  }
  if (m.kind() == v1::CHANGE_KIND_ROTATED) {
    ++rotations_;
    // Which presented secret is the new one is unknown here: forget them all; authd judges the
    // next use of each, and nothing is learned until the old secret's grace period is over.
    if (e.previous_valid_until_ns == 0) e.previous_valid_until_ns = CoarseNowNanos();
    if (maps == &live_) ForgetTokensLocked(id);
  }
}

void Authorizer::RunStream() {
  uint64_t position = 0;
  bool relisting = true;
  absl::Duration backoff = absl::Milliseconds(100);
  for (;;) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Token " + options_.watch_token);
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      stream_ctx_ = &ctx;
    }
    v1::WatchAuthorizationsRequest req;
    req.set_from_position(relisting ? 0 : position);
    req.set_org_id(options_.org_id);
    *req.mutable_checkpoint_interval() = TimeUtil::NanosecondsToDuration(
        absl::ToInt64Nanoseconds(options_.checkpoint_interval));
    std::unique_ptr<grpc::ClientReader<v1::WatchAuthorizationsResponse>> reader =
        watch_->WatchAuthorizations(&ctx, req);
    Maps staged;  // a listing builds here and replaces the live maps at its checkpoint
    // Freshness counts only from the first caught-up checkpoint of this connection: before it the
    // stream is replaying what the cache missed.
    bool caught_up = false;
    v1::WatchAuthorizationsResponse m;
    while (reader->Read(&m)) {
      backoff = absl::Milliseconds(100);
      {
        MutexLock lock(&mu_);
        if (relisting) {
          if (m.kind() != v1::CHANGE_KIND_CHECKPOINT) {
            ApplyLocked(m, &staged);
            continue;
          }
          live_ = std::move(staged);
          staged = Maps();
          tokens_.clear();
          by_id_.clear();
          ++epoch_;
          relisting = false;
          relists_.fetch_add(1, std::memory_order_relaxed);
        } else {
          ApplyLocked(m, &live_);
        }
      }
      position = m.position();
      position_.store(position, std::memory_order_release);
      if (m.kind() == v1::CHANGE_KIND_CHECKPOINT && m.caught_up()) caught_up = true;
      if (caught_up) last_message_ns_.store(SteadyNowNs(), std::memory_order_release);
      if (options_.on_change && m.kind() != v1::CHANGE_KIND_CHECKPOINT) options_.on_change(m);
    }
    const grpc::Status status = reader->Finish();
    MutexLock lock(&mu_);
    stream_ctx_ = nullptr;
    if (stopping_) return;
    stream_restarts_.fetch_add(1, std::memory_order_relaxed);
    if (status.error_code() == grpc::StatusCode::OUT_OF_RANGE ||
        status.error_code() == grpc::StatusCode::ABORTED || position == 0) {
      relisting = true;
      // The view is known to be wrong (a restore, a lost history): stale at once, so every
      // decision goes to authd until the relist completes.
      last_message_ns_.store(0, std::memory_order_release);
    }
    // Until the stream is back the cache ages; past max_staleness decisions go to authd.
    stop_cv_.WaitWithTimeout(&mu_, backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

}  // namespace authd::client
