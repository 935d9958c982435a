#include "net/h2_frames.h"

namespace authd::net::h2 {
namespace {

void Put32(uint32_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

}  // namespace

FrameHeader ParseFrameHeader(const uint8_t* p) {
  FrameHeader h;
  h.length = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
  h.type = p[3];
  h.flags = p[4];
  h.stream_id = ((uint32_t{p[5]} << 24) | (uint32_t{p[6]} << 16) | (uint32_t{p[7]} << 8) |
                 uint32_t{p[8]}) &
                0x7fffffffu;
  return h;
}

void AppendFrameHeader(const FrameHeader& h, std::string* out) {
  out->push_back(static_cast<char>(h.length >> 16));
  out->push_back(static_cast<char>(h.length >> 8));
  out->push_back(static_cast<char>(h.length));
  out->push_back(static_cast<char>(h.type));
  out->push_back(static_cast<char>(h.flags));
  Put32(h.stream_id & 0x7fffffffu, out);
}

void AppendGoAway(uint32_t last_stream_id, ErrorCode code, absl::string_view debug,
                  std::string* out) {
  FrameHeader h;
  h.length = static_cast<uint32_t>(8 + debug.size());
  h.type = kGoAway;
  AppendFrameHeader(h, out);
  Put32(last_stream_id & 0x7fffffffu, out);
  Put32(code, out);
  out->append(debug.data(), debug.size());
}

}  // namespace authd::net::h2
