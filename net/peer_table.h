// PeerTable: what authd's HTTP/2 front remembers about each client address: how many
// connections it has open, how fast it may open new ones, and its recent offences ("strikes":
// connections closed for breaking an H2Policer rule). Limits are per peer (the IP address; an
// IPv6 peer is its /64) and in total. A strike empties the peer's accept bucket and halves the
// frame budgets its next connections get (H2Policer's penalty_shift); strikes decay one per
// `strike_decay_ns`, so a peer that stops misbehaving is back to normal within a minute.
//
// Note for deployments: behind a load balancer or NAT that does not preserve client addresses,
// every client shares one peer: raise the per-peer limits there (README "Hostile network").
//
// Pure (time passed in); thread-compatible (the front's loop owns it).
#ifndef AUTHD_NET_PEER_TABLE_H_
#define AUTHD_NET_PEER_TABLE_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "net/token_bucket.h"

namespace authd::net {

struct PeerLimits {
  // Connections open at once, in total. Default: 4096.
  int max_connections = 4096;
  // Connections open at once from one peer. Default: 512.
  int max_connections_per_peer = 512;
  // New connections one peer may open. Default: 128 at once, 64/s.
  RateLimit accepts_per_peer{128, 64};
  // How long a strike counts. Default: 10 s.
  int64_t strike_decay_ns = int64_t{10'000'000'000};
  // Strikes remembered at most (penalty_shift is capped at this). Default: 6.
  int max_strikes = 6;
};

enum class AdmitVerdict { kAdmitted, kTooManyConnections, kTooManyFromPeer, kPeerRateLimited };

absl::string_view AdmitVerdictName(AdmitVerdict v);

class PeerTable {
 public:
  explicit PeerTable(const PeerLimits& limits) : limits_(limits) {}

  struct Admission {
    AdmitVerdict verdict = AdmitVerdict::kAdmitted;
    int penalty_shift = 0;  // the peer's current strikes, for H2Policer
  };

  // A new connection from `peer`. When admitted, it counts until Release(peer).
  Admission Admit(absl::string_view peer, int64_t now_ns);
  void Release(absl::string_view peer);
  // `peer` broke a rule: one more strike, and its accept bucket is emptied.
  void Strike(absl::string_view peer, int64_t now_ns);

  // Forgets peers with no connection, no strike and a full accept bucket (bounds the table).
  void Sweep(int64_t now_ns);

  int total_connections() const { return total_; }
  int connections_of(absl::string_view peer) const;
  size_t peers() const { return peers_.size(); }

 private:
  struct Entry {
    int connections = 0;
    int strikes = 0;
    int64_t last_strike_ns = 0;
    TokenBucket accepts;
  };
  Entry& Get(absl::string_view peer, int64_t now_ns);
  void Decay(Entry& e, int64_t now_ns) const;

  PeerLimits limits_;
  int total_ = 0;
  absl::flat_hash_map<std::string, Entry> peers_;
};

// The peer key of a socket address as text ("127.0.0.1", "2001:db8:1:2::/64"); "unknown" if it
// is neither IPv4 nor IPv6. `addr` is a sockaddr_storage.
std::string PeerKey(const void* addr);
// "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000", gRPC's spelling of a peer.
std::string PeerUri(const void* addr);

}  // namespace authd::net

#endif  // AUTHD_NET_PEER_TABLE_H_
