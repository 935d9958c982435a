#include "services/config_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace authd::services {

absl::StatusOr<std::vector<ConfigEntry>> ParseConfigText(absl::string_view text,
                                                         absl::string_view path) {
  // yaml-cpp reports errors by exception; they stop here and become a Status.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ": malformed config file: ", e.msg));
  }
  std::vector<ConfigEntry> out;
  if (root.IsNull()) return out;  // An empty file sets nothing.
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the config file must be a mapping of option names to values"));
  }
  std::set<std::string> seen;
  for (const auto& kv : root) {
    int line = kv.first.Mark().line + 1;
    if (!kv.first.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": keys must be strings"));
    }
    std::string key = kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line, ": ", key, ": value must be a single scalar"));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line, ": ", key, ": given more than once"));
    }
    out.push_back(ConfigEntry{key, kv.second.Scalar(), line});
  }
  return out;
}

absl::StatusOr<std::vector<ConfigEntry>> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read config file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfigText(ss.str(), path);
}

}  // namespace authd::services
