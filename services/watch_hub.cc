#include "services/watch_hub.h"

#include <google/protobuf/util/time_util.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "base/log.h"
#include "services/api_convert.h"
#include "services/authorization_scope.h"

namespace authd::services {
namespace {

namespace v1 = ::authd::v1;
namespace spb = ::authd::storage::v1;

// Events read per round by the live fan-out, and per stream by a replay; tokens listed per
// stream per round.
constexpr size_t kLiveChunk = 1000;
constexpr size_t kReplayChunk = 256;
constexpr size_t kListChunk = 256;

enum class Phase { kAhead, kListing, kReplay, kLive };

// One event turned into what watchers see: the shared message and what decides who sees it.
struct Change {
  WatchMessage message;
  // A token change: its id, org and user (org 0: a deletion logged before events named it).
  authz::Id id = 0;
  authz::Id org_id = 0;
  authz::Id user_id = 0;
  // A user's status change: the user's tokens (a caller sees the change if it may read one).
  bool user_status = false;
  std::vector<spb::AuthorizationRecord> user_tokens;
};

// A checkpoint at `position`; `caught_up` when the stream has everything applied so far.
WatchMessage Checkpoint(uint64_t position, bool caught_up) {
  auto m = std::make_shared<v1::WatchAuthorizationsResponse>();
  m->set_position(position);
  m->set_kind(v1::CHANGE_KIND_CHECKPOINT);
  m->set_caught_up(caught_up);
  return m;
}

}  // namespace

struct WatchHub::Stream {
  WatchSubscriber* sink;
  WatchSpec spec;
  Phase phase = Phase::kReplay;
  // The next log position this stream is owed (everything before it was sent or filtered out).
  uint64_t next = 1;
  // Listing: the state's position, and the last token listed.
  uint64_t list_position = 0;
  authz::Id list_after = 0;
  absl::Time ahead_deadline;
  absl::Time last_sent;
  // When the caller's token was last checked (every checkpoint_interval, whatever the traffic).
  absl::Time last_auth;
  // The subscriber's Written() as last seen, and when it last moved (the stall clock).
  uint64_t written_seen = 0;
  absl::Time progress_at;
};

// What one round of the hub's thread shares: a renderer (its name caches live for one round) and
// the conversion of events into Changes.
class WatchHub::Round {
 public:
  explicit Round(const ServiceDeps& deps) : deps_(deps), render_(deps.store) {}

  // nullopt for an event no watcher sees (uses, hashing, tenants, setup). Errors: the store's
  // (not kNotFound): the change cannot be built now, and must not be skipped.
  absl::StatusOr<std::optional<Change>> Convert(const spb::Event& e) {
    Change c;
    v1::ChangeKind kind = v1::CHANGE_KIND_UNSPECIFIED;
    authz::Id id = 0;
    bool previous_secret = false;
    switch (e.body_case()) {
      case spb::Event::kAuthorizationCreated:
        kind = v1::CHANGE_KIND_CREATED;
        id = e.authorization_created().authorization().id();
        break;
      case spb::Event::kAuthorizationUpdated: {
        const spb::AuthorizationUpdated& u = e.authorization_updated();
        id = u.id();
        kind = !u.has_status()                      ? v1::CHANGE_KIND_UPDATED
               : u.status() == spb::STATUS_INACTIVE ? v1::CHANGE_KIND_DEACTIVATED
                                                    : v1::CHANGE_KIND_ACTIVATED;
        break;
      }
      case spb::Event::kAuthorizationExpired:
        kind = v1::CHANGE_KIND_EXPIRED;
        id = e.authorization_expired().id();
        previous_secret = e.authorization_expired().previous_token();
        break;
      case spb::Event::kAuthorizationRotated:
        kind = v1::CHANGE_KIND_ROTATED;
        id = e.authorization_rotated().id();
        break;
      case spb::Event::kAuthorizationDeleted: {
        const spb::AuthorizationDeleted& d = e.authorization_deleted();
        auto m = std::make_shared<v1::WatchAuthorizationsResponse>();
        m->set_position(e.sequence());
        m->set_kind(v1::CHANGE_KIND_DELETED);
        m->mutable_authorization()->set_id(authz::FormatId(d.id()));
        if (d.org_id() != 0) m->mutable_authorization()->set_org_id(authz::FormatId(d.org_id()));
        if (d.user_id() != 0) m->mutable_authorization()->set_user_id(authz::FormatId(d.user_id()));
        c.message = std::move(m);
        c.id = d.id();
        c.org_id = d.org_id();
        c.user_id = d.user_id();
        return std::optional<Change>(std::move(c));
      }
      case spb::Event::kUserUpdated:
        if (!e.user_updated().has_status()) return std::optional<Change>();
        return UserStatus(e.sequence(), e.user_updated().id(),
                          e.user_updated().status() != spb::STATUS_INACTIVE);
      case spb::Event::kUserDeleted:
        return UserStatus(e.sequence(), e.user_deleted().id(), false);
      default:
        return std::optional<Change>();
    }
    // The token as it is now (at or after this event). Gone: a deletion follows in the log.
    absl::StatusOr<spb::AuthorizationRecord> auth = deps_.store->GetAuthorization(id);
    if (absl::IsNotFound(auth.status())) return std::optional<Change>();
    if (!auth.ok()) return auth.status();
    c.message = Render(e.sequence(), kind, *auth, previous_secret);
    c.id = auth->id();
    c.org_id = auth->org_id();
    c.user_id = auth->user_id();
    return std::optional<Change>(std::move(c));
  }

