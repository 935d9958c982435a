// Fuzz target: what the HTTP API decodes from a request before any gRPC call (http/): the
// request target (ParseTarget), the session cookie (SessionFromCookie), the credentials rule
// (CredentialsOf) and every JSON body decoder of http/influx_json.h. The first input byte picks
// the decoder; the rest is its input. Properties (a violation aborts):
//  - ParseTarget: a decoded path starts with '/'; no NUL in the path or the query.
//  - every body decoder: OK or kInvalidArgument "invalid json structure: ..." (or the one value
//    it checks itself, authdPreset); an OK request's
//    strings are UTF-8 protobuf agrees with (it serializes and parses back to the same message),
//    so no decoded body can make the in-process gRPC call fail as INTERNAL.
//  - CredentialsOf: accepted credentials are printable ASCII, at most 4 KiB plus the scheme; a
//    refusal is one of two fixed answers (401 "unauthorized access", or the 403 of the CSRF
//    check): nothing of the presented value is ever echoed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "http/api_reply.h"
#include "http/http_message.h"
#include "http/influx_api.h"
#include "http/influx_json.h"

namespace authd::fuzz {
namespace {

template <typename Message>
void CheckDecoded(const absl::StatusOr<Message>& decoded) {
  AUTHD_FUZZ_CHECK_CODE(decoded.status(), absl::StatusCode::kOk, absl::StatusCode::kInvalidArgument);
  if (!decoded.ok()) {
    AUTHD_FUZZ_CHECK(absl::StartsWith(decoded.status().message(), "invalid json structure: ") ||
                     decoded.status().message() == "authdPreset: must be all-access or operator");
    return;
  }
  std::string wire;
  AUTHD_FUZZ_CHECK(decoded->SerializeToString(&wire));
  Message back;
  AUTHD_FUZZ_CHECK(back.ParseFromString(wire));
  AUTHD_FUZZ_CHECK(back.SerializeAsString() == wire);
}

void CheckTarget(absl::string_view target) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  if (!http::ParseTarget(target, &path, &query)) return;
  AUTHD_FUZZ_CHECK(!path.empty() && path[0] == '/');
  AUTHD_FUZZ_CHECK(path.find('\0') == std::string::npos);
  for (const auto& [k, v] : query) {
    AUTHD_FUZZ_CHECK(k.find('\0') == std::string::npos && v.find('\0') == std::string::npos);
  }
}

bool PrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// The input as header values: Authorization or Cookie, for a GET or a cross-site POST.
void CheckCredentials(absl::string_view value, uint8_t how) {
  http::HttpRequest r;
  r.method = (how & 1) ? "POST" : "GET";
  r.headers.emplace_back((how & 2) ? "Cookie" : "Authorization", std::string(value));
  if (how & 4) r.headers.emplace_back("Origin", "http://elsewhere.example");
  r.headers.emplace_back("Host", "127.0.0.1:8086");
  std::string credentials;
  http::HttpResponse refusal;
  if (http::CredentialsOf(r, false, &credentials, &refusal)) {
    AUTHD_FUZZ_CHECK(PrintableAscii(credentials));
    AUTHD_FUZZ_CHECK(credentials.size() <= 4096 + 6);
    // A cookie-authenticated write from another origin is never accepted.
    AUTHD_FUZZ_CHECK(!((how & 1) && (how & 2) && (how & 4)));
    return;
  }
  static const std::string* const kUnauthorized = new std::string(http::Unauthorized().body);
  static const std::string* const kCrossSite = [] {
    http::HttpRequest cross;
    cross.method = "POST";
    cross.headers = {{"Cookie", "influxdb-oss-session=x"},
                     {"Origin", "http://elsewhere.example"},
                     {"Host", "127.0.0.1:8086"}};
    std::string unused;
    http::HttpResponse answer;
    AUTHD_FUZZ_CHECK(!http::CredentialsOf(cross, false, &unused, &answer));
    return new std::string(answer.body);
  }();
  AUTHD_FUZZ_CHECK((refusal.status == 401 && refusal.body == *kUnauthorized) ||
                   (refusal.status == 403 && refusal.body == *kCrossSite));
}

}  // namespace
}  // namespace authd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0];
  const absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace authd;  // NOLINT: the fuzz entry point only
  switch (which % 8) {
    case 0:
      fuzz::CheckTarget(rest);
      break;
    case 1:
      fuzz::CheckDecoded(http::CreateAuthorizationFromJson(rest));
      break;
    case 2:
      fuzz::CheckDecoded(http::UpdateAuthorizationFromJson("0000000000000001", rest));
      break;
    case 3:
      fuzz::CheckDecoded(http::SetupFromJson(rest));
      break;
    case 4:
      fuzz::CheckDecoded(http::CreateBucketFromJson(rest));
      fuzz::CheckDecoded(http::CreateOrgFromJson(rest));
      break;
    case 5:
      fuzz::CheckDecoded(http::CreateUserFromJson(rest));
      fuzz::CheckDecoded(http::UpdateUserFromJson("0000000000000001", rest));
      fuzz::CheckDecoded(http::SetPasswordFromJson("0000000000000001", rest));
      break;
    case 6:
      fuzz::CheckCredentials(rest, static_cast<uint8_t>(which >> 3));
      break;
    case 7:
      (void)http::SessionFromCookie(rest);
      break;
  }
  return 0;
}
