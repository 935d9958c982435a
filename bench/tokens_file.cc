#include "bench/tokens_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace authd::bench {
namespace {

constexpr const char* kKindNames[kRequestKinds] = {"allowed", "denied", "unknown"};

}  // namespace

absl::StatusOr<TokensFile> ReadTokensFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open tokens file ", path));
  TokensFile file;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f[0] == "operator" && f.size() == 4) {
      file.operator_token = f[1];
      file.org_id = f[2];
      file.bucket_id = f[3];
      continue;
    }
    int kind = -1;
    for (int k = 0; k < kRequestKinds; ++k) {
      if (f[0] == kKindNames[k]) kind = k;
    }
    if (kind < 0 || f.size() != 6) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": malformed line"));
    }
    file.requests[kind].push_back(
        BenchRequest{static_cast<RequestKind>(kind), f[1], f[2], f[3], f[4], f[5]});
  }
  return file;
}

absl::Status WriteTokensFile(const std::string& path, const TokensFile& file) {
  std::string out = "# authd bench tokens: live secrets of a throw-away bench store\n";
  if (!file.operator_token.empty()) {
    absl::StrAppend(&out, absl::StrJoin({std::string("operator"), file.operator_token, file.org_id,
                                         file.bucket_id},
                                        "\t"),
                    "\n");
  }
  for (int k = 0; k < kRequestKinds; ++k) {
    for (const BenchRequest& r : file.requests[k]) {
      absl::StrAppend(&out, kKindNames[k], "\t", r.token, "\t", r.action, "\t", r.type, "\t",
                      r.org_id, "\t", r.id, "\n");
    }
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = write(fd, out.data() + done, out.size() - done);
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", path));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return absl::OkStatus();
}

std::string GrpcFrame(const std::string& serialized) {
  std::string frame(5, '\0');
  const uint32_t n = static_cast<uint32_t>(serialized.size());
  frame[1] = static_cast<char>((n >> 24) & 0xff);
  frame[2] = static_cast<char>((n >> 16) & 0xff);
  frame[3] = static_cast<char>((n >> 8) & 0xff);
  frame[4] = static_cast<char>(n & 0xff);
  return frame + serialized;
}

}  // namespace authd::bench