  WatchMessage Render(uint64_t position, v1::ChangeKind kind, const spb::AuthorizationRecord& auth,
                      bool previous_secret = false) {
    auto m = std::make_shared<v1::WatchAuthorizationsResponse>();
    m->set_position(position);
    m->set_kind(kind);
    *m->mutable_authorization() = render_.Authorization(auth);
    m->mutable_authorization()->clear_token();  // never a secret, even one stored raw
    m->set_user_active(deps_.index->UserActive(auth.user_id()));
    m->set_previous_secret(previous_secret);
    return m;
  }

 private:
  absl::StatusOr<std::optional<Change>> UserStatus(uint64_t position, authz::Id user_id,
                                                   bool active) {
    Change c;
    c.user_status = true;
    c.user_id = user_id;
    auto m = std::make_shared<v1::WatchAuthorizationsResponse>();
    m->set_position(position);
    m->set_kind(v1::CHANGE_KIND_USER_STATUS);
    m->mutable_authorization()->set_user_id(authz::FormatId(user_id));
    m->set_user_active(active);
    c.message = std::move(m);
    absl::Status s = deps_.store
                         ->ScanAuthorizations(user_id, 0, 0,
                                              [&](const spb::AuthorizationRecord& auth) {
                                                c.user_tokens.push_back(auth);
                                                return true;
                                              })
                         .status();
    if (!s.ok()) return s;  // a partial list could hide the change from a stream that needs it
    return std::optional<Change>(std::move(c));
  }

  const ServiceDeps& deps_;
  ApiRenderer render_;
};

namespace {

bool Visible(const WatchSpec& spec, const Change& c) {
  if (!c.user_status && c.org_id == 0) {
    // A deletion logged before deletions named their token's org and user: only its id is
    // sent, and to every stream (whatever its filters), since a cache that kept a deleted token
    // would keep allowing it.
    return true;
  }
  if (spec.user_id != 0 && c.user_id != spec.user_id) return false;
  if (c.user_status) {
    for (const spb::AuthorizationRecord& auth : c.user_tokens) {
      if (spec.org_id != 0 && auth.org_id() != spec.org_id) continue;
      if (MayReadToken(spec.caller, auth.id(), auth.org_id(), auth.user_id())) return true;
    }
    return false;
  }
  if (spec.org_id != 0 && c.org_id != spec.org_id) return false;
  return MayReadToken(spec.caller, c.id, c.org_id, c.user_id);
}

}  // namespace

WatchHub::WatchHub(ServiceDeps deps, WatchHubOptions options)
    : deps_(deps), options_(options) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Start() {
  MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  live_next_ = deps_.store->AppliedPosition() + 1;
  restores_seen_ = deps_.store->restores();
  thread_ = std::thread([this] { Run(); });
}

void WatchHub::Stop() {
  std::map<uint64_t, std::unique_ptr<Stream>> ending;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    ending.swap(streams_);
    for (auto& [id, stream] : ending) {
      stream->sink->End(absl::UnavailableError("authd is stopping: resume on another replica"));
    }
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<uint64_t> WatchHub::Subscribe(WatchSubscriber* subscriber, WatchSpec spec) {
  MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("authd is stopping");
  if (streams_.size() >= options_.max_watchers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many watch streams (", options_.max_watchers, "): try again later"));
  }
  auto stream = std::make_unique<Stream>();
  stream->sink = subscriber;
  const uint64_t from = spec.from_position;
  if (from == 0) {
    stream->phase = Phase::kListing;
    stream->list_position = deps_.store->AppliedPosition();
  } else {
    stream->phase = Phase::kAhead;  // Step moves it on to replay once `from` is applied here
    stream->next = from + 1;
    stream->ahead_deadline = absl::Now() + options_.ahead_wait;
  }
  stream->spec = std::move(spec);
  stream->last_sent = absl::Now();
  stream->last_auth = stream->last_sent;
  stream->progress_at = stream->last_sent;
  const uint64_t id = next_id_++;
  streams_.emplace(id, std::move(stream));
  return id;
}

void WatchHub::Unsubscribe(uint64_t id) {
  MutexLock lock(&mu_);
  streams_.erase(id);
}

size_t WatchHub::watchers() const {
  MutexLock lock(&mu_);
  return streams_.size();
}

void WatchHub::Run() {
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      Step();
    }
    // Wakes at once when the next event is applied, else after idle_wait (new streams, and
    // checkpoints, wait at most that long).
    uint64_t next;
    {
      MutexLock lock(&mu_);
      next = live_next_;
    }
    (void)deps_.store->AwaitPosition(next, absl::Now() + options_.idle_wait);
  }
}

