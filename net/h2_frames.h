// The few pieces of the HTTP/2 wire format (RFC 9113) that authd's front reads and writes: the
// client preface, the 9-byte frame header, frame types, flags, error codes and SETTINGS ids, and
// the encoding of a GOAWAY frame. Pure; no state.
//
// Frame header (RFC 9113 §4.1), big-endian:
//   +-----------------------------------------------+
//   |                 Length (24)                   |
//   +---------------+---------------+---------------+
//   |   Type (8)    |   Flags (8)   |
//   +-+-------------+---------------+-------------------------------+
//   |R|                 Stream Identifier (31)                      |
//   +=+=============================================================+
//   |                   Frame Payload (Length octets)               |
#ifndef AUTHD_NET_H2_FRAMES_H_
#define AUTHD_NET_H2_FRAMES_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace authd::net::h2 {

inline constexpr absl::string_view kClientPreface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
inline constexpr size_t kFrameHeaderSize = 9;

enum FrameType : uint8_t {
  kData = 0x0,
  kHeaders = 0x1,
  kPriority = 0x2,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPushPromise = 0x5,
  kPing = 0x6,
  kGoAway = 0x7,
  kWindowUpdate = 0x8,
  kContinuation = 0x9,
};

enum Flags : uint8_t {
  kEndStream = 0x1,  // DATA, HEADERS
  kAck = 0x1,        // SETTINGS, PING
  kEndHeaders = 0x4,  // HEADERS, CONTINUATION
};

enum ErrorCode : uint32_t {
  kNoError = 0x0,
  kProtocolError = 0x1,
  kFlowControlError = 0x3,
  kFrameSizeError = 0x6,
  kEnhanceYourCalm = 0xb,
};

inline constexpr uint16_t kSettingsInitialWindowSize = 0x4;
inline constexpr int64_t kDefaultWindow = 65535;

struct FrameHeader {
  uint32_t length = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream_id = 0;
};

// Decodes the 9 bytes at `p`.
FrameHeader ParseFrameHeader(const uint8_t* p);

// Appends a GOAWAY frame (stream 0) with `last_stream_id`, `code` and `debug` data.
void AppendGoAway(uint32_t last_stream_id, ErrorCode code, absl::string_view debug,
                  std::string* out);

// Appends a frame header (tests and tools build frames with it).
void AppendFrameHeader(const FrameHeader& h, std::string* out);

}  // namespace authd::net::h2

#endif  // AUTHD_NET_H2_FRAMES_H_
