// H2Front in-process, with a fake "gRPC" on the handed-off socketpair: bytes pass both ways
// unchanged (through TLS too is covered end to end by tests/e2e), the peer of a handed-off fd is
// the client's address, a broken rule ends in a GOAWAY naming it at a frame boundary of the
// server's output, connections over the per-peer limit or without a preface are closed, and
// StopAccepting / Shutdown end cleanly. Tagged "tsan": the loop thread, the control thread and
// PeerOf readers share state. Every socket is on 127.0.0.1.
#include "net/h2_front.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "gtest/gtest.h"
#include "tests/net/h2_test_frames.h"

namespace authd::net {
namespace {

using namespace authd::net::testing;  // NOLINT: frame builders

// The fds the front hands over, as gRPC would receive them.
class FakeGrpc {
 public:
  H2Front::Handoff handoff() {
    return [this](int fd) {
      MutexLock lock(&mu_);
      fds_.push_back(fd);
    };
  }
  // Waits (bounded) for the n-th handed-off fd.
  int WaitFd(size_t n = 0) {
    for (int i = 0; i < 500; ++i) {
      {
        MutexLock lock(&mu_);
        if (fds_.size() > n) return fds_[n];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  size_t count() {
    MutexLock lock(&mu_);
    return fds_.size();
  }
  ~FakeGrpc() {
    for (int fd : fds_) close(fd);
  }

 private:
  Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
};

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t r = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (r <= 0) return false;
    off += static_cast<size_t>(r);
  }
  return true;
}

// Reads until `n` bytes arrived, EOF, or 5 s passed.
std::string ReadN(int fd, size_t n) {
  std::string out;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < n && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

// Reads until EOF (or 5 s).
std::string ReadToEof(int fd) { return ReadN(fd, SIZE_MAX); }

FrontOptions LoopbackOptions() {
  FrontOptions o;
  o.listen = "127.0.0.1:0";
  return o;
}

TEST(H2FrontTest, BytesPassBothWaysAndThePeerIsTheClient) {
  auto front = H2Front::Create(LoopbackOptions());
  ASSERT_TRUE(front.ok()) << front.status();
  FakeGrpc grpc;
  ASSERT_TRUE((*front)->Start(grpc.handoff()).ok());
  int client = Connect((*front)->port());
  ASSERT_GE(client, 0);
  const std::string request = Preface() + Settings() + Headers(1) + Data(1, h2::kEndStream, 300);
  ASSERT_TRUE(SendAll(client, request));
  int server = grpc.WaitFd();
  ASSERT_GE(server, 0) << "handed off once the preface arrived";
  EXPECT_EQ(ReadN(server, request.size()), request);
  EXPECT_EQ((*front)->PeerOf(absl::StrCat("fd:", server)).rfind("ipv4:127.0.0.1:", 0), 0u);
  EXPECT_EQ((*front)->PeerOf("ipv4:10.0.0.1:1"), "ipv4:10.0.0.1:1") << "other peers unchanged";

  std::string answer = Settings() + SettingsAck() +
                       Frame(h2::kHeaders, h2::kEndHeaders, 1, "r") + Data(1, 0, 70000 % 16384) +
                       Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1, "t");
  ASSERT_TRUE(SendAll(server, answer));
  EXPECT_EQ(ReadN(client, answer.size()), answer);
  EXPECT_EQ((*front)->stats().handed_off, 1u);
  close(client);
  (*front)->StopAccepting();
  (*front)->Shutdown();
}

TEST(H2FrontTest, ABrokenRuleEndsInAGoAwayAfterTheServersLastWholeFrame) {
  auto front = H2Front::Create(LoopbackOptions());
  ASSERT_TRUE(front.ok());
  FakeGrpc grpc;
  ASSERT_TRUE((*front)->Start(grpc.handoff()).ok());
  int client = Connect((*front)->port());
  ASSERT_TRUE(SendAll(client, Preface() + Settings() + Headers(1)));
  int server = grpc.WaitFd();
  ASSERT_GE(server, 0);
  ReadN(server, Preface().size() + Settings().size() + Headers(1).size());
  // gRPC has answered with one whole frame and half of another when the flood comes.
  const std::string whole = Frame(h2::kHeaders, h2::kEndHeaders, 1, "r");
  const std::string half = Data(1, 0, 100).substr(0, 50);
  ASSERT_TRUE(SendAll(server, whole + half));
  ASSERT_EQ(ReadN(client, whole.size() + half.size()).size(), whole.size() + half.size());
  std::string flood;
  for (int i = 0; i < 200; ++i) flood += Ping();
  ASSERT_TRUE(SendAll(client, flood));
  std::string rest = ReadToEof(client);
  // The client already has half a DATA frame, so no GOAWAY can follow it: the front closes.
  EXPECT_EQ(rest.find("authd: ping_flood"), std::string::npos);
  // gRPC got the PINGs within the budget (32), never the one that broke it, then EOF.
  std::string forwarded = ReadToEof(server);
  EXPECT_EQ(forwarded.size(), 32 * Ping().size());
  close(client);
  (*front)->Shutdown();

  // A clean boundary: the GOAWAY follows the server's last frame. (A fresh front: the strike
  // above emptied 127.0.0.1's accept bucket.)
  front = H2Front::Create(LoopbackOptions());
  ASSERT_TRUE(front.ok());
  FakeGrpc grpc2;
  ASSERT_TRUE((*front)->Start(grpc2.handoff()).ok());
  int c2 = Connect((*front)->port());
  ASSERT_TRUE(SendAll(c2, Preface() + Settings()));
  int s2 = grpc2.WaitFd(0);
  ASSERT_GE(s2, 0);
  ReadN(s2, Preface().size() + Settings().size());
  ASSERT_TRUE(SendAll(s2, Settings()));
  ASSERT_EQ(ReadN(c2, Settings().size()), Settings());
  ASSERT_TRUE(SendAll(c2, flood));
  std::string got = ReadToEof(c2);
  ASSERT_GE(got.size(), 17u) << "a GOAWAY frame";
  h2::FrameHeader h = h2::ParseFrameHeader(reinterpret_cast<const uint8_t*>(got.data()));
  EXPECT_EQ(h.type, h2::kGoAway);
  EXPECT_NE(got.find("authd: ping_flood"), std::string::npos);
  EXPECT_EQ(static_cast<uint8_t>(got[16]), h2::kEnhanceYourCalm);
  EXPECT_EQ((*front)->stats().closed_for_violation, 1u);
  close(c2);
  (*front)->Shutdown();
}

TEST(H2FrontTest, PerPeerLimitAndHandshakeDeadline) {
  FrontOptions o = LoopbackOptions();
  o.peers.max_connections_per_peer = 2;
  o.handshake_timeout_ns = 300'000'000;
  auto front = H2Front::Create(o);
  ASSERT_TRUE(front.ok());
  FakeGrpc grpc;
  ASSERT_TRUE((*front)->Start(grpc.handoff()).ok());
  int a = Connect((*front)->port());
  int b = Connect((*front)->port());
  int c = Connect((*front)->port());
  ASSERT_TRUE(a >= 0 && b >= 0 && c >= 0);
  EXPECT_EQ(ReadToEof(c), "") << "the third connection from 127.0.0.1 is closed at accept";
  // a and b never send a preface: closed after the deadline, nothing handed to gRPC.
  EXPECT_EQ(ReadToEof(a), "");
  EXPECT_EQ(ReadToEof(b), "");
  EXPECT_EQ(grpc.count(), 0u);
  FrontStats s = (*front)->stats();
  EXPECT_EQ(s.refused, 1u);
  EXPECT_EQ(s.handshake_timeouts, 2u);
  close(a);
  close(b);
  close(c);
  (*front)->Shutdown();
}

TEST(H2FrontTest, BadPrefaceIsClosedWithoutHandoff) {
  auto front = H2Front::Create(LoopbackOptions());
  ASSERT_TRUE(front.ok());
  FakeGrpc grpc;
  ASSERT_TRUE((*front)->Start(grpc.handoff()).ok());
  int client = Connect((*front)->port());
  ASSERT_TRUE(SendAll(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(ReadToEof(client), "");
  EXPECT_EQ(grpc.count(), 0u);
  close(client);
  (*front)->Shutdown();
}

TEST(H2FrontTest, StopAcceptingKeepsHandedOffConnectionsFlowing) {
  auto front = H2Front::Create(LoopbackOptions());
  ASSERT_TRUE(front.ok());
  FakeGrpc grpc;
  ASSERT_TRUE((*front)->Start(grpc.handoff()).ok());
  const int port = (*front)->port();
  int client = Connect(port);
  ASSERT_TRUE(SendAll(client, Preface()));
  int server = grpc.WaitFd();
  ASSERT_GE(server, 0);
  int waiting = Connect(port);  // accepted, but no preface yet
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*front)->StopAccepting();
  EXPECT_EQ(ReadToEof(waiting), "") << "not handed off: closed";
  EXPECT_LT(Connect(port), 0) << "the listener is closed";
  ReadN(server, Preface().size());
  ASSERT_TRUE(SendAll(server, Settings()));
  EXPECT_EQ(ReadN(client, Settings().size()), Settings()) << "gRPC's drain still reaches clients";
  // PeerOf from another thread while the loop runs.
  std::thread reader([&] {
    for (int i = 0; i < 100; ++i) (void)(*front)->PeerOf(absl::StrCat("fd:", server));
  });
  reader.join();
  close(server);  // gRPC is done: the front closes the client
  EXPECT_EQ(ReadToEof(client), "");
  close(client);
  close(waiting);
  (*front)->Shutdown();
  (*front)->Shutdown();  // idempotent
}

TEST(H2FrontTest, CreateRejectsBadAddresses) {
  FrontOptions o;
  o.listen = "no-port";
  EXPECT_EQ(H2Front::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:99999";
  EXPECT_EQ(H2Front::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  auto taken = H2Front::Create(LoopbackOptions());
  ASSERT_TRUE(taken.ok());
  FakeGrpc grpc;
  ASSERT_TRUE((*taken)->Start(grpc.handoff()).ok());
  o.listen = absl::StrCat("127.0.0.1:", (*taken)->port());
  auto second = H2Front::Create(o);
  absl::Status status = second.ok() ? (*second)->Start(grpc.handoff()) : second.status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  (*taken)->Shutdown();
}

}  // namespace
}  // namespace authd::net
