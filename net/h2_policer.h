// H2Policer: the HTTP/2 rules authd's front enforces on one client connection before its bytes
// reach gRPC. gRPC 1.51's HTTP/2 transport predates the mitigations for the rapid-reset
// (CVE-2023-44487) and CONTINUATION-flood (CVE-2024-27316) classes and lets a single client pin a
// core and grow memory without bound with PING, SETTINGS or reset floods (docs/adr/0004). The
// policer sees every frame in both directions (headers only, plus the small SETTINGS and
// WINDOW_UPDATE payloads) and decides, frame by frame, whether the client is still acting like a
// client:
//
//   client -> [preface][frame][frame]... -> Consume() -> bytes up to `consumed` go on to gRPC
//   gRPC   -> [frame][frame]...          -> ConsumeServer() -> bytes go on to the client
//
// Rules (limits in H2Limits): the preface must be exact; at most `max_open_streams` streams open
// at once; a header block (HEADERS + CONTINUATIONs) at most `max_header_block_bytes` and
// `max_header_block_frames`, uninterrupted; token buckets for cancelled streams (RST_STREAM on a
// stream the server has not finished: rapid reset), PINGs, SETTINGS, and other frames that carry
// no request (WINDOW_UPDATE, PRIORITY, RST_STREAM on closed streams, empty DATA, unknown types;
// refilled also by the server's DATA frames, so window updates in proportion to data are free);
// and no flow-control stall: a client that leaves the server unable to send (window at zero) for
// `stall_timeout` without granting any window is treated like one that stopped reading.
// A broken rule is a Violation: the front sends GOAWAY (ENHANCE_YOUR_CALM or PROTOCOL_ERROR) and
// closes the connection. The policer never buffers a frame: Consume() stops before an incomplete
// frame header (or SETTINGS / WINDOW_UPDATE frame), and the caller offers those bytes again.
//
// Pure: time is passed in (monotonic nanoseconds). Thread-compatible: one owner, the front's loop.
#ifndef AUTHD_NET_H2_POLICER_H_
#define AUTHD_NET_H2_POLICER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "net/h2_frames.h"
#include "net/token_bucket.h"

namespace authd::net {

struct H2Limits {
  // Streams open at once (the server announces its own limit in SETTINGS; a client may open up
  // to 100 before it has seen them, RFC 9113 §6.5.2, so give the announced limit + 100).
  // Default: 200.
  int max_open_streams = 200;
  // Bytes of one header block, HEADERS + CONTINUATION payloads (gRPC's metadata limit is 8 KiB
  // decoded; HPACK makes the block smaller, never much larger). Default: 64 KiB.
  int64_t max_header_block_bytes = 64 << 10;
  // Frames of one header block. Default: 16.
  int max_header_block_frames = 16;
  // Streams the client cancels (RST_STREAM) before the server has finished them. A well-behaved
  // client cancels on a deadline or a shutdown. Default: 200 at once, 100/s.
  RateLimit stream_cancels{200, 100};
  // PING frames from the client (not ACKs). gRPC clients send them for keepalive and BDP
  // estimation (seen: 4/s from a C++ client at 200 calls/s; grpc-go and Netty may ping on every
  // DATA frame they receive), so each stream the client opens adds `ping_credit_per_stream` and
  // each DATA frame the server sends `ping_credit_per_server_data`. Default: 32 at once, 8/s.
  RateLimit pings{32, 8};
  // SETTINGS frames from the client (not ACKs). Default: 16 at once, 2/s.
  RateLimit settings{16, 2};
  // Other frames that carry no request: WINDOW_UPDATE, PRIORITY, PING and SETTINGS ACKs, GOAWAY,
  // HEADERS that open no stream (trailers), RST_STREAM on a closed stream, empty DATA without
  // END_STREAM, unknown types (seen: a C++ gRPC client sends
  // 2 WINDOW_UPDATEs per unary call). Each DATA frame the server
  // sends adds `credit_per_server_data`, each stream the client opens `credit_per_stream`.
  // Default: 512 at once, 128/s.
  RateLimit other_frames{512, 128};
  double credit_per_server_data = 2;
  double credit_per_stream = 8;
  double ping_credit_per_stream = 0.5;
  double ping_credit_per_server_data = 1;
  // How long the client may keep the server from sending (a zero flow-control window on the
  // connection, or on a stream the server still owes an answer) without granting any window.
  // Default: 5 s.
  int64_t stall_timeout_ns = int64_t{5'000'000'000};
};

// Why a connection is closed. Stable names (logs, metrics): ViolationName().
enum class Violation {
  kNone = 0,
  kBadPreface,
  kProtocol,          // a frame a client may not send, or a malformed one
  kTooManyStreams,
  kHeaderBlockTooLarge,
  kHeaderBlockInterrupted,
  kResetFlood,
  kPingFlood,
  kSettingsFlood,
  kControlFrameFlood,
  kFlowControlStall,
  // Rules of the front itself (net/h2_front.h), not of the frames:
  kHandshakeTimeout,  // no complete preface (or TLS handshake) in time
  kSlowReader,        // the client stopped reading what the server sent
};

absl::string_view ViolationName(Violation v);
// The GOAWAY error code for `v`: PROTOCOL_ERROR for a broken protocol, ENHANCE_YOUR_CALM for abuse.
h2::ErrorCode GoAwayCodeFor(Violation v);

class H2Policer {
 public:
  // `penalty_shift` halves the burst of every bucket that many times (at least 4 tokens stay):
  // the front passes a peer's recent offences, so a reconnecting abuser gets less each time.
  H2Policer(const H2Limits& limits, int64_t now_ns, int penalty_shift = 0);

