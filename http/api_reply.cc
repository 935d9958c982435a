#include "http/api_reply.h"

#include "absl/strings/match.h"
#include "http/influx_error.h"

namespace authd::http {

HttpResponse Unauthorized() { return ErrorResponse(401, kCodeUnauthorized, "unauthorized access"); }

HttpResponse NoContent() {
  HttpResponse r;
  r.status = 204;
  return r;
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

HttpResponse CallError(const grpc::Status& s) {
  if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
      absl::StartsWith(s.error_message(), "authorization metadata")) {
    return Unauthorized();
  }
  return ErrorResponse(s);
}

HttpResponse JsonReply(int status, const Json& j) { return JsonResponse(status, Dump(j)); }

}  // namespace authd::http
