// Builders of HTTP/2 frames for the net/ tests (header-only, testonly): the client preface, and
// HEADERS, CONTINUATION, DATA, RST_STREAM, PING, SETTINGS, WINDOW_UPDATE, PRIORITY frames with
// the payload sizes the policer checks. Payload bytes are filler: the policer reads only
// SETTINGS and WINDOW_UPDATE payloads.
#ifndef AUTHD_TESTS_NET_H2_TEST_FRAMES_H_
#define AUTHD_TESTS_NET_H2_TEST_FRAMES_H_

#include <cstdint>
#include <string>

#include "net/h2_frames.h"

namespace authd::net::testing {

inline std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, std::string payload) {
  std::string out;
  h2::FrameHeader h;
  h.length = static_cast<uint32_t>(payload.size());
  h.type = type;
  h.flags = flags;
  h.stream_id = stream;
  h2::AppendFrameHeader(h, &out);
  return out + payload;
}

inline std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

inline std::string Preface() { return std::string(h2::kClientPreface); }
inline std::string Headers(uint32_t s, uint8_t flags = h2::kEndHeaders, size_t n = 20) {
  return Frame(h2::kHeaders, flags, s, std::string(n, 'h'));
}
inline std::string Continuation(uint32_t s, uint8_t flags = 0, size_t n = 1000) {
  return Frame(h2::kContinuation, flags, s, std::string(n, 'c'));
}
inline std::string Data(uint32_t s, uint8_t flags = h2::kEndStream, size_t n = 5) {
  return Frame(h2::kData, flags, s, std::string(n, '\0'));
}
inline std::string Rst(uint32_t s) { return Frame(h2::kRstStream, 0, s, Be32(8)); }
inline std::string Ping(uint8_t flags = 0) { return Frame(h2::kPing, flags, 0, std::string(8, 'p')); }
inline std::string Settings(uint16_t id = 0, uint32_t value = 0, bool empty = true) {
  if (empty) return Frame(h2::kSettings, 0, 0, "");
  std::string p;
  p.push_back(static_cast<char>(id >> 8));
  p.push_back(static_cast<char>(id));
  return Frame(h2::kSettings, 0, 0, p + Be32(value));
}
inline std::string SettingsAck() { return Frame(h2::kSettings, h2::kAck, 0, ""); }
inline std::string WindowUpdate(uint32_t s, uint32_t inc) {
  return Frame(h2::kWindowUpdate, 0, s, Be32(inc));
}
inline std::string Priority(uint32_t s) { return Frame(h2::kPriority, 0, s, std::string(5, '\0')); }

}  // namespace authd::net::testing

#endif  // AUTHD_TESTS_NET_H2_TEST_FRAMES_H_
