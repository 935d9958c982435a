// RawCall: calls any gRPC method by name with request messages given as serialized bytes, so a
// test can send what a well-behaved client library refuses to build (e.g. invalid UTF-8 in a
// proto3 `string` field, which the server's protobuf rejects while parsing). Works for unary and
// streaming methods alike (the wire is the same: the client sends every message, half-closes and
// drains the replies). testonly; thread-compatible.
#ifndef AUTHD_TESTS_E2E_RAW_CALL_H_
#define AUTHD_TESTS_E2E_RAW_CALL_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace authd::e2e {

struct RawCallResult {
  grpc::Status status;
  std::vector<std::string> replies;  // serialized response messages, in order
};

// Calls `method` ("/authd.v1.TenantService/CreateOrg") with `requests` (serialized messages),
// `authorization: Token <token>` unless `token` is empty, and `deadline` (default 30 s).
RawCallResult RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& token, const std::vector<std::string>& requests,
                      absl::Duration deadline = absl::Seconds(30));

// Serializes `message` even where a `string` field holds bytes that are not UTF-8 (protobuf would
// log an error for each; the log is silenced here, as the bytes are meant).
std::string SerializeRaw(const google::protobuf::Message& message);

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_RAW_CALL_H_
