// H2Front: authd's own accept loop in front of gRPC. gRPC 1.51 (the newest Debian 12 ships) has no
// defence against the HTTP/2 rapid-reset, CONTINUATION, PING and SETTINGS floods, and no cap on
// connections (docs/adr/0004-http2-front.md). H2Front owns the listening socket; for each client
// it does TLS itself (OpenSSL, net/tls_context.h), checks every frame with an H2Policer, and hands
// gRPC the plaintext over a socketpair (grpc::AddInsecureChannelFromFd, via `Handoff`):
//
//   client --TCP/TLS--> [H2Front: PeerTable admit, TLS, H2Policer] --socketpair--> gRPC chttp2
//
// Per connection: a preface deadline (`handshake_timeout`), frame rules (H2Limits), a write stall
// deadline (a client that stops reading), bounded buffers (at most `max_buffered_bytes` each way;
// beyond it the front stops reading that side, so TCP and HTTP/2 flow control push back). Per
// peer and in total: PeerLimits. A connection that breaks a rule gets a GOAWAY (at a frame
// boundary of gRPC's output) and is closed; gRPC sees its end of the socketpair close and drops the
// calls. Nothing is logged of the bytes: only peer, reason and counts.
//
// The process must ignore SIGPIPE (services/main.cc does): OpenSSL writes to a client socket with
// write(2), and a client that hangs up mid-write would otherwise kill it.
//
// Threads: one loop thread (epoll, level-triggered) does all of the above; Create binds, Start
// runs the loop. PeerOf() and stats() may be called from any thread. StopAccepting and Shutdown
// from one control thread (AuthdServer), in that order.
#ifndef AUTHD_NET_H2_FRONT_H_
#define AUTHD_NET_H2_FRONT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/mutex.h"
#include "net/h2_policer.h"
#include "net/peer_table.h"
#include "net/tls_context.h"

namespace authd::net {

struct FrontOptions {
  // host:port ("127.0.0.1:50051", "[::1]:0", "0.0.0.0:50051"); port 0 picks a free one.
  std::string listen = "127.0.0.1:50051";
  H2Limits h2;
  PeerLimits peers;
  // Time from accept to a complete HTTP/2 client preface (TLS handshake included). Default: 10 s.
  int64_t handshake_timeout_ns = int64_t{10'000'000'000};
  // How long bytes for the client may wait unsent before it counts as not reading. Default: 5 s.
  int64_t write_stall_timeout_ns = int64_t{5'000'000'000};
  // Bytes buffered per connection and direction before the front stops reading that side.
  // Default: 256 KiB.
  size_t max_buffered_bytes = 256 << 10;
  // The kernel's send buffer of each client socket (SO_SNDBUF; Linux doubles it), so that a
  // client that stops reading holds a bounded amount of kernel memory and is noticed sooner.
  // 0: the kernel's autotuning (up to tcp_wmem's 4 MiB). Default: 256 KiB.
  int socket_send_buffer_bytes = 256 << 10;
  // TLS files; empty cert_chain: plaintext.
  TlsFiles tls;
};

// Counters since start (approximate under concurrency; monotonic).
struct FrontStats {
  uint64_t accepted = 0;
  uint64_t refused = 0;        // PeerTable said no, or accept() failed
  uint64_t handed_off = 0;     // reached gRPC
  uint64_t closed_for_violation = 0;
  uint64_t handshake_timeouts = 0;
  uint64_t write_stalls = 0;
  uint64_t open = 0;
};

class H2Front {
 public:
  // Takes ownership of `fd` (a connected, non-blocking socket carrying plaintext HTTP/2).
  using Handoff = std::function<void(int fd)>;

  // Binds (clients are refused until Start listens). Errors: kInvalidArgument (a malformed address, bad TLS files),
  // kUnavailable (cannot bind).
  static absl::StatusOr<std::unique_ptr<H2Front>> Create(const FrontOptions& options);
  ~H2Front();

  int port() const { return port_; }

  // Listens and runs the loop thread; connections are handed to `handoff` from it. Errors:
  // kUnavailable when the port is taken (another process listens on it).
  absl::Status Start(Handoff handoff);
  // Closes the listening socket and every connection not yet handed to gRPC; the handed-off ones
  // keep flowing (gRPC's own shutdown sends their GOAWAY). Blocks until done.
  void StopAccepting();
  // Stops the loop and closes every connection. Idempotent.
  void Shutdown();

  // The client address behind a gRPC peer string of a handed-off connection ("fd:12" ->
  // "ipv4:127.0.0.1:5123"); other strings come back unchanged.
  std::string PeerOf(absl::string_view grpc_peer) const;

  FrontStats stats() const;

 private:
  struct Conn;
  H2Front() = default;

  void Loop();
  void Accept(int64_t now);
  // Moves bytes on the sides `ready` names (kClientReadable, ... in h2_front.cc).
  void Pump(Conn& c, int64_t now, uint32_t ready);
  void ReadClient(Conn& c, int64_t now);
  void ReadServer(Conn& c, int64_t now);
  void WriteClient(Conn& c, int64_t now);
  void WriteServer(Conn& c);
  bool HandOff(Conn& c);
  void Abort(Conn& c, Violation why, int64_t now);
  void Close(Conn& c);
  void UpdateInterest(Conn& c);
  // epoll_ctl(MOD) of `fd` to `want` unless `*have` says it is so already.
  void SetEvents(int fd, uint64_t tag, uint32_t want, uint32_t* have);
  void Sweep(int64_t now);
  void RunCommand(int command);

  FrontOptions options_;
  std::unique_ptr<TlsContext> tls_;
  Handoff handoff_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  bool started_ = false;

  // Loop-thread state.
  PeerTable peer_table_{PeerLimits{}};
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<uint64_t> dead_;  // closed this round; erased after the round's events
  std::vector<uint64_t> repump_;  // TLS connections with decrypted bytes waiting in OpenSSL
  uint64_t next_id_ = 1;
  bool accepting_ = true;
  int64_t accept_paused_until_ = 0;
  int64_t next_sweep_ = 0;
  TokenBucket log_budget_;
  uint64_t log_suppressed_ = 0;

  // Commands from the control thread: 1 = stop accepting, 2 = stop. Answered through done_.
  Mutex command_mu_;
  CondVar command_cv_;
  int command_ ABSL_GUARDED_BY(command_mu_) = 0;
  int done_ ABSL_GUARDED_BY(command_mu_) = 0;

  mutable Mutex peers_mu_;
  std::unordered_map<int, std::string> peer_of_fd_ ABSL_GUARDED_BY(peers_mu_);

  std::atomic<uint64_t> accepted_{0}, refused_{0}, handed_off_{0}, violations_{0},
      handshake_timeouts_{0}, write_stalls_{0}, open_{0};
};

}  // namespace authd::net

#endif  // AUTHD_NET_H2_FRONT_H_
