// CallerAuthenticator: turns a call's `authorization: Token <t>` / `Bearer <t>` metadata into an
// authz::Principal, reading only memory (the TokenIndex and the SessionTable). Failures are
// logged with the peer address and, when known, the authorization ID, never the token.
// Borrows the index and the session table; thread-safe.
#ifndef AUTHD_SERVICES_CALLER_AUTH_H_
#define AUTHD_SERVICES_CALLER_AUTH_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/principal.h"
#include "authz/session_table.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "net/h2_front.h"

namespace authd::services {

// Extracts the token from an `authorization` metadata value: "<scheme> <token>" with scheme Token
// or Bearer, case-insensitive. Errors: kUnauthenticated.
absl::StatusOr<absl::string_view> TokenFromHeader(absl::string_view header);

// The token in the call's `authorization` metadata. Errors: kUnauthenticated.
absl::StatusOr<std::string> TokenFromContext(const grpc::ServerContextBase& context);

class CallerAuthenticator {
 public:
  // `front` (may be null) names the client behind a gRPC peer string: gRPC sees the HTTP/2
  // front's socketpair ("fd:N"), not the client's address.
  // `http_peer_secret` (may be empty) proves a call came from authd's own HTTP API on the
  // in-process channel: only then is its `authd-http-peer` metadata believed (see PeerOf).
  CallerAuthenticator(const authz::TokenIndex* index, authz::SessionTable* sessions,
                      const net::H2Front* front = nullptr, std::string http_peer_secret = "")
      : index_(index),
        sessions_(sessions),
        front_(front),
        http_peer_secret_(std::move(http_peer_secret)),
        http_peer_digest_(authz::DigestToken(http_peer_secret_)) {}

  // The client's address for logs ("ipv4:127.0.0.1:5000"; "http:127.0.0.1:5000" for a call the
  // HTTP API made for a client, named by `authd-http-peer: <secret> <address>`, which a network
  // client cannot forge without the per-process secret).
  std::string PeerOf(const grpc::ServerContextBase& context) const;

  // Errors: kUnauthenticated "authorization metadata is missing" / "... scheme is invalid",
  // kUnauthenticated "unauthorized access" (malformed or unknown token),
  // kUnauthenticated "token expired", kUnauthenticated "token is inactive",
  // kPermissionDenied "user is inactive".
  absl::StatusOr<authz::Principal> Authenticate(const grpc::ServerContextBase& context) const;

  // The same for a bare token (no metadata); `peer` is for the log.
  absl::StatusOr<authz::Principal> AuthenticateToken(absl::string_view token,
                                                     absl::string_view peer) const;

 private:
  const authz::TokenIndex* index_;
  authz::SessionTable* sessions_;
  const net::H2Front* front_;
  const std::string http_peer_secret_;
  const authz::TokenDigest http_peer_digest_;  // of http_peer_secret_; compared in constant time
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_CALLER_AUTH_H_
