#include "cli/duration.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace authd::cli {

absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration \"", text, "\": want e.g. 72h, 30d, 1w, or 0 for infinite"));
  };
  if (text.empty() || text == "0") return 0;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t number = 0;
    size_t digits = 0;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      if (number > std::numeric_limits<int64_t>::max() / 10 - 10) return bad();
      number = number * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || i >= text.size()) return bad();
    int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: return bad();
    }
    ++i;
    if (number > (std::numeric_limits<int64_t>::max() - total) / unit) return bad();
    total += number * unit;
  }
  return total;
}

std::string FormatRetention(int64_t seconds) {
  if (seconds <= 0) return "infinite";
  int64_t h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  if (h > 0) return absl::StrCat(h, "h", m, "m", s, "s");
  if (m > 0) return absl::StrCat(m, "m", s, "s");
  return absl::StrCat(s, "s");
}

}  // namespace authd::cli
