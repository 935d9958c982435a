// InfluxApi: InfluxDB OSS v2's token-management HTTP API (`/api/v2/...`, `/health`, `/ping`) as a
// translator in front of authd's own gRPC services (docs/adr/0006-http-api.md). Each route turns
// the request into an `authd.v1` call on an in-process channel, with the caller's credentials as
// `authorization` metadata, and the reply or the status into InfluxDB's JSON. It holds no rule of
// its own beyond transport: credentials (header or session cookie), the CSRF check on
// cookie-authenticated writes, and InfluxDB's status codes. Thread-safe; Handle blocks for the
// gRPC call (the HTTP server runs it on a worker thread).
#ifndef AUTHD_HTTP_INFLUX_API_H_
#define AUTHD_HTTP_INFLUX_API_H_

#include <memory>
#include <optional>
#include <string>

#include <grpcpp/channel.h>

#include "absl/time/time.h"
#include "authd/v1/admin_service.grpc.pb.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/session_service.grpc.pb.h"
#include "authd/v1/setup_service.grpc.pb.h"
#include "authd/v1/tenant_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "http/http_message.h"
#include "http/route_table.h"

namespace authd::http {

// InfluxDB's session cookie name (the UI and `influx` send it back).
inline constexpr char kSessionCookie[] = "influxdb-oss-session";

struct InfluxApiOptions {
  // Deadline of each gRPC call a request makes. Default: 10s.
  absl::Duration call_timeout = absl::Seconds(10);
  // Served over TLS: the session cookie gets `Secure`. Default: false.
  bool tls = false;
  // Reported by /health, /ping and /api/v2.
  std::string version;
  // The secret of `authd-http-peer` metadata (kHttpPeerMetadata): with it, authd's logs name the
  // HTTP client's address, not the in-process channel. Default: empty (not sent).
  std::string peer_secret;
};

class InfluxApi {
 public:
  // `channel` reaches authd's gRPC services (grpc::Server::InProcessChannel); shared, not owned.
  InfluxApi(std::shared_ptr<grpc::Channel> channel, InfluxApiOptions options);

  HttpResponse Handle(const HttpRequest& request) const;

 private:
  enum Route : int {
    kHealth = 1,
    kPing,
    kPingHead,
    kRoot,
    kSetupGet,
    kSetupPost,
    kSignIn,
    kSignOut,
    kAuthList,
    kAuthCreate,
    kAuthGet,
    kAuthPatch,
    kAuthRotate,
    kAuthDelete,
    kMe,
    kOrgList,
    kOrgCreate,
    kOrgGet,
    kOrgDelete,
    kBucketList,
    kBucketCreate,
    kBucketGet,
    kBucketDelete,
    kUserList,
    kUserCreate,
    kUserGet,
    kUserPatch,
    kUserDelete,
    kUserPassword,
    kResources,
    kConfig,
  };

  HttpResponse Health() const;
  HttpResponse Ping() const;
  HttpResponse Root() const;
  HttpResponse SetupStatus() const;
  HttpResponse Setup(const HttpRequest& r) const;
  HttpResponse SignIn(const HttpRequest& r) const;
  HttpResponse SignOut(const HttpRequest& r) const;
  HttpResponse ListAuthorizations(const HttpRequest& r, const std::string& credentials) const;
  HttpResponse CreateAuthorization(const HttpRequest& r, const std::string& credentials) const;
  HttpResponse GetAuthorization(absl::string_view id, const std::string& credentials) const;
  HttpResponse UpdateAuthorization(const HttpRequest& r, absl::string_view id,
                                   const std::string& credentials) const;
  HttpResponse DeleteAuthorization(absl::string_view id, const std::string& credentials) const;
  HttpResponse RotateAuthorization(const HttpRequest& r, absl::string_view id,
                                   const std::string& credentials) const;
  // The routes of orgs, buckets, users, /me, /resources and /config (influx_api_tenants.cc).
  HttpResponse Tenants(int route, const HttpRequest& r, const RouteMatch& m,
                       const std::string& credentials) const;
  HttpResponse ListOrgs(const HttpRequest& r, const std::string& credentials) const;
  HttpResponse ListBuckets(const HttpRequest& r, const std::string& credentials) const;
  HttpResponse ListUsers(const HttpRequest& r, const std::string& credentials) const;
  HttpResponse Config(const std::string& credentials) const;

  // A client context with the deadline and, when given, the `authorization` metadata and the
  // client's address (of the request this thread is handling: Handle sets it).
  std::unique_ptr<grpc::ClientContext> Context(const std::string& credentials) const;

  InfluxApiOptions options_;
  RouteTable routes_;
  std::unique_ptr<authd::v1::AuthorizationService::Stub> authorizations_;
  std::unique_ptr<authd::v1::SetupService::Stub> setup_;
  std::unique_ptr<authd::v1::SessionService::Stub> sessions_;
  std::unique_ptr<authd::v1::TenantService::Stub> tenants_;
  std::unique_ptr<authd::v1::AdminService::Stub> admin_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// The credentials a request carries, as the `authorization` metadata value for the gRPC call:
// its `Authorization` header as sent, or "Token <session>" from the session cookie. Fails with
// InfluxDB's 401 "unauthorized access" when there are none (or the header is not printable ASCII),
// and with 403 when a cookie-authenticated write comes from another site (the CSRF check:
// `Origin` must be this server's own, and `Sec-Fetch-Site` same-origin, when the browser sends
// them). On failure, `*refusal` is the answer to send.
bool CredentialsOf(const HttpRequest& request, bool tls, std::string* credentials,
                   HttpResponse* refusal);

// The session token in a `Cookie` header, if any.
std::optional<std::string> SessionFromCookie(absl::string_view cookie_header);

}  // namespace authd::http

#endif  // AUTHD_HTTP_INFLUX_API_H_
