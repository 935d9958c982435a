// Durations on authctl's command line (bucket retention) in influx's spelling. Pure functions;
// thread-safe.
#ifndef AUTHD_CLI_DURATION_H_
#define AUTHD_CLI_DURATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::cli {

// Parses a whole-second duration: "" or "0" (infinite, 0), or one or more <digits><unit> with units
// s, m, h, d (24h) and w (7d), e.g. "72h", "30d", "1w2d", "1h30m". Returns seconds.
// Errors: kInvalidArgument "invalid duration \"<text>\": want e.g. 72h, 30d, 1w, or 0 for infinite".
absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text);

// Go's time.Duration.String() of `seconds` (> 0): "24h0m0s", "1m30s", "45s"; "infinite" for 0.
std::string FormatRetention(int64_t seconds);

}  // namespace authd::cli

#endif  // AUTHD_CLI_DURATION_H_
