// HttpRequest and HttpResponse: the HTTP server's (http/http_server.h) view of one exchange,
// independent of the library that parsed it, so routes and handlers are pure and table-tested.
// Plain values; thread-compatible.
#ifndef AUTHD_HTTP_HTTP_MESSAGE_H_
#define AUTHD_HTTP_HTTP_MESSAGE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace authd::http {

// The metadata by which the HTTP API tells authd's gRPC services, on the in-process channel, which
// client a call is for: "<per-process secret> <address>" (services/caller_auth.h believes it only
// with the secret).
inline constexpr char kHttpPeerMetadata[] = "authd-http-peer";

struct HttpRequest {
  // "GET", "POST", ... as sent (methods are case-sensitive).
  std::string method;
  // The path, percent-decoded, without the query string ("/api/v2/authorizations").
  std::string path;
  // The query parameters in order, percent-decoded ("?org=acme&userID=..." ).
  std::vector<std::pair<std::string, std::string>> query;
  // Header fields in order; names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's address ("127.0.0.1:51234"), for logs only.
  std::string peer;

  // The first header called `name` (case-insensitive), if any.
  std::optional<absl::string_view> Header(absl::string_view name) const;
  // The first query parameter called `name` (case-sensitive, as InfluxDB's), if any.
  std::optional<absl::string_view> Query(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  HttpResponse& With(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// A JSON response (`Content-Type: application/json; charset=utf-8`).
HttpResponse JsonResponse(int status, std::string body);

// Splits a request target ("/a%20b?x=1&y", or the absolute form "http://host/a?x=1") into a
// decoded path and query. False on a malformed percent escape, a decoded NUL, or a path that does
// not start with '/'.
bool ParseTarget(absl::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query);

}  // namespace authd::http

#endif  // AUTHD_HTTP_HTTP_MESSAGE_H_
