// Event frames: the event fuzz target's input format, a sequence of stored values in protobuf's
// delimited form, each a varint length followed by that many bytes (what
// google::protobuf::util::SerializeDelimitedToOstream writes). Any bytes split into frames: a
// length running past the end, or a broken varint, takes what is left as the last frame. The seed
// writer (write_seeds.cc) frames real event logs with `AppendFrame`. Header-only; pure.
#ifndef AUTHD_FUZZ_EVENT_FRAMES_H_
#define AUTHD_FUZZ_EVENT_FRAMES_H_

#include <google/protobuf/io/coded_stream.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace authd::fuzz {

// The fuzz target replays at most this many frames of one input.
inline constexpr size_t kMaxFrames = 64;

inline std::vector<std::string> SplitFrames(absl::string_view bytes) {
  std::vector<std::string> frames;
  while (!bytes.empty()) {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) ||
        length > bytes.size() - static_cast<size_t>(in.CurrentPosition())) {
      frames.emplace_back(bytes);
      break;
    }
    bytes.remove_prefix(static_cast<size_t>(in.CurrentPosition()));
    frames.emplace_back(bytes.substr(0, length));
    bytes.remove_prefix(length);
  }
  return frames;
}

inline void AppendFrame(absl::string_view value, std::string* out) {
  uint32_t length = static_cast<uint32_t>(value.size());
  while (length >= 0x80) {
    out->push_back(static_cast<char>((length & 0x7f) | 0x80));
    length >>= 7;
  }
  out->push_back(static_cast<char>(length));
  out->append(value.data(), value.size());
}

}  // namespace authd::fuzz

#endif  // AUTHD_FUZZ_EVENT_FRAMES_H_
