#include "storage/state_digest.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace authd::storage {

struct StateDigest::Ctx {
  SHA256_CTX sha;
};

namespace {

void AddField(SHA256_CTX* sha, absl::string_view bytes) {
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  const unsigned char len[4] = {static_cast<unsigned char>(n >> 24),
                                static_cast<unsigned char>(n >> 16),
                                static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  SHA256_Update(sha, len, sizeof(len));
  SHA256_Update(sha, bytes.data(), bytes.size());
}

}  // namespace

StateDigest::StateDigest() : ctx_(std::make_unique<Ctx>()) { SHA256_Init(&ctx_->sha); }

StateDigest::~StateDigest() = default;

void StateDigest::Add(absl::string_view cf, absl::string_view key, absl::string_view value) {
  AddField(&ctx_->sha, cf);
  AddField(&ctx_->sha, key);
  AddField(&ctx_->sha, value);
  ++rows_;
}

std::string StateDigest::Finish() {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256_Final(out, &ctx_->sha);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

std::string StateDigest::Hex(absl::string_view digest) { return absl::BytesToHexString(digest); }

}  // namespace authd::storage
