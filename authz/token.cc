#include "authz/token.h"

#include <openssl/rand.h>
#include <zlib.h>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/match.h"
#include "base/secret.h"

namespace authd::authz {
namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Printable ASCII without space (0x21..0x7e).
bool IsTokenChar(char c) { return c > 0x20 && c < 0x7f; }

void ChecksumInto(absl::string_view text, char out[kTokenChecksumChars]) {
  uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  for (int i = static_cast<int>(kTokenChecksumChars) - 1; i >= 0; --i) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
}

bool WellFormedGenerated(absl::string_view token) {
  if (token.size() != kGeneratedTokenLength) return false;
  for (size_t i = kTokenPrefix.size(); i < token.size(); ++i) {
    if (!IsBase62(token[i])) return false;
  }
  char expected[kTokenChecksumChars];
  ChecksumInto(token.substr(0, token.size() - kTokenChecksumChars), expected);
  return absl::string_view(expected, kTokenChecksumChars) ==
         token.substr(token.size() - kTokenChecksumChars);
}

}  // namespace

std::string TokenChecksum(absl::string_view text) {
  char out[kTokenChecksumChars];
  ChecksumInto(text, out);
  return std::string(out, kTokenChecksumChars);
}

std::string GenerateToken() {
  std::string token(kTokenPrefix);
  token.reserve(kGeneratedTokenLength);
  // Rejection sampling keeps every base62 digit uniform: 248 = 4 * 62.
  while (token.size() < kTokenPrefix.size() + kTokenSecretChars) {
    unsigned char buf[64];
    if (RAND_bytes(buf, sizeof(buf)) != 1) {
      ABSL_RAW_LOG(FATAL, "OS random number generator failed");
    }
    for (unsigned char b : buf) {
      if (b >= 248) continue;
      token.push_back(kBase62[b % 62]);
      if (token.size() == kTokenPrefix.size() + kTokenSecretChars) break;
    }
    WipeBytes(buf, sizeof(buf));
  }
  token += TokenChecksum(token);
  return token;
}

TokenShape ClassifyToken(absl::string_view token) {
  if (absl::StartsWith(token, kTokenPrefix)) {
    return WellFormedGenerated(token) ? TokenShape::kPlausible : TokenShape::kImpossible;
  }
  if (token.size() < kMinSuppliedTokenLength || token.size() > kMaxTokenLength) {
    return TokenShape::kImpossible;
  }
  for (char c : token) {
    if (!IsTokenChar(c)) return TokenShape::kImpossible;
  }
  return TokenShape::kPlausible;
}

absl::Status ValidateSuppliedToken(absl::string_view token) {
  if (token.size() < kMinSuppliedTokenLength || token.size() > kMaxTokenLength) {
    return absl::InvalidArgumentError("token: must be 16 to 512 characters");
  }
  for (char c : token) {
    if (!IsTokenChar(c)) {
      return absl::InvalidArgumentError(
          "token: must be printable ASCII characters without spaces");
    }
  }
  if (absl::StartsWith(token, kTokenPrefix) && !WellFormedGenerated(token)) {
    return absl::InvalidArgumentError(
        "token: a token starting with \"authd_\" must be a well-formed authd token (checksum)");
  }
  return absl::OkStatus();
}

}  // namespace authd::authz
