#include "net/peer_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace authd::net {

absl::string_view AdmitVerdictName(AdmitVerdict v) {
  switch (v) {
    case AdmitVerdict::kAdmitted: return "admitted";
    case AdmitVerdict::kTooManyConnections: return "too_many_connections";
    case AdmitVerdict::kTooManyFromPeer: return "too_many_from_peer";
    case AdmitVerdict::kPeerRateLimited: return "peer_rate_limited";
  }
  return "unknown";
}

void PeerTable::Decay(Entry& e, int64_t now_ns) const {
  if (e.strikes == 0 || limits_.strike_decay_ns <= 0) return;
  int64_t elapsed = now_ns - e.last_strike_ns;
  int64_t decayed = elapsed / limits_.strike_decay_ns;
  if (decayed <= 0) return;
  e.strikes = static_cast<int>(std::max<int64_t>(0, e.strikes - decayed));
  e.last_strike_ns += decayed * limits_.strike_decay_ns;
}

PeerTable::Entry& PeerTable::Get(absl::string_view peer, int64_t now_ns) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    it = peers_.emplace(std::string(peer), Entry{}).first;
    it->second.accepts = TokenBucket(limits_.accepts_per_peer, now_ns);
  }
  return it->second;
}

PeerTable::Admission PeerTable::Admit(absl::string_view peer, int64_t now_ns) {
  Admission a;
  if (total_ >= limits_.max_connections) {
    a.verdict = AdmitVerdict::kTooManyConnections;
    return a;
  }
  Entry& e = Get(peer, now_ns);
  Decay(e, now_ns);
  a.penalty_shift = e.strikes;
  if (e.connections >= limits_.max_connections_per_peer) {
    a.verdict = AdmitVerdict::kTooManyFromPeer;
  } else if (!e.accepts.Take(now_ns)) {
    a.verdict = AdmitVerdict::kPeerRateLimited;
  } else {
    ++e.connections;
    ++total_;
  }
  return a;
}

void PeerTable::Release(absl::string_view peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.connections == 0) return;
  --it->second.connections;
  --total_;
}

void PeerTable::Strike(absl::string_view peer, int64_t now_ns) {
  Entry& e = Get(peer, now_ns);
  Decay(e, now_ns);
  e.strikes = std::min(e.strikes + 1, limits_.max_strikes);
  e.last_strike_ns = now_ns;
  e.accepts.Drain(now_ns);
}

void PeerTable::Sweep(int64_t now_ns) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    Entry& e = it->second;
    Decay(e, now_ns);
    if (e.connections == 0 && e.strikes == 0 &&
        e.accepts.tokens(now_ns) >= limits_.accepts_per_peer.burst) {
      peers_.erase(it++);
    } else {
      ++it;
    }
  }
}

int PeerTable::connections_of(absl::string_view peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.connections;
}

std::string PeerKey(const void* addr) {
  const auto* sa = static_cast<const sockaddr*>(addr);
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = static_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    return buf;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = static_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof(buf));
      return buf;
    }
    in6_addr prefix = in6->sin6_addr;
    std::memset(&prefix.s6_addr[8], 0, 8);
    inet_ntop(AF_INET6, &prefix, buf, sizeof(buf));
    return absl::StrCat(buf, "/64");
  }
  return "unknown";
}

std::string PeerUri(const void* addr) {
  const auto* sa = static_cast<const sockaddr*>(addr);
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = static_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    return absl::StrCat("ipv4:", buf, ":", ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = static_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("ipv6:[", buf, "]:", ntohs(in6->sin6_port));
  }
  return "unknown";
}

}  // namespace authd::net
