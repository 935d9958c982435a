// Fuzz target: the config file (services/config_file.h, parsed by yaml-cpp) and the options it sets
// (services/server_options.h). The input is the file's text. Properties (a violation aborts):
//  - ParseConfigText gives OK or kInvalidArgument, and a refusal names the file first
//    ("<path>:..."), so the operator knows what to fix; an OK result has distinct keys, each with a
//    line number inside the text.
//  - LoadServerOptions, given the text as its --config file and nothing else, gives OK or
//    kInvalidArgument, and refuses a text ParseConfigText refuses, with the same status.
// yaml-cpp is Debian's, not instrumented: the fuzzer sees the coverage of authd's code only.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "services/config_file.h"
#include "services/server_options.h"

namespace authd::fuzz {
namespace {

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kInvalidArgument = absl::StatusCode::kInvalidArgument;

// The text as a file LoadServerOptions can read: one in-memory file (memfd) per process,
// rewritten for every input, so nothing is left on disk.
class ConfigFile {
 public:
  ConfigFile() : fd_(memfd_create("authd-fuzz-config", 0)) {
    AUTHD_FUZZ_CHECK(fd_ >= 0);
    path_ = absl::StrCat("/proc/self/fd/", fd_);
  }
  const std::string& path() const { return path_; }
  void Write(absl::string_view text) {
    AUTHD_FUZZ_CHECK(ftruncate(fd_, 0) == 0);
    AUTHD_FUZZ_CHECK(pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
  }

 private:
  int fd_;
  std::string path_;
};

// An upper bound of yaml-cpp's line numbers: it counts a line at each '\n' of the decoded text, and
// every encoding it decodes (UTF-8/16/32) spells a '\n' with a 0x0a byte.
int MaxLine(absl::string_view text) {
  return 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

absl::Status CheckParse(absl::string_view text, const std::string& path) {
  absl::StatusOr<std::vector<services::ConfigEntry>> entries =
      services::ParseConfigText(text, path);
  AUTHD_FUZZ_CHECK_CODE(entries.status(), kOk, kInvalidArgument);
  if (!entries.ok()) {
    AUTHD_FUZZ_CHECK(absl::StartsWith(entries.status().message(), path + ":"));
    return entries.status();
  }
  std::set<std::string> keys;
  for (const services::ConfigEntry& e : *entries) {
    AUTHD_FUZZ_CHECK(keys.insert(e.key).second);
    AUTHD_FUZZ_CHECK(e.line >= 1 && e.line <= MaxLine(text));
  }
  return absl::OkStatus();
}

void CheckLoad(const absl::Status& parsed, const std::string& path) {
  absl::StatusOr<services::LoadedOptions> loaded = services::LoadServerOptions(
      {"--config", path}, [](const char*) -> const char* { return nullptr; });
  AUTHD_FUZZ_CHECK_CODE(loaded.status(), kOk, kInvalidArgument);
  if (!parsed.ok()) AUTHD_FUZZ_CHECK(loaded.status() == parsed);
}

}  // namespace
}  // namespace authd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* file = new authd::fuzz::ConfigFile();
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  file->Write(text);
  absl::Status parsed = authd::fuzz::CheckParse(text, file->path());
  authd::fuzz::CheckLoad(parsed, file->path());
  return 0;
}
