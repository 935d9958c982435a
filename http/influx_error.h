// InfluxDB's error answers: a gRPC status from authd's services becomes the HTTP status and the
// `{"code","message"}` body (with `X-Platform-Error-Code`) that InfluxDB OSS v2 sends for the same
// failure (kit/transport/http/error_handler.go; ../shared/reference/influxdb-v2-tokens.md §5).
// Pure; the table is in docs/adr/0006-http-api.md.
#ifndef AUTHD_HTTP_INFLUX_ERROR_H_
#define AUTHD_HTTP_INFLUX_ERROR_H_

#include <string>

#include <grpcpp/support/status.h>

#include "absl/strings/string_view.h"
#include "http/http_message.h"

namespace authd::http {

// InfluxDB's error codes (the strings of its `errors` package).
inline constexpr char kCodeInvalid[] = "invalid";
inline constexpr char kCodeUnauthorized[] = "unauthorized";
inline constexpr char kCodeForbidden[] = "forbidden";
inline constexpr char kCodeNotFound[] = "not found";
inline constexpr char kCodeMethodNotAllowed[] = "method not allowed";
inline constexpr char kCodeTooLarge[] = "request too large";
inline constexpr char kCodeConflict[] = "conflict";
inline constexpr char kCodeUnprocessable[] = "unprocessable entity";
inline constexpr char kCodeInternal[] = "internal error";
inline constexpr char kCodeNotImplemented[] = "not implemented";
inline constexpr char kCodeUnavailable[] = "unavailable";

struct InfluxError {
  int http_status;
  const char* code;
};

// The HTTP status and InfluxDB code for a gRPC status code and message. PERMISSION_DENIED is 403
// `forbidden` except a failed permission check ("<permission> is unauthorized"), which InfluxDB
// answers with 401 `unauthorized`.
InfluxError InfluxErrorFor(grpc::StatusCode code, absl::string_view message);

// The error response for `status`: InfluxErrorFor's status, the JSON body, the header.
HttpResponse ErrorResponse(const grpc::Status& status);
// An error response with an explicit status and code.
HttpResponse ErrorResponse(int http_status, absl::string_view code, absl::string_view message);

}  // namespace authd::http

#endif  // AUTHD_HTTP_INFLUX_ERROR_H_
