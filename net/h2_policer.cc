#include "net/h2_policer.h"

#include <algorithm>
#include <cstring>

namespace authd::net {
namespace {

using h2::FrameHeader;

// The largest SETTINGS payload accepted: every defined setting twice over.
constexpr uint32_t kMaxSettingsPayload = 6 * 32;
constexpr int64_t kMaxWindow = 0x7fffffff;

uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

RateLimit Penalized(RateLimit r, int shift) {
  if (shift <= 0) return r;
  r.burst = std::max(4.0, r.burst / static_cast<double>(1 << std::min(shift, 16)));
  return r;
}

// Frames whose payload the policer reads (so it waits for the whole frame).
bool NeedsPayload(const FrameHeader& h) {
  return (h.type == h2::kSettings && (h.flags & h2::kAck) == 0) || h.type == h2::kWindowUpdate;
}

}  // namespace

absl::string_view ViolationName(Violation v) {
  switch (v) {
    case Violation::kNone: return "none";
    case Violation::kBadPreface: return "bad_preface";
    case Violation::kProtocol: return "protocol_error";
    case Violation::kTooManyStreams: return "too_many_streams";
    case Violation::kHeaderBlockTooLarge: return "header_block_too_large";
    case Violation::kHeaderBlockInterrupted: return "header_block_interrupted";
    case Violation::kResetFlood: return "reset_flood";
    case Violation::kPingFlood: return "ping_flood";
    case Violation::kSettingsFlood: return "settings_flood";
    case Violation::kControlFrameFlood: return "control_frame_flood";
    case Violation::kFlowControlStall: return "flow_control_stall";
    case Violation::kHandshakeTimeout: return "handshake_timeout";
    case Violation::kSlowReader: return "slow_reader";
  }
  return "unknown";
}

h2::ErrorCode GoAwayCodeFor(Violation v) {
  switch (v) {
    case Violation::kBadPreface:
    case Violation::kProtocol:
    case Violation::kHeaderBlockInterrupted:
      return h2::kProtocolError;
    default:
      return h2::kEnhanceYourCalm;
  }
}

H2Policer::H2Policer(const H2Limits& limits, int64_t now_ns, int penalty_shift)
    : limits_(limits),
      cancels_(Penalized(limits.stream_cancels, penalty_shift), now_ns),
      pings_(Penalized(limits.pings, penalty_shift), now_ns),
      settings_(Penalized(limits.settings, penalty_shift), now_ns),
      others_(Penalized(limits.other_frames, penalty_shift), now_ns) {}

H2Policer::Result H2Policer::Consume(const uint8_t* data, size_t n, int64_t now_ns) {
  Result r;
  if (violation_ != Violation::kNone) {
    r.violation = violation_;
    return r;
  }
  size_t pos = 0;
  if (!preface_done_) {
    size_t have = std::min(n, h2::kClientPreface.size());
    if (std::memcmp(data, h2::kClientPreface.data(), have) != 0) {
      violation_ = r.violation = Violation::kBadPreface;
      return r;
    }
    if (have < h2::kClientPreface.size()) return r;  // wait for the rest
    preface_done_ = true;
    pos = h2::kClientPreface.size();
  }
  while (pos < n) {
    if (client_skip_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(client_skip_, n - pos));
      client_skip_ -= take;
      pos += take;
      continue;
    }
    if (n - pos < h2::kFrameHeaderSize) break;
    FrameHeader h = h2::ParseFrameHeader(data + pos);
    const uint8_t* payload = nullptr;
    if (NeedsPayload(h)) {
      if (h.length > kMaxSettingsPayload) {
        violation_ = Violation::kProtocol;
        break;
      }
      if (n - pos - h2::kFrameHeaderSize < h.length) break;  // wait for the whole frame
      payload = data + pos + h2::kFrameHeaderSize;
    }
    Violation v = OnClientFrame(h, payload, now_ns);
    if (v != Violation::kNone) {
      violation_ = v;
      break;
    }
    pos += h2::kFrameHeaderSize;
    if (payload != nullptr) {
      pos += h.length;
    } else {
      client_skip_ = h.length;
    }
  }
  r.consumed = pos;
  r.violation = violation_;
  return r;
}

std::string H2Policer::ClientFrameSummary() const {
  static const char* const kNames[11] = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM",
                                         "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
                                         "WINDOW_UPDATE", "CONTINUATION", "OTHER"};
  std::string out;
  for (int i = 0; i < 11; ++i) {
    if (client_frames_[i] == 0) continue;
    if (!out.empty()) out += ' ';
    out += kNames[i];
    out += '=';
    out += std::to_string(client_frames_[i]);
  }
  return out;
}

