// Fuzz target: the token format (authz/token.h) and token hashes at rest (authz/token_hash.h).
// The input is taken as a presented token, as a stored hash string, and as the secret of a token
// in the generated format. Properties (a violation aborts, see fuzz_check.h):
//  - ClassifyToken says kPlausible exactly when ValidateSuppliedToken accepts (setup never stores a
//    token that Authorize would refuse unseen, nor refuses one it would look up); a refusal is
//    kInvalidArgument and never echoes the value.
//  - A generated-format token (authd_ + 43 base62 characters from the input + TokenChecksum) is
//    plausible and valid; changing any one of its 49 characters after the prefix (the input picks
//    which, and how), or cutting it short by one, makes it impossible (CRC32 catches every
//    single-character error).
//  - HashToken is the 58-character `$authd-sha256$` string of DigestToken and decodes back to it.
//  - DecodeTokenHash either refuses with kInvalidArgument or returns a digest whose encoding is the
//    input itself: one spelling per digest, since the string is also the on-disk index key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "authz/token.h"
#include "authz/token_hash.h"
#include "fuzz/fuzz_check.h"

namespace authd::fuzz {
namespace {

using authz::TokenShape;

constexpr absl::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// No fixed token error message holds 12 characters in a row without a space, so for such a value
// a match can only be an echo.
bool CouldBeEchoed(absl::string_view value) {
  return value.size() >= 12 && !absl::StrContains(value, ' ');
}

void CheckPresentedToken(absl::string_view token) {
  TokenShape shape = authz::ClassifyToken(token);
  absl::Status supplied = authz::ValidateSuppliedToken(token);
  AUTHD_FUZZ_CHECK((shape == TokenShape::kPlausible) == supplied.ok());
  AUTHD_FUZZ_CHECK_CODE(supplied, absl::StatusCode::kOk, absl::StatusCode::kInvalidArgument);
  if (!supplied.ok() && CouldBeEchoed(token)) {
    AUTHD_FUZZ_CHECK(!absl::StrContains(supplied.message(), token));
  }
}

void CheckGeneratedFormat(absl::string_view input) {
  std::string token(authz::kTokenPrefix);
  for (size_t i = 0; i < authz::kTokenSecretChars; ++i) {
    unsigned char b = i < input.size() ? static_cast<unsigned char>(input[i]) : 0;
    token.push_back(kBase62[b % kBase62.size()]);
  }
  std::string checksum = authz::TokenChecksum(token);
  AUTHD_FUZZ_CHECK(checksum.size() == authz::kTokenChecksumChars);
  for (char c : checksum) AUTHD_FUZZ_CHECK(absl::StrContains(kBase62, c));
  token += checksum;
  AUTHD_FUZZ_CHECK(token.size() == authz::kGeneratedTokenLength);
  AUTHD_FUZZ_CHECK(authz::ClassifyToken(token) == TokenShape::kPlausible);
  AUTHD_FUZZ_CHECK(authz::ValidateSuppliedToken(token).ok());

  AUTHD_FUZZ_CHECK(authz::ClassifyToken(absl::string_view(token).substr(0, token.size() - 1)) ==
                   TokenShape::kImpossible);
  // One typo per input, at a position and by a non-zero base62 step the input chooses (every
  // position comes up across inputs; checking all 49 each time made the target 10x slower).
  auto byte_at = [&input](size_t i) {
    return i < input.size() ? static_cast<unsigned char>(input[i]) : input.size();
  };
  size_t position = authz::kTokenPrefix.size() +
                    byte_at(authz::kTokenSecretChars) % (token.size() - authz::kTokenPrefix.size());
  size_t step = 1 + byte_at(authz::kTokenSecretChars + 1) % (kBase62.size() - 1);
  std::string typo = token;
  typo[position] = kBase62[(kBase62.find(token[position]) + step) % kBase62.size()];
  AUTHD_FUZZ_CHECK(authz::ClassifyToken(typo) == TokenShape::kImpossible);
  AUTHD_FUZZ_CHECK(!authz::ValidateSuppliedToken(typo).ok());
}

void CheckHashOf(absl::string_view token) {
  authz::TokenDigest digest = authz::DigestToken(token);
  std::string phc = authz::HashToken(token);
  AUTHD_FUZZ_CHECK(phc == authz::EncodeTokenHash(digest));
  AUTHD_FUZZ_CHECK(phc.size() == 58);
  AUTHD_FUZZ_CHECK(absl::StartsWith(phc, "$authd-sha256$"));
  absl::StatusOr<authz::TokenDigest> back = authz::DecodeTokenHash(phc);
  AUTHD_FUZZ_CHECK(back.ok());
  AUTHD_FUZZ_CHECK(authz::DigestEquals(*back, digest));
}

void CheckStoredHash(absl::string_view phc) {
  absl::StatusOr<authz::TokenDigest> digest = authz::DecodeTokenHash(phc);
  AUTHD_FUZZ_CHECK_CODE(digest.status(), absl::StatusCode::kOk,
                        absl::StatusCode::kInvalidArgument);
  if (digest.ok()) AUTHD_FUZZ_CHECK(authz::EncodeTokenHash(*digest) == phc);
}

}  // namespace
}  // namespace authd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  authd::fuzz::CheckPresentedToken(input);
  authd::fuzz::CheckGeneratedFormat(input);
  authd::fuzz::CheckHashOf(input);
  authd::fuzz::CheckStoredHash(input);
  return 0;
}
