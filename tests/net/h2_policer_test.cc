// H2Policer: each rule as a table row (a frame sequence and what the policer must say), plus the
// properties that keep it a transparent pipe for well-behaved clients: every byte of a good
// stream is consumed whatever the read boundaries, time refills the buckets, stream ends from the
// server free slots, and a penalty shrinks the budgets.
#include "net/h2_policer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/net/h2_test_frames.h"

namespace authd::net {
namespace {

using namespace authd::net::testing;  // NOLINT: frame builders

constexpr int64_t kT0 = 1'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// `n` streams, each opened and then cancelled: the rapid-reset pattern.
std::string OpenAndReset(int n, uint32_t first = 1) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    uint32_t id = first + 2 * static_cast<uint32_t>(i);
    out += Headers(id) + Rst(id);
  }
  return out;
}

H2Policer::Result Feed(H2Policer& p, const std::string& bytes, int64_t now = kT0) {
  return p.Consume(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), now);
}

struct Row {
  const char* name;
  std::string bytes;  // after the preface
  Violation want;
};

TEST(H2PolicerTest, Rules) {
  H2Limits limits;  // defaults: 200 streams, 64 KiB / 16 frames per block, buckets as documented
  const std::vector<Row> rows = {
      {"a unary call", Settings() + Headers(1) + Data(1), Violation::kNone},
      {"headers with continuations within limits",
       Headers(1, 0) + Continuation(1) + Continuation(1, h2::kEndHeaders), Violation::kNone},
      {"continuation flood (CVE-2024-27316 class)",
       Headers(1, 0) + Repeat(Continuation(1), 100), Violation::kHeaderBlockTooLarge},
      {"a header block over 64 KiB in one CONTINUATION",
       Headers(1, 0) + Continuation(1, 0, 70 << 10), Violation::kHeaderBlockTooLarge},
      {"a HEADERS frame over 64 KiB", Headers(1, h2::kEndHeaders, 65 << 10),
       Violation::kHeaderBlockTooLarge},
      {"a header block interrupted by a PING", Headers(1, 0) + Ping(),
       Violation::kHeaderBlockInterrupted},
      {"a CONTINUATION of another stream", Headers(1, 0) + Continuation(3),
       Violation::kHeaderBlockInterrupted},
      {"a CONTINUATION without HEADERS", Continuation(1), Violation::kProtocol},
      {"rapid reset (CVE-2023-44487)", OpenAndReset(1000), Violation::kResetFlood},
      {"cancels within the burst", OpenAndReset(150), Violation::kNone},
      {"ping flood", Repeat(Ping(), 100), Violation::kPingFlood},
      {"pings within the burst", Repeat(Ping(), 30), Violation::kNone},
      {"settings flood", Repeat(Settings(), 50), Violation::kSettingsFlood},
      {"window-update flood", Repeat(WindowUpdate(0, 1), 1000), Violation::kControlFrameFlood},
      {"priority flood", Repeat(Priority(1), 1000), Violation::kControlFrameFlood},
      {"empty DATA flood", Headers(1) + Repeat(Data(1, 0, 0), 1000),
       Violation::kControlFrameFlood},
      {"resets of closed streams", Headers(1) + Data(1) + Repeat(Rst(1), 1000),
       Violation::kControlFrameFlood},
      {"PING ACK flood", Repeat(Ping(h2::kAck), 1000), Violation::kControlFrameFlood},
      {"too many open streams", [] {
         std::string s;
         for (uint32_t i = 0; i < 201; ++i) s += Headers(1 + 2 * i);
         return s;
       }(),
       Violation::kTooManyStreams},
      {"HEADERS on an even stream", Headers(2), Violation::kProtocol},
      {"HEADERS on stream 0", Headers(0), Violation::kProtocol},
      {"DATA on stream 0", Data(0), Violation::kProtocol},
      {"PING of the wrong size", Frame(h2::kPing, 0, 0, "short"), Violation::kProtocol},
      {"RST_STREAM of the wrong size", Frame(h2::kRstStream, 0, 1, "x"), Violation::kProtocol},
      {"SETTINGS not a multiple of 6", Frame(h2::kSettings, 0, 0, "12345"), Violation::kProtocol},
      {"SETTINGS ACK with a payload", Frame(h2::kSettings, h2::kAck, 0, "123456"),
       Violation::kProtocol},
      {"SETTINGS over the payload cap", Frame(h2::kSettings, 0, 0, std::string(600, '\0')),
       Violation::kProtocol},
      {"an initial window over 2^31-1", Settings(h2::kSettingsInitialWindowSize, 0x80000000u, false),
       Violation::kProtocol},
      {"WINDOW_UPDATE of 0", WindowUpdate(0, 0), Violation::kProtocol},
      {"connection window past 2^31-1", WindowUpdate(0, 0x7fffffff), Violation::kProtocol},
      {"PUSH_PROMISE from a client", Frame(h2::kPushPromise, 0, 1, std::string(4, '\0')),
       Violation::kProtocol},
      {"GOAWAY from the client is fine", Frame(h2::kGoAway, 0, 0, std::string(8, '\0')),
       Violation::kNone},
      {"unknown frame types count as control frames", Repeat(Frame(0x42, 0, 0, "x"), 1000),
       Violation::kControlFrameFlood},
      {"SETTINGS ACK flood", Repeat(SettingsAck(), 1000), Violation::kControlFrameFlood},
      {"GOAWAY flood", Repeat(Frame(h2::kGoAway, 0, 0, std::string(8, '\0')), 1000),
       Violation::kControlFrameFlood},
      {"trailers flood on an open stream", Headers(1) + Repeat(Headers(1), 1000),
       Violation::kControlFrameFlood},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    H2Policer p(limits, kT0);
    std::string all = Preface() + row.bytes;
    H2Policer::Result r = Feed(p, all);
    EXPECT_EQ(r.violation, row.want) << ViolationName(r.violation);
    if (row.want == Violation::kNone) {
      EXPECT_EQ(r.consumed, all.size());
    } else {
      EXPECT_LT(r.consumed, all.size()) << "the offending frame is never passed on";
      EXPECT_EQ(p.violation(), row.want) << "a violation is sticky";
      EXPECT_EQ(Feed(p, Ping()).consumed, 0u);
    }
  }
}

