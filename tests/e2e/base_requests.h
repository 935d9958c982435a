// Base requests for the hostile-input e2e test: for every authd.v1 RPC, one valid request (or
// request stream) and the status it gets, built against a running, set-up authd. The test mutates
// one string field of it at a time. This table is the one hand-written part of that test: a new
// RPC without an entry here fails the test. testonly; thread-compatible.
#ifndef AUTHD_TESTS_E2E_BASE_REQUESTS_H_
#define AUTHD_TESTS_E2E_BASE_REQUESTS_H_

#include <grpcpp/support/status.h>

#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/e2e/authd_client.h"

namespace authd::e2e {

// What the builders draw on: a client of the server, the operator token and the tenant made by
// setup, and fresh resources on demand (each with a unique name). A resource the server refuses
// to create fails the current test and yields an empty ID.
class RequestEnv {
 public:
  RequestEnv(AuthdClient* client, std::string operator_token, std::string user_id,
             std::string org_id, std::string bucket_id);

  const std::string& operator_token() const { return operator_token_; }
  const std::string& user_id() const { return user_id_; }
  const std::string& org_id() const { return org_id_; }
  const std::string& bucket_id() const { return bucket_id_; }

  // A name no earlier call returned, starting with `prefix`.
  std::string UniqueName(const std::string& prefix);
  // IDs of new resources (the token's ID for NewAuthorization), and a new session token of the
  // setup user ("admin", password kSetupPassword).
  std::string NewOrg();
  std::string NewUser();
  std::string NewBucket();
  std::string NewAuthorization();
  std::string NewSession();
  // A fresh backup of the whole store, as the chunk stream Backup sends.
  std::vector<std::unique_ptr<google::protobuf::Message>> Backup();

 private:
  AuthdClient* client_;
  std::string operator_token_, user_id_, org_id_, bucket_id_;
  int next_name_ = 0;
};

// The setup user's name and password (as AuthdClient::Setup uses them).
inline constexpr char kSetupUser[] = "admin";
inline constexpr char kSetupPassword[] = "correct horse battery";

struct BaseRequest {
  // One message for unary and server-streaming RPCs; the whole stream for client streaming.
  std::vector<std::unique_ptr<google::protobuf::Message>> messages;
  // The caller's token (`authorization` metadata); empty for none.
  std::string token;
  // What the unchanged request gets (OK, except for Setup on a set-up server).
  grpc::StatusCode code = grpc::StatusCode::OK;
  // How long the call may take. A stream that never ends by itself (WatchAuthorizations) gets a
  // short one, and DEADLINE_EXCEEDED as its `code`.
  absl::Duration deadline = absl::Seconds(30);
};

using BaseRequestBuilder = std::function<BaseRequest(RequestEnv&)>;

// Keyed by the method's full name, e.g. "authd.v1.TenantService.CreateOrg".
const std::map<std::string, BaseRequestBuilder>& BaseRequestBuilders();

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_BASE_REQUESTS_H_
