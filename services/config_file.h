// ConfigFile: reads authd's configuration file, a flat YAML or JSON mapping of option names to
// scalar values (`use-hashed-tokens: false`, `{"listen": "0.0.0.0:50051"}`). Keys are the flag names
// without dashes in front. Pure apart from reading the file; thread-safe.
#ifndef AUTHD_SERVICES_CONFIG_FILE_H_
#define AUTHD_SERVICES_CONFIG_FILE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::services {

// One `key: value` of the file, in file order.
struct ConfigEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based
};

// Parses `text` (the contents of `path`, which names the source in errors). Errors:
// kInvalidArgument "<path>:<line>: ..." for malformed YAML/JSON, a non-mapping document, nested
// values, or a key given twice.
absl::StatusOr<std::vector<ConfigEntry>> ParseConfigText(absl::string_view text,
                                                         absl::string_view path);

// Reads and parses the file. Errors: kInvalidArgument when it cannot be read, as above otherwise.
absl::StatusOr<std::vector<ConfigEntry>> ReadConfigFile(const std::string& path);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_CONFIG_FILE_H_