TEST(H2PolicerTest, BadPrefaceIsRefusedAtTheFirstWrongByte) {
  H2Policer p(H2Limits{}, kT0);
  EXPECT_EQ(Feed(p, "PRI * HTTP/2").violation, Violation::kNone);  // a prefix: wait
  EXPECT_EQ(Feed(p, "PRI * HTTP/2").consumed, 0u);
  H2Policer q(H2Limits{}, kT0);
  EXPECT_EQ(Feed(q, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").violation, Violation::kBadPreface);
  EXPECT_FALSE(q.preface_done());
}

// A good stream passes whole whatever the read boundaries: bytes a call does not consume are
// offered again with more, as the front does.
TEST(H2PolicerTest, EveryReadBoundaryGivesTheSameResult) {
  const std::string stream = Preface() + Settings(h2::kSettingsInitialWindowSize, 1 << 20, false) +
                             WindowUpdate(0, 1 << 20) + Headers(1, 0) +
                             Continuation(1, h2::kEndHeaders, 300) + Data(1, 0, 40) +
                             Data(1, h2::kEndStream, 7) + Ping() + SettingsAck() + Headers(3) +
                             Rst(3);
  for (size_t chunk = 1; chunk <= 64; ++chunk) {
    SCOPED_TRACE(chunk);
    H2Policer p(H2Limits{}, kT0);
    std::string held;
    size_t forwarded = 0;
    for (size_t pos = 0; pos < stream.size(); pos += chunk) {
      held += stream.substr(pos, chunk);
      H2Policer::Result r = Feed(p, held);
      ASSERT_EQ(r.violation, Violation::kNone);
      forwarded += r.consumed;
      held.erase(0, r.consumed);
      ASSERT_LT(held.size(), 64u) << "holds no more than a header, preface or small frame";
    }
    EXPECT_EQ(forwarded, stream.size());
    EXPECT_TRUE(held.empty());
  }
}

TEST(H2PolicerTest, BucketsRefillWithTime) {
  H2Policer p(H2Limits{}, kT0);
  ASSERT_EQ(Feed(p, Preface() + Repeat(Ping(), 32)).violation, Violation::kNone);
  // The burst is spent; 8/s refill: one second later 8 more pass, the 9th would not.
  EXPECT_EQ(Feed(p, Repeat(Ping(), 8), kT0 + kSecond).violation, Violation::kNone);
  EXPECT_EQ(Feed(p, Ping(), kT0 + kSecond).violation, Violation::kPingFlood);
}

TEST(H2PolicerTest, SustainedCancelsAtTheRateAreAllowed) {
  H2Policer p(H2Limits{}, kT0);
  ASSERT_EQ(Feed(p, Preface()).violation, Violation::kNone);
  uint32_t next = 1;
  // 10 s of 100 cancels/s (the default rate): a client cancelling on deadlines.
  for (int s = 1; s <= 10; ++s) {
    ASSERT_EQ(Feed(p, OpenAndReset(100, next), kT0 + s * kSecond).violation, Violation::kNone);
    next += 200;
  }
}

TEST(H2PolicerTest, ServerStreamEndsFreeSlots) {
  H2Limits limits;
  limits.max_open_streams = 2;
  H2Policer p(limits, kT0);
  ASSERT_EQ(Feed(p, Preface() + Headers(1) + Data(1) + Headers(3) + Data(3)).violation,
            Violation::kNone);
  EXPECT_EQ(p.open_streams(), 2u);
  // The server answers stream 1 (HEADERS, DATA, trailers with END_STREAM): one slot is free.
  std::string answer = Frame(h2::kHeaders, h2::kEndHeaders, 1, "r") + Data(1, 0, 10) +
                       Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1, "t");
  p.ConsumeServer(reinterpret_cast<const uint8_t*>(answer.data()), answer.size(), kT0);
  EXPECT_EQ(p.open_streams(), 1u);
  EXPECT_EQ(p.server_frame_boundary(), answer.size());
  EXPECT_EQ(Feed(p, Headers(5) + Data(5)).violation, Violation::kNone);
  EXPECT_EQ(Feed(p, Headers(7)).violation, Violation::kTooManyStreams);
  // A cancel after the server finished is not a premature reset.
}

TEST(H2PolicerTest, ServerFrameBoundaryTracksPartialFrames) {
  H2Policer p(H2Limits{}, kT0);
  std::string frames = Data(1, 0, 100) + Ping(h2::kAck);
  // Byte by byte: the boundary moves only when a frame is complete.
  uint64_t boundaries = 0;
  uint64_t last = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    p.ConsumeServer(reinterpret_cast<const uint8_t*>(frames.data()) + i, 1, kT0);
    if (p.server_frame_boundary() != last) {
      ++boundaries;
      last = p.server_frame_boundary();
    }
  }
  EXPECT_EQ(boundaries, 2u);
  EXPECT_EQ(p.server_frame_boundary(), frames.size());
  EXPECT_EQ(p.server_bytes(), frames.size());
}