Violation H2Policer::OnClientFrame(const FrameHeader& h, const uint8_t* payload, int64_t now_ns) {
  ++client_frames_[h.type <= h2::kContinuation ? h.type : 10];
  // A header block in progress admits only its own CONTINUATIONs (RFC 9113 §6.10).
  if (block_stream_ != 0) {
    if (h.type != h2::kContinuation || h.stream_id != block_stream_) {
      return Violation::kHeaderBlockInterrupted;
    }
    block_bytes_ += h.length;
    ++block_frames_;
    if (block_bytes_ > limits_.max_header_block_bytes) return Violation::kHeaderBlockTooLarge;
    if (block_frames_ > limits_.max_header_block_frames) return Violation::kHeaderBlockTooLarge;
    if (h.flags & h2::kEndHeaders) block_stream_ = 0;
    return Violation::kNone;
  }
  switch (h.type) {
    case h2::kHeaders: {
      if (h.stream_id == 0 || (h.stream_id & 1) == 0) return Violation::kProtocol;
      if (h.length > limits_.max_header_block_bytes) return Violation::kHeaderBlockTooLarge;
      if (h.stream_id > last_client_stream_) {
        if (static_cast<int>(streams_.size()) >= limits_.max_open_streams) {
          return Violation::kTooManyStreams;
        }
        last_client_stream_ = h.stream_id;
        others_.Credit(limits_.credit_per_stream);
        pings_.Credit(limits_.ping_credit_per_stream);
        Stream& s = streams_[h.stream_id];
        s.send_window = initial_window_;
        s.client_ended = (h.flags & h2::kEndStream) != 0;
        if (initial_window_ <= 0 || conn_window_ <= 0) NoteBlocked(now_ns);
      } else {
        // Trailers, or HEADERS on a closed stream (gRPC answers with an error): they open
        // nothing, and each costs gRPC an HPACK decode.
        if (!others_.Take(now_ns)) return Violation::kControlFrameFlood;
        auto it = streams_.find(h.stream_id);
        if (it != streams_.end() && (h.flags & h2::kEndStream)) it->second.client_ended = true;
      }
      if ((h.flags & h2::kEndHeaders) == 0) {
        block_stream_ = h.stream_id;
        block_bytes_ = h.length;
        block_frames_ = 1;
      }
      if (h.flags & h2::kEndStream) MaybeClose(h.stream_id);
      return Violation::kNone;
    }
    case h2::kContinuation:
      return Violation::kProtocol;  // without a HEADERS before it
    case h2::kData: {
      if (h.stream_id == 0) return Violation::kProtocol;
      if (h.length == 0 && (h.flags & h2::kEndStream) == 0 && !others_.Take(now_ns)) {
        return Violation::kControlFrameFlood;
      }
      auto it = streams_.find(h.stream_id);
      if (it == streams_.end()) {
        if (!others_.Take(now_ns)) return Violation::kControlFrameFlood;
      } else if (h.flags & h2::kEndStream) {
        it->second.client_ended = true;
        MaybeClose(h.stream_id);
      }
      return Violation::kNone;
    }
    case h2::kRstStream: {
      if (h.stream_id == 0 || h.length != 4) return Violation::kProtocol;
      auto it = streams_.find(h.stream_id);
      if (it != streams_.end() && !it->second.server_ended) {
        streams_.erase(it);
        if (!cancels_.Take(now_ns)) return Violation::kResetFlood;
      } else {
        if (it != streams_.end()) streams_.erase(it);
        if (!others_.Take(now_ns)) return Violation::kControlFrameFlood;
      }
      return Violation::kNone;
    }
    case h2::kPing:
      if (h.stream_id != 0 || h.length != 8) return Violation::kProtocol;
      if (h.flags & h2::kAck) {
        return others_.Take(now_ns) ? Violation::kNone : Violation::kControlFrameFlood;
      }
      return pings_.Take(now_ns) ? Violation::kNone : Violation::kPingFlood;
    case h2::kSettings: {
      if (h.stream_id != 0) return Violation::kProtocol;
      if (h.flags & h2::kAck) {
        if (h.length != 0) return Violation::kProtocol;
        return others_.Take(now_ns) ? Violation::kNone : Violation::kControlFrameFlood;
      }
      if (h.length % 6 != 0) return Violation::kProtocol;
      if (!settings_.Take(now_ns)) return Violation::kSettingsFlood;
      for (uint32_t i = 0; i < h.length; i += 6) {
        uint16_t id = static_cast<uint16_t>((payload[i] << 8) | payload[i + 1]);
        uint32_t value = Get32(payload + i + 2);
        if (id != h2::kSettingsInitialWindowSize) continue;
        if (value > kMaxWindow) return Violation::kProtocol;
        int64_t delta = static_cast<int64_t>(value) - initial_window_;
        initial_window_ = value;
        for (auto& [id_, s] : streams_) s.send_window += delta;
        if (delta > 0 && conn_window_ > 0) blocked_since_ns_ = 0;
        if (initial_window_ <= 0 && !streams_.empty()) NoteBlocked(now_ns);
      }
      return Violation::kNone;
    }
    case h2::kWindowUpdate: {
      if (h.length != 4) return Violation::kProtocol;
      int64_t increment = Get32(payload) & 0x7fffffffu;
      if (increment == 0) return Violation::kProtocol;
      if (!others_.Take(now_ns)) return Violation::kControlFrameFlood;
      if (h.stream_id == 0) {
        conn_window_ += increment;
        if (conn_window_ > kMaxWindow) return Violation::kProtocol;
      } else {
        auto it = streams_.find(h.stream_id);
        if (it != streams_.end()) it->second.send_window += increment;
      }
      if (conn_window_ > 0) blocked_since_ns_ = 0;  // the client granted window: progress
      return Violation::kNone;
    }
    case h2::kPushPromise:
      return Violation::kProtocol;  // only servers push
    case h2::kGoAway:  // the client is leaving; more than a few is not a client
      return others_.Take(now_ns) ? Violation::kNone : Violation::kControlFrameFlood;
    default:  // PRIORITY and unknown extension frames (ignored by gRPC, but not free)
      return others_.Take(now_ns) ? Violation::kNone : Violation::kControlFrameFlood;
  }
}

