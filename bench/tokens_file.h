// The tokens file: what bench/seed_tokens (and bench/seed_store) hand to bench/load_gen. One
// record per line, tab-separated; the file holds live secrets, so it is written 0600.
//
//   operator <TAB> token <TAB> org_id <TAB> bucket_id                       (at most one line)
//   allowed  <TAB> token <TAB> action <TAB> type <TAB> org_id <TAB> id      an Authorize the token passes
//   denied   <TAB> token <TAB> action <TAB> type <TAB> org_id <TAB> id      a known token lacking the permission
//   unknown  <TAB> token <TAB> action <TAB> type <TAB> org_id <TAB> id      a well-formed token never stored
//
// Pure file I/O; thread-compatible.
#ifndef AUTHD_BENCH_TOKENS_FILE_H_
#define AUTHD_BENCH_TOKENS_FILE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace authd::bench {

enum class RequestKind { kAllowed = 0, kDenied = 1, kUnknown = 2 };
inline constexpr int kRequestKinds = 3;

struct BenchRequest {
  RequestKind kind = RequestKind::kAllowed;
  std::string token;
  std::string action;
  std::string type;
  std::string org_id;
  std::string id;
};

struct TokensFile {
  // Empty when the file has no operator line.
  std::string operator_token;
  std::string org_id;
  std::string bucket_id;
  // Indexed by RequestKind.
  std::vector<BenchRequest> requests[kRequestKinds];
};

// Errors: kNotFound (cannot open), kInvalidArgument (malformed line, with its number).
absl::StatusOr<TokensFile> ReadTokensFile(const std::string& path);
// Writes atomically enough for a bench (truncate + write), mode 0600. Errors: kUnavailable.
absl::Status WriteTokensFile(const std::string& path, const TokensFile& file);

// A serialized protobuf message framed as one gRPC message (flag byte 0, 4-byte big-endian
// length): the body h2load sends.
std::string GrpcFrame(const std::string& serialized);

}  // namespace authd::bench

#endif  // AUTHD_BENCH_TOKENS_FILE_H_