TEST(H2PolicerTest, ZeroWindowStallIsDetectedAfterTheTimeout) {
  H2Limits limits;
  limits.stall_timeout_ns = 5 * kSecond;
  H2Policer p(limits, kT0);
  ASSERT_EQ(Feed(p, Preface() + Settings(h2::kSettingsInitialWindowSize, 0, false) + Headers(1) +
                        Data(1))
                .violation,
            Violation::kNone);
  EXPECT_EQ(p.CheckStall(kT0 + 4 * kSecond), Violation::kNone);
  EXPECT_EQ(p.CheckStall(kT0 + 5 * kSecond), Violation::kFlowControlStall);
}

TEST(H2PolicerTest, GrantingWindowIsProgress) {
  H2Limits limits;
  limits.stall_timeout_ns = 5 * kSecond;
  H2Policer p(limits, kT0);
  ASSERT_EQ(Feed(p, Preface() + Headers(1) + Data(1)).violation, Violation::kNone);
  // The server fills the connection window, and the client keeps granting more.
  std::string data = Data(1, 0, 16384);
  for (int i = 0; i < 4; ++i) {
    p.ConsumeServer(reinterpret_cast<const uint8_t*>(data.data()), data.size(), kT0);
  }
  std::string last = Data(1, 0, 16383);
  p.ConsumeServer(reinterpret_cast<const uint8_t*>(last.data()), last.size(), kT0);
  EXPECT_EQ(p.CheckStall(kT0 + 6 * kSecond), Violation::kFlowControlStall) << "window at 0";
  ASSERT_EQ(Feed(p, WindowUpdate(0, 65535) + WindowUpdate(1, 65535), kT0 + 6 * kSecond).violation,
            Violation::kNone);
  EXPECT_EQ(p.CheckStall(kT0 + 7 * kSecond), Violation::kNone);
}

