#include "tests/soak/process_memory.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace authd::soak {

absl::StatusOr<int64_t> ParseVmRss(const std::string& status_text) {
  for (absl::string_view line : absl::StrSplit(status_text, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    // "VmRSS:	   21840 kB"
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kib = 0;
    if (parts.size() == 2 && parts[1] == "kB" && absl::SimpleAtoi(parts[0], &kib)) {
      return kib * 1024;
    }
    break;
  }
  return absl::NotFoundError("no VmRSS line");
}

absl::StatusOr<int64_t> ResidentBytes(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseVmRss(text.str());
}

}  // namespace authd::soak
