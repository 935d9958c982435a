#include "http/influx_error.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"

namespace authd::http {

InfluxError InfluxErrorFor(grpc::StatusCode code, absl::string_view message) {
  switch (code) {
    case grpc::StatusCode::OK:
      return {200, ""};
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return {400, kCodeInvalid};
    case grpc::StatusCode::UNAUTHENTICATED:
      return {401, kCodeUnauthorized};
    case grpc::StatusCode::PERMISSION_DENIED:
      // authz::Require's "<permission> is unauthorized": InfluxDB's authorizer answers 401.
      if (absl::EndsWith(message, " is unauthorized")) return {401, kCodeUnauthorized};
      return {403, kCodeForbidden};
    case grpc::StatusCode::NOT_FOUND:
      return {404, kCodeNotFound};
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return {422, kCodeConflict};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::UNAVAILABLE:
      return {503, kCodeUnavailable};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {408, kCodeUnavailable};
    case grpc::StatusCode::CANCELLED:
      return {499, kCodeInternal};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {501, kCodeNotImplemented};
    default:
      return {500, kCodeInternal};
  }
}

HttpResponse ErrorResponse(int http_status, absl::string_view code, absl::string_view message) {
  nlohmann::json body = {{"code", std::string(code)}, {"message", std::string(message)}};
  HttpResponse r =
      JsonResponse(http_status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.emplace_back("X-Platform-Error-Code", std::string(code));
  return r;
}

HttpResponse ErrorResponse(const grpc::Status& status) {
  const InfluxError e = InfluxErrorFor(status.error_code(), status.error_message());
  if (e.http_status == 500) {
    // InfluxDB's words for an error without a code; the detail is in authd's log, not the reply.
    return ErrorResponse(500, kCodeInternal, "An internal error has occurred - check server logs");
  }
  return ErrorResponse(e.http_status, e.code, status.error_message());
}

}  // namespace authd::http
