#include "services/caller_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "authz/token.h"
#include "authz/token_hash.h"
#include "base/clock.h"
#include "base/log.h"
#include "http/http_message.h"

namespace authd::services {
namespace {

absl::Status Fail(absl::string_view reason, absl::string_view peer, authz::Id auth_id,
                  absl::Status status) {
  std::string line = absl::StrCat("authentication failed: ", reason, " peer=", peer);
  if (auth_id != 0) absl::StrAppend(&line, " authorization_id=", authz::FormatId(auth_id));
  LogWarning(line);
  return status;
}

}  // namespace

absl::StatusOr<absl::string_view> TokenFromHeader(absl::string_view header) {
  size_t space = header.find(' ');
  if (space == absl::string_view::npos) {
    return absl::UnauthenticatedError("authorization metadata scheme is invalid");
  }
  absl::string_view scheme = header.substr(0, space);
  if (!absl::EqualsIgnoreCase(scheme, "token") && !absl::EqualsIgnoreCase(scheme, "bearer")) {
    return absl::UnauthenticatedError("authorization metadata scheme is invalid");
  }
  absl::string_view token = header.substr(space + 1);
  if (token.empty()) return absl::UnauthenticatedError("authorization metadata has no token");
  return token;
}

absl::StatusOr<std::string> TokenFromContext(const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError("authorization metadata is missing");
  }
  absl::string_view header(it->second.data(), it->second.size());
  auto token = TokenFromHeader(header);
  if (!token.ok()) return token.status();
  return std::string(*token);
}

absl::StatusOr<authz::Principal> CallerAuthenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  auto token = TokenFromContext(context);
  if (!token.ok()) return Fail(token.status().message(), PeerOf(context), 0, token.status());
  return AuthenticateToken(*token, PeerOf(context));
}

std::string CallerAuthenticator::PeerOf(const grpc::ServerContextBase& context) const {
  if (!http_peer_secret_.empty()) {
    const auto& md = context.client_metadata();
    auto it = md.find(http::kHttpPeerMetadata);
    if (it != md.end()) {
      absl::string_view value(it->second.data(), it->second.size());
      const size_t space = value.find(' ');
      if (space != absl::string_view::npos &&
          authz::DigestEquals(authz::DigestToken(value.substr(0, space)), http_peer_digest_)) {
        return absl::StrCat("http:", value.substr(space + 1));
      }
    }
  }
  return front_ != nullptr ? front_->PeerOf(context.peer()) : context.peer();
}

absl::StatusOr<authz::Principal> CallerAuthenticator::AuthenticateToken(
    absl::string_view token, absl::string_view peer) const {
  const absl::Status unknown = absl::UnauthenticatedError("unauthorized access");
  if (authz::ClassifyToken(token) == authz::TokenShape::kImpossible) {
    return Fail("malformed token", peer, 0, unknown);
  }
  authz::TokenDigest digest = authz::DigestToken(token);
  // A stored token first, then a session: both judged by the same rules below.
  std::optional<authz::TokenGrant> grant = index_->Find(digest);
  const bool session = !grant.has_value();
  if (session) grant = sessions_->FindGrant(digest);
  if (!grant) return Fail("unknown token", peer, 0, unknown);
  // A rotated-away secret in its grace period works for Authorize (the siblings moving to the new
  // one), never as an API credential: else a leaked old secret could rotate the token again.
  if (grant->previous_secret) {
    return Fail("previous secret of a rotated token", peer, grant->authorization_id, unknown);
  }
  const int64_t now = CoarseNowNanos();
  if (authz::Expired(*grant, now)) {
    return Fail("token expired", peer, grant->authorization_id,
                absl::UnauthenticatedError("token expired"));
  }
  // InfluxDB's order: the user first (403), then the token's own status (401; sessions are always
  // active).
  if (!index_->UserActive(grant->user_id)) {
    return Fail("user is inactive", peer, grant->authorization_id,
                absl::PermissionDeniedError("user is inactive"));
  }
  if (!grant->active) {
    return Fail("token is inactive", peer, grant->authorization_id,
                absl::UnauthenticatedError("token is inactive"));
  }
  // An API call is a use of the caller's token too (a session is not in the index).
  if (!session) index_->MarkUsed(digest, now);
  return authz::Principal{grant->authorization_id, grant->user_id, grant->org_id, session,
                          std::move(grant->permissions)};
}

}  // namespace authd::services