void H2Policer::ConsumeServer(const uint8_t* data, size_t n, int64_t now_ns) {
  size_t pos = 0;
  while (pos < n) {
    if (server_skip_ > 0) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(server_skip_, n - pos));
      server_skip_ -= take;
      pos += take;
      server_bytes_ += take;
      if (server_skip_ == 0) server_boundary_ = server_bytes_;
      continue;
    }
    size_t take = std::min(h2::kFrameHeaderSize - server_header_len_, n - pos);
    std::memcpy(server_header_ + server_header_len_, data + pos, take);
    server_header_len_ += take;
    pos += take;
    server_bytes_ += take;
    if (server_header_len_ < h2::kFrameHeaderSize) break;
    server_header_len_ = 0;
    FrameHeader h = h2::ParseFrameHeader(server_header_);
    OnServerFrame(h, now_ns);
    server_skip_ = h.length;
    if (server_skip_ == 0) server_boundary_ = server_bytes_;
  }
}

void H2Policer::OnServerFrame(const FrameHeader& h, int64_t now_ns) {
  switch (h.type) {
    case h2::kData: {
      others_.Credit(limits_.credit_per_server_data);
      pings_.Credit(limits_.ping_credit_per_server_data);
      conn_window_ -= h.length;
      bool blocked = conn_window_ <= 0;
      auto it = streams_.find(h.stream_id);
      if (it != streams_.end()) {
        it->second.send_window -= h.length;
        if (h.flags & h2::kEndStream) {
          it->second.server_ended = true;
          MaybeClose(h.stream_id);
        } else if (it->second.send_window <= 0) {
          blocked = true;
        }
      }
      if (blocked) NoteBlocked(now_ns);
      return;
    }
    case h2::kHeaders:
      if (h.flags & h2::kEndStream) {
        auto it = streams_.find(h.stream_id);
        if (it != streams_.end()) {
          it->second.server_ended = true;
          MaybeClose(h.stream_id);
        }
      }
      return;
    case h2::kRstStream:
      streams_.erase(h.stream_id);
      return;
    default:
      return;
  }
}

void H2Policer::MaybeClose(uint32_t id) {
  auto it = streams_.find(id);
  if (it != streams_.end() && it->second.client_ended && it->second.server_ended) {
    streams_.erase(it);
  }
}

void H2Policer::NoteBlocked(int64_t now_ns) {
  if (blocked_since_ns_ == 0) blocked_since_ns_ = std::max<int64_t>(now_ns, 1);
}

Violation H2Policer::CheckStall(int64_t now_ns) {
  // Every way into a blocked state goes through NoteBlocked, so an unset timer means unblocked.
  if (blocked_since_ns_ == 0) return Violation::kNone;
  // Blocked now: the connection window is spent while some answer is owed, or a stream the
  // server still owes has no window.
  bool owed = false, blocked = false;
  for (const auto& [id, s] : streams_) {
    if (s.server_ended) continue;
    owed = true;
    if (s.send_window <= 0) {
      blocked = true;
      break;
    }
  }
  if (conn_window_ <= 0 && owed) blocked = true;
  if (!blocked) {
    blocked_since_ns_ = 0;
    return Violation::kNone;
  }
  return now_ns - blocked_since_ns_ >= limits_.stall_timeout_ns ? Violation::kFlowControlStall
                                                                : Violation::kNone;
}

}  // namespace authd::net
