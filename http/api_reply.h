// The small answers every InfluxApi route shares: 401 "unauthorized access", 204, a failed gRPC
// call as InfluxDB's error, and a JSON reply. Pure; used by influx_api*.cc only.
#ifndef AUTHD_HTTP_API_REPLY_H_
#define AUTHD_HTTP_API_REPLY_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "http/http_message.h"
#include "http/influx_json.h"

namespace authd::http {

// InfluxDB's answer to missing, malformed or unknown credentials.
HttpResponse Unauthorized();
HttpResponse NoContent();
// A request body's decoding error as a gRPC status (absl and gRPC codes are the same numbers).
grpc::Status ToGrpc(const absl::Status& s);
// A failed call: InfluxDB's error for it. The gRPC services word a credentials problem for gRPC
// ("authorization metadata is missing"); InfluxDB says "unauthorized access" for each.
HttpResponse CallError(const grpc::Status& s);
// `status` with `j` as the body.
HttpResponse JsonReply(int status, const Json& j);

}  // namespace authd::http

#endif  // AUTHD_HTTP_API_REPLY_H_