TEST(H2PolicerTest, AFinishedStreamIsNoStall) {
  H2Limits limits;
  limits.stall_timeout_ns = kSecond;
  H2Policer p(limits, kT0);
  ASSERT_EQ(Feed(p, Preface() + Headers(1) + Data(1)).violation, Violation::kNone);
  // The response uses exactly the default window, then trailers end the stream.
  std::string answer = Data(1, 0, 65535) + Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1, "t");
  p.ConsumeServer(reinterpret_cast<const uint8_t*>(answer.data()), answer.size(), kT0);
  EXPECT_EQ(p.CheckStall(kT0 + 10 * kSecond), Violation::kNone);
}

TEST(H2PolicerTest, AStallEndsWithTheBlockedStream) {
  H2Limits limits;
  limits.stall_timeout_ns = 5 * kSecond;
  H2Policer p(limits, kT0);
  ASSERT_EQ(Feed(p, Preface() + Headers(1) + Data(1) + Headers(3) + Data(3)).violation,
            Violation::kNone);
  // Stream 1's window is spent; the client then cancels stream 1. Stream 3 is a slow call the
  // server has not answered yet: not a stall.
  std::string data = Data(1, 0, 65535);
  p.ConsumeServer(reinterpret_cast<const uint8_t*>(data.data()), data.size(), kT0);
  ASSERT_EQ(Feed(p, WindowUpdate(0, 1 << 20) + Rst(1), kT0 + kSecond).violation, Violation::kNone);
  EXPECT_EQ(p.CheckStall(kT0 + 10 * kSecond), Violation::kNone);
}

// grpc-go and Netty send a BDP PING for (nearly) every DATA frame they receive.
TEST(H2PolicerTest, APingPerResponseIsNotAFlood) {
  H2Policer p(H2Limits{}, kT0);
  ASSERT_EQ(Feed(p, Preface() + Settings()).violation, Violation::kNone);
  std::string answer = Frame(h2::kHeaders, h2::kEndHeaders, 0, "r");
  for (uint32_t i = 0; i < 2000; ++i) {
    uint32_t id = 1 + 2 * i;
    int64_t now = kT0 + i * (kSecond / 1000);  // 1,000 calls/s
    ASSERT_EQ(Feed(p, Headers(id) + Data(id), now).violation, Violation::kNone) << i;
    std::string response = Frame(h2::kHeaders, h2::kEndHeaders, id, "r") + Data(id, 0, 12) +
                           Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, id, "t");
    p.ConsumeServer(reinterpret_cast<const uint8_t*>(response.data()), response.size(), now);
    ASSERT_EQ(Feed(p, Ping() + WindowUpdate(0, 12), now).violation, Violation::kNone) << i;
  }
}

TEST(H2PolicerTest, PenaltyShrinksBudgets) {
  H2Policer fresh(H2Limits{}, kT0, 0);
  H2Policer penalized(H2Limits{}, kT0, 3);  // 200 cancels >> 3 = 25
  EXPECT_EQ(Feed(fresh, Preface() + OpenAndReset(30)).violation, Violation::kNone);
  EXPECT_EQ(Feed(penalized, Preface() + OpenAndReset(30)).violation, Violation::kResetFlood);
  H2Policer floor(H2Limits{}, kT0, 16);  // never below 4
  EXPECT_EQ(Feed(floor, Preface() + Repeat(Ping(), 4)).violation, Violation::kNone);
}

TEST(H2PolicerTest, NamesAndCodes) {
  EXPECT_EQ(ViolationName(Violation::kResetFlood), "reset_flood");
  EXPECT_EQ(GoAwayCodeFor(Violation::kResetFlood), h2::kEnhanceYourCalm);
  EXPECT_EQ(GoAwayCodeFor(Violation::kProtocol), h2::kProtocolError);
  EXPECT_EQ(GoAwayCodeFor(Violation::kBadPreface), h2::kProtocolError);
}

}  // namespace
}  // namespace authd::net
