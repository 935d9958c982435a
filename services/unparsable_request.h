// UnparsableRequestInterceptorFactory: a gRPC server interceptor that answers a request message
// that does not parse with INVALID_ARGUMENT instead of gRPC's own status for it.
//
// Protobuf refuses a proto3 `string` field holding invalid UTF-8 (and any malformed message)
// while gRPC deserializes the request, before a handler runs. gRPC 1.51 then answers INTERNAL with
// an empty message on the synchronous API and UNIMPLEMENTED on the callback API (Authorize): codes
// that blame the server for a client's bad input. The interceptor sees the failure as a missing
// request message at the POST_RECV_MESSAGE hook and rewrites the status at PRE_SEND_STATUS. The
// wire and JSON formats are untouched (the fields stay `string`).
//
// Only RPCs whose single request message gRPC reads before the handler (unary and server
// streaming) are covered; on a client stream a message that does not parse ends the handler's
// Read() loop like the end of the stream, and the handler answers for what it got (Restore:
// INVALID_ARGUMENT, the backup is incomplete).
//
// Thread-safe (one interceptor per call).
#ifndef AUTHD_SERVICES_UNPARSABLE_REQUEST_H_
#define AUTHD_SERVICES_UNPARSABLE_REQUEST_H_

#include <grpcpp/support/server_interceptor.h>

namespace authd::services {

// The message of the INVALID_ARGUMENT status. Names no field and quotes nothing of the request.
inline constexpr char kUnparsableRequestMessage[] =
    "request: malformed message (is every string field valid UTF-8?)";

class UnparsableRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // nullptr (no interceptor) for client- and bidi-streaming RPCs.
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_UNPARSABLE_REQUEST_H_