  struct Result {
    size_t consumed = 0;  // bytes of the input that may be forwarded, from its start
    Violation violation = Violation::kNone;
  };

  // Client -> server bytes. Forwards whole frames and streams payloads; stops before a partial
  // frame header, preface or SETTINGS/WINDOW_UPDATE frame (offer those bytes again with more), and
  // before the first frame that breaks a rule (then `violation` is set and stays set).
  Result Consume(const uint8_t* data, size_t n, int64_t now_ns);

  // Server -> client bytes (gRPC's output), all consumed: tracks stream ends, the DATA the client
  // must grant window for, and frame boundaries.
  void ConsumeServer(const uint8_t* data, size_t n, int64_t now_ns);

  // The flow-control stall rule, checked by the front's periodic sweep: whether the server is
  // blocked now is computed afresh (a blocked stream that ended or was reset clears it).
  Violation CheckStall(int64_t now_ns);

  bool preface_done() const { return preface_done_; }
  // Highest client stream id passed on (the last_stream_id of a GOAWAY we send).
  uint32_t last_client_stream() const { return last_client_stream_; }
  size_t open_streams() const { return streams_.size(); }
  // Offset, in the server->client byte stream, where the last complete server frame ends: a
  // GOAWAY may be inserted there.
  uint64_t server_frame_boundary() const { return server_boundary_; }
  uint64_t server_bytes() const { return server_bytes_; }
  Violation violation() const { return violation_; }
  // The frames the client sent, by type, for the close log line: "DATA=3 HEADERS=3 ..." of the
  // non-zero counts.
  std::string ClientFrameSummary() const;

 private:
  struct Stream {
    bool client_ended = false;
    bool server_ended = false;
    int64_t send_window = h2::kDefaultWindow;  // what the server may still send on it
  };

  Violation OnClientFrame(const h2::FrameHeader& h, const uint8_t* payload, int64_t now_ns);
  void OnServerFrame(const h2::FrameHeader& h, int64_t now_ns);
  void MaybeClose(uint32_t id);
  void NoteBlocked(int64_t now_ns);

  H2Limits limits_;
  TokenBucket cancels_, pings_, settings_, others_;

  bool preface_done_ = false;
  Violation violation_ = Violation::kNone;
  // Client direction: bytes still to skip of the current frame's payload.
  uint64_t client_skip_ = 0;
  // The header block in progress (HEADERS without END_HEADERS): its stream, bytes and frames.
  uint32_t block_stream_ = 0;
  int64_t block_bytes_ = 0;
  int block_frames_ = 0;

  uint64_t client_frames_[11] = {};  // by type 0x0-0x9; unknown types in slot 10
  uint32_t last_client_stream_ = 0;
  absl::flat_hash_map<uint32_t, Stream> streams_;
  int64_t initial_window_ = h2::kDefaultWindow;
  int64_t conn_window_ = h2::kDefaultWindow;
  // When the server last became unable to send (0: it is not blocked).
  int64_t blocked_since_ns_ = 0;

  // Server direction: header bytes collected, bytes to skip, totals.
  uint8_t server_header_[h2::kFrameHeaderSize] = {};
  size_t server_header_len_ = 0;
  uint64_t server_skip_ = 0;
  uint64_t server_bytes_ = 0;
  uint64_t server_boundary_ = 0;
};

}  // namespace authd::net

#endif  // AUTHD_NET_H2_POLICER_H_
