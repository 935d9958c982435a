// Minimal leveled logging to stdout, one line per record ("text" or one JSON object per line).
// Callers must never pass a token, a token hash or a password. Thread-safe.
#ifndef AUTHD_BASE_LOG_H_
#define AUTHD_BASE_LOG_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace authd {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

std::optional<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

// Process-wide settings, set once by main() before serving.
void SetLogLevel(LogLevel level);
void SetLogJson(bool json);

void Log(LogLevel level, absl::string_view message);

// `s` escaped for a JSON string body (quotes, backslash, control characters).
std::string JsonEscape(absl::string_view s);
inline void LogDebug(absl::string_view m) { Log(LogLevel::kDebug, m); }
inline void LogInfo(absl::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(absl::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(absl::string_view m) { Log(LogLevel::kError, m); }

}  // namespace authd

#endif  // AUTHD_BASE_LOG_H_
