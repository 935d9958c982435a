// String-field discovery for the hostile-input e2e test: which authd.v1 services exist (from the
// .proto files in the test's runfiles, resolved in protobuf's generated pool), and every `string`
// field reachable from a request message, as a path through nested and repeated messages, with
// helpers to set one such field on a message by reflection. testonly; pure; thread-compatible.
#ifndef AUTHD_TESTS_E2E_STRING_FIELD_PATHS_H_
#define AUTHD_TESTS_E2E_STRING_FIELD_PATHS_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace authd::e2e {

// Every service declared in the `.proto` files under `proto_dir` (a runfiles directory such as
// "proto/authd/v1"), in file-name then declaration order, resolved as "authd/v1/<file>" in
// protobuf's generated pool. kNotFound if a file is not linked into the test; kInvalidArgument
// if the directory holds no .proto file.
absl::StatusOr<std::vector<const google::protobuf::ServiceDescriptor*>> ServicesInProtoDir(
    const std::string& proto_dir, const std::string& import_prefix);

// The fields from a request message down to one `string` field; every field but the last is a
// message field (singular or repeated).
using FieldPath = std::vector<const google::protobuf::FieldDescriptor*>;

// Every string field reachable from `message` (singular, repeated, nested), depth-first in
// declaration order. Message types already on the current path are not entered again.
std::vector<FieldPath> StringFieldPaths(const google::protobuf::Descriptor* message);

// "permissions[0].resource.type": repeated fields are shown with the element they address.
std::string PathName(const FieldPath& path);

// Whether every message on `path` (but the last field) is already present in `message`: set
// (singular) or non-empty (repeated). Used to pick the message of a stream a path belongs to.
bool PathExists(const google::protobuf::Message& message, const FieldPath& path);

// Sets the string at `path` to `value` (raw bytes; no UTF-8 check), creating the intermediate
// messages, or the first element of a repeated field, when they are missing.
void SetStringAt(google::protobuf::Message* message, const FieldPath& path,
                 const std::string& value);

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_STRING_FIELD_PATHS_H_