void WatchHub::Step() {
  const absl::Time now = absl::Now();
  const uint64_t applied = deps_.store->AppliedPosition();
  std::vector<std::pair<uint64_t, absl::Status>> ending;
  auto end = [&](uint64_t id, absl::Status status) { ending.emplace_back(id, std::move(status)); };
  // Queues `m`; a full queue sends the stream back to replay from `s.next` (paced by what its
  // client reads), so a burst of changes does not cut off a client that keeps up.
  auto deliver = [&](Stream& s, WatchMessage m) {
    if (!s.sink->Push(std::move(m))) {
      if (s.phase == Phase::kLive) s.phase = Phase::kReplay;
      return false;
    }
    s.last_sent = now;
    return true;
  };
  // The `caught_up` checkpoint: the stream has everything applied through `position`.
  auto caught_up = [&](Stream& s) { return deliver(s, Checkpoint(s.next - 1, true)); };
  Round round(deps_);

  const uint64_t restores = deps_.store->restores();
  if (applied + 1 < live_next_ || restores != restores_seen_) {
    // A restore replaced the store (or the log went back). Positions from before mean nothing.
    restores_seen_ = restores;
    for (auto& [id, s] : streams_) {
      end(id, absl::AbortedError("the store was restored from a backup: relist (from_position 0)"));
    }
    live_next_ = applied + 1;
  }

  // The live fan-out: each new event converted once, for every stream that is caught up.
  bool any_live = false;
  for (auto& [id, s] : streams_) any_live |= s->phase == Phase::kLive;
  if (!any_live) live_next_ = std::max(live_next_, applied + 1);  // nobody to convert for
  while (live_next_ <= applied) {
    absl::StatusOr<std::vector<spb::Event>> events = deps_.store->ReadEvents(live_next_, kLiveChunk);
    if (!events.ok() || events->empty()) {
      if (!events.ok()) LogWarning(absl::StrCat("watch: reading the log: ", events.status().message()));
      break;
    }
    if (events->front().sequence() != live_next_) {
      // A replica that resynced from a snapshot (etcd mode) has no local copy of the events in
      // between: the live streams cannot be told what they were. They relist.
      for (auto& [id, s] : streams_) {
        if (s->phase != Phase::kLive) continue;
        end(id, absl::OutOfRangeError(
                    "this authd resynced from a snapshot past your position: relist "
                    "(from_position 0)"));
      }
      live_next_ = events->front().sequence();
    }
    bool failed = false;
    for (const spb::Event& e : *events) {
      // Only what is applied (the log may hold an event a moment before it is): else the next
      // round would see the applied position behind live_next_.
      if (e.sequence() > applied) break;
      absl::StatusOr<std::optional<Change>> c = round.Convert(e);
      if (!c.ok()) {
        // Not skipped: the next round tries this event again.
        LogWarning(absl::StrCat("watch: building change ", e.sequence(), ": ", c.status().message()));
        failed = true;
        break;
      }
      for (auto& [id, s] : streams_) {
        if (s->phase != Phase::kLive || s->next != e.sequence()) continue;
        if (*c && Visible(s->spec, **c) && !deliver(*s, (*c)->message)) continue;
        s->next = e.sequence() + 1;
      }
      live_next_ = e.sequence() + 1;
    }
    if (failed || live_next_ <= events->back().sequence()) break;
  }

  for (auto& [id, sp] : streams_) {
    Stream& s = *sp;
    // The caller's token, checked again every interval whatever the stream is doing.
    if (now - s.last_auth >= s.spec.checkpoint_interval) {
      s.last_auth = now;
      absl::StatusOr<authz::Principal> caller =
          deps_.auth->AuthenticateToken(s.spec.token, s.spec.peer);
      if (!caller.ok()) {
        end(id, absl::UnauthenticatedError(
                    absl::StrCat("watch: the caller's token no longer authenticates: ",
                                 caller.status().message())));
        continue;
      }
    }
    // A client that reads nothing while messages wait is cut off after stall_timeout.
    const uint64_t written = s.sink->Written();
    if (written != s.written_seen || s.sink->Pending() == 0) {
      s.written_seen = written;
      s.progress_at = now;
    } else if (now - s.progress_at >= options_.stall_timeout) {
      LogWarning(absl::StrCat("watch: cut off a stream of ", s.spec.peer, " (authorization ",
                              authz::FormatId(s.spec.caller.authorization_id), "): it read nothing for ",
                              absl::FormatDuration(options_.stall_timeout)));
      end(id, absl::ResourceExhaustedError(absl::StrCat(
                  "watch: the client read nothing for ", absl::FormatDuration(options_.stall_timeout),
                  " while ", s.sink->Pending(),
                  " messages waited: resume from the last position received")));
      continue;
    }
    if (s.phase == Phase::kAhead) {
      if (s.next - 1 <= applied) {
        s.phase = Phase::kReplay;
      } else if (now >= s.ahead_deadline) {
        end(id, absl::OutOfRangeError(absl::StrCat(
                    "from_position ", s.next - 1, " is ahead of this authd's log (applied ",
                    applied, "): relist (from_position 0)")));
        continue;
      } else {
        continue;
      }
    }
    // Listing and replay run only while the client keeps up.
    if (s.sink->Pending() >= kWatchQueueLimit / 2) continue;
    if (s.phase == Phase::kListing) {
      size_t listed = 0;
      bool full = false;
      absl::StatusOr<bool> exhausted = deps_.store->ScanAuthorizations(
          s.spec.user_id, s.spec.org_id, s.list_after, [&](const spb::AuthorizationRecord& auth) {
            if (MayReadToken(s.spec.caller, auth.id(), auth.org_id(), auth.user_id()) &&
                !deliver(s, round.Render(s.list_position, v1::CHANGE_KIND_EXISTING, auth))) {
              full = true;
              return false;
            }
            s.list_after = auth.id();
            return ++listed < kListChunk;
          });
      if (full) continue;
      if (!exhausted.ok()) {
        end(id, absl::UnavailableError(
                    absl::StrCat("listing tokens: ", exhausted.status().message())));
        continue;
      }
      if (*exhausted) {
        // The listing's end: not caught up yet (the replay from list_position follows).
        if (!deliver(s, Checkpoint(s.list_position, /*caught_up=*/false))) continue;
        s.next = s.list_position + 1;
        s.phase = Phase::kReplay;
      }
      continue;
    }
    if (s.phase == Phase::kReplay) {
      if (s.next < live_next_) {
        const size_t want = std::min<uint64_t>(kReplayChunk, live_next_ - s.next);
        absl::StatusOr<std::vector<spb::Event>> events = deps_.store->ReadEvents(s.next, want);
        if (!events.ok()) {
          end(id, absl::UnavailableError(
                      absl::StrCat("reading the log: ", events.status().message())));
          continue;
        }
        if (events->empty() || events->front().sequence() != s.next) {
          end(id, absl::OutOfRangeError(absl::StrCat(
                      "from_position ", s.next - 1,
                      " is older than this authd's log keeps: relist (from_position 0)")));
          continue;
        }
        bool stop = false;
        for (const spb::Event& e : *events) {
          if (e.sequence() >= live_next_) break;
          absl::StatusOr<std::optional<Change>> c = round.Convert(e);
          if (!c.ok()) {
            end(id, absl::UnavailableError(absl::StrCat("building a change: ", c.status().message())));
            stop = true;
            break;
          }
          if (*c && Visible(s.spec, **c) && !deliver(s, (*c)->message)) break;
          s.next = e.sequence() + 1;
        }
        if (stop) continue;
      }
      // Caught up: live from here, and the client is told so.
      if (s.next >= live_next_ && caught_up(s)) s.phase = Phase::kLive;
      continue;
    }
    // Live and idle: a checkpoint.
    if (now - s.last_sent >= s.spec.checkpoint_interval) caught_up(s);
  }

  for (auto& [id, status] : ending) {
    auto it = streams_.find(id);
    if (it == streams_.end()) continue;  // ended twice in this round
    it->second->sink->End(std::move(status));
    streams_.erase(it);
  }
}

}  // namespace authd::services
