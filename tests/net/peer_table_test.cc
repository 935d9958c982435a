// PeerTable: the per-peer and total connection limits, the accept rate, strikes and their decay,
// and the address keys (IPv4, IPv4-mapped IPv6, IPv6 /64).
#include "net/peer_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "gtest/gtest.h"

namespace authd::net {
namespace {

constexpr int64_t kT0 = 1'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;

TEST(PeerTableTest, LimitsPerPeerAndInTotal) {
  PeerLimits limits;
  limits.max_connections = 3;
  limits.max_connections_per_peer = 2;
  limits.accepts_per_peer = {100, 100};
  PeerTable t(limits);
  EXPECT_EQ(t.Admit("a", kT0).verdict, AdmitVerdict::kAdmitted);
  EXPECT_EQ(t.Admit("a", kT0).verdict, AdmitVerdict::kAdmitted);
  EXPECT_EQ(t.Admit("a", kT0).verdict, AdmitVerdict::kTooManyFromPeer);
  EXPECT_EQ(t.Admit("b", kT0).verdict, AdmitVerdict::kAdmitted);
  EXPECT_EQ(t.Admit("c", kT0).verdict, AdmitVerdict::kTooManyConnections);
  EXPECT_EQ(t.total_connections(), 3);
  t.Release("a");
  EXPECT_EQ(t.connections_of("a"), 1);
  EXPECT_EQ(t.Admit("c", kT0).verdict, AdmitVerdict::kAdmitted);
  t.Release("never-seen");  // harmless
  EXPECT_EQ(t.total_connections(), 3);
}

TEST(PeerTableTest, AcceptRatePerPeer) {
  PeerLimits limits;
  limits.accepts_per_peer = {4, 2};
  PeerTable t(limits);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(t.Admit("a", kT0).verdict, AdmitVerdict::kAdmitted);
  EXPECT_EQ(t.Admit("a", kT0).verdict, AdmitVerdict::kPeerRateLimited);
  EXPECT_EQ(t.Admit("b", kT0).verdict, AdmitVerdict::kAdmitted) << "other peers are not affected";
  EXPECT_EQ(t.Admit("a", kT0 + kSecond / 2).verdict, AdmitVerdict::kAdmitted) << "2/s refill";
}

TEST(PeerTableTest, StrikesPenalizeAndDecay) {
  PeerLimits limits;
  limits.accepts_per_peer = {10, 10};
  limits.strike_decay_ns = 10 * kSecond;
  PeerTable t(limits);
  EXPECT_EQ(t.Admit("a", kT0).penalty_shift, 0);
  t.Strike("a", kT0);
  t.Strike("a", kT0);
  // The accept bucket was emptied: the next connection waits for the refill.
  EXPECT_EQ(t.Admit("a", kT0).verdict, AdmitVerdict::kPeerRateLimited);
  PeerTable::Admission a = t.Admit("a", kT0 + kSecond);
  EXPECT_EQ(a.verdict, AdmitVerdict::kAdmitted);
  EXPECT_EQ(a.penalty_shift, 2);
  EXPECT_EQ(t.Admit("a", kT0 + 11 * kSecond).penalty_shift, 1);
  EXPECT_EQ(t.Admit("a", kT0 + 21 * kSecond).penalty_shift, 0);
  for (int i = 0; i < 20; ++i) t.Strike("b", kT0);
  EXPECT_EQ(t.Admit("b", kT0 + kSecond).penalty_shift, limits.max_strikes);
}

TEST(PeerTableTest, SweepForgetsQuietPeersOnly) {
  PeerLimits limits;
  limits.accepts_per_peer = {2, 1};
  PeerTable t(limits);
  t.Admit("open", kT0);
  t.Admit("gone", kT0);
  t.Release("gone");
  t.Strike("bad", kT0);
  EXPECT_EQ(t.peers(), 3u);
  t.Sweep(kT0 + 5 * kSecond);  // "gone" refilled, no connections, no strikes
  EXPECT_EQ(t.peers(), 2u);
  t.Release("open");
  t.Sweep(kT0 + 60 * kSecond);
  EXPECT_EQ(t.peers(), 0u);
}

TEST(PeerTableTest, Keys) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(5000);
  inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
  EXPECT_EQ(PeerKey(&ss), "127.0.0.1");
  EXPECT_EQ(PeerUri(&ss), "ipv4:127.0.0.1:5000");

  sockaddr_storage s6{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&s6);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", &in6->sin6_addr);
  EXPECT_EQ(PeerKey(&s6), "2001:db8:1:2::/64");
  EXPECT_EQ(PeerUri(&s6), "ipv6:[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443");
  inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6->sin6_addr);
  EXPECT_EQ(PeerKey(&s6), "10.1.2.3");
}

}  // namespace
}  // namespace authd::net
