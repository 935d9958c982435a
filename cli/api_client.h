// ApiClient: authctl's gRPC client for authd. One insecure channel to `host`; every call carries
// `authorization: Token <token>` when a token is set and a deadline. gRPC statuses become
// absl::Status with the same code and the server's message (authd's messages never contain a
// token, a hash or a password). Thread-compatible.
#ifndef AUTHD_CLI_API_CLIENT_H_
#define AUTHD_CLI_API_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "authd/v1/admin_service.grpc.pb.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/session_service.grpc.pb.h"
#include "authd/v1/setup_service.grpc.pb.h"
#include "authd/v1/tenant_service.grpc.pb.h"

namespace authd::cli {

namespace v1 = ::authd::v1;

struct ClientOptions {
  // gRPC target. Default: 127.0.0.1:50051.
  std::string host = "127.0.0.1:50051";
  // Sent as `authorization: Token <token>`; empty sends no credentials. Default: empty.
  std::string token;
  // Per-call deadline. Default: 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // Deadline of a backup or restore stream. Default: 1 h.
  absl::Duration stream_timeout = absl::Hours(1);
  // PEM contents. A CA turns TLS on; a certificate and key add a client identity (mutual TLS).
  // Default: empty (plaintext).
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

// grpc::Status -> absl::Status, same code, the server's message (or the code's name when empty).
absl::Status FromGrpcStatus(const grpc::Status& status);

class ApiClient {
 public:
  explicit ApiClient(ClientOptions options);

  // The List* calls follow every page and return them merged.
  // Errors of every call: the server's status (UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, ...),
  // UNAVAILABLE when authd cannot be reached, DEADLINE_EXCEEDED after `timeout`.
  absl::StatusOr<v1::GetSetupStatusResponse> GetSetupStatus();
  absl::StatusOr<v1::SetupResponse> Setup(const v1::SetupRequest& req);
  absl::StatusOr<v1::SignInResponse> SignIn(const v1::SignInRequest& req);

  absl::StatusOr<v1::Org> CreateOrg(const v1::CreateOrgRequest& req);
  absl::StatusOr<v1::Org> GetOrg(const std::string& id);
  absl::StatusOr<v1::ListOrgsResponse> ListOrgs(const v1::ListOrgsRequest& req);
  absl::Status DeleteOrg(const std::string& id);
  absl::StatusOr<v1::Org> UpdateOrg(const v1::UpdateOrgRequest& req);

  absl::StatusOr<v1::User> CreateUser(const v1::CreateUserRequest& req);
  absl::StatusOr<v1::User> GetUser(const std::string& id);
  absl::StatusOr<v1::ListUsersResponse> ListUsers(const v1::ListUsersRequest& req);
  absl::Status DeleteUser(const std::string& id);
  absl::Status SetPassword(const v1::SetPasswordRequest& req);

  absl::StatusOr<v1::Bucket> CreateBucket(const v1::CreateBucketRequest& req);
  absl::StatusOr<v1::Bucket> GetBucket(const std::string& id);
  absl::StatusOr<v1::ListBucketsResponse> ListBuckets(const v1::ListBucketsRequest& req);
  absl::Status DeleteBucket(const std::string& id);

  absl::StatusOr<v1::Authorization> CreateAuthorization(const v1::CreateAuthorizationRequest& req);
  absl::StatusOr<v1::Authorization> GetAuthorization(const std::string& id);
  absl::StatusOr<v1::ListAuthorizationsResponse> ListAuthorizations(
      const v1::ListAuthorizationsRequest& req);
  absl::StatusOr<v1::Authorization> UpdateAuthorization(const v1::UpdateAuthorizationRequest& req);
  absl::Status DeleteAuthorization(const std::string& id);
  absl::StatusOr<v1::Authorization> RotateAuthorization(const v1::RotateAuthorizationRequest& req);

  absl::StatusOr<v1::GetServerConfigResponse> GetServerConfig();
  // Streams a backup; `sink` receives each chunk in order and may stop the stream with an error.
  // Deadline: `stream_timeout`.
  absl::Status Backup(const std::function<absl::Status(const v1::BackupChunk&)>& sink);
  // Streams `chunks` (produced on demand: `next` returns false when done, or an error) to Restore.
  absl::StatusOr<v1::RestoreResponse> Restore(
      const std::function<absl::StatusOr<bool>(v1::BackupChunk*)>& next);

 private:
  std::unique_ptr<grpc::ClientContext> Context() const;

  // Runs one unary call through `rpc` and converts its status.
  template <typename Response>
  absl::StatusOr<Response> Call(
      const std::function<grpc::Status(grpc::ClientContext*, Response*)>& rpc) const {
    Response response;
    grpc::Status status = rpc(Context().get(), &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Follows `next_page_token` until the last page (at most 100,000 pages), merging with `merge`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> AllPages(
      Request req,
      const std::function<grpc::Status(grpc::ClientContext*, const Request&, Response*)>& rpc,
      const std::function<void(Response*, Response*)>& merge) const {
    Response all;
    for (int pages = 0; pages < 100000; ++pages) {
      Response page;
      grpc::Status status = rpc(Context().get(), req, &page);
      if (!status.ok()) return FromGrpcStatus(status);
      merge(&all, &page);
      if (page.next_page_token().empty()) return all;
      req.set_page_token(page.next_page_token());
    }
    return absl::ResourceExhaustedError("the list has more than 100,000 pages");
  }

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SetupService::Stub> setup_;
  std::unique_ptr<v1::SessionService::Stub> session_;
  std::unique_ptr<v1::TenantService::Stub> tenant_;
  std::unique_ptr<v1::AuthorizationService::Stub> auths_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

}  // namespace authd::cli

#endif  // AUTHD_CLI_API_CLIENT_H_
