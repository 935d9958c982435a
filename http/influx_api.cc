#include "http/influx_api.h"

#include <grpcpp/client_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "http/api_reply.h"
#include "http/influx_error.h"
#include "http/influx_json.h"
#include "http/ui_assets.h"

namespace authd::http {
namespace {

bool Printable(absl::string_view v) {
  for (char c : v) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// An HTTP date for a cookie's Expires.
std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

std::string SessionCookie(const std::string& value, absl::Time expires, bool tls) {
  std::string c = absl::StrCat(kSessionCookie, "=", value, "; Path=/api/; Expires=",
                               HttpDate(expires), "; HttpOnly; SameSite=Strict");
  if (tls) absl::StrAppend(&c, "; Secure");
  return c;
}

}  // namespace

std::optional<std::string> SessionFromCookie(absl::string_view cookie_header) {
  for (absl::string_view part : absl::StrSplit(cookie_header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, kSessionCookie) && absl::ConsumePrefix(&part, "=")) {
      if (part.empty()) return std::nullopt;
      return std::string(part);
    }
  }
  return std::nullopt;
}

bool CredentialsOf(const HttpRequest& request, bool tls, std::string* credentials,
                   HttpResponse* refusal) {
  if (std::optional<absl::string_view> header = request.Header("Authorization")) {
    if (header->empty() || header->size() > 4096 || !Printable(*header)) {
      *refusal = Unauthorized();
      return false;
    }
    *credentials = std::string(*header);
    return true;
  }
  std::optional<absl::string_view> cookie = request.Header("Cookie");
  std::optional<std::string> session = cookie ? SessionFromCookie(*cookie) : std::nullopt;
  if (!session || session->size() > 4096 || !Printable(*session)) {
    *refusal = Unauthorized();
    return false;
  }
  // A browser attaches the cookie to any request to this host: a write must come from our own
  // pages (SameSite=Strict is the first defence; this is the second).
  if (request.method != "GET" && request.method != "HEAD") {
    const std::optional<absl::string_view> origin = request.Header("Origin");
    const std::optional<absl::string_view> host = request.Header("Host");
    const std::optional<absl::string_view> site = request.Header("Sec-Fetch-Site");
    const bool origin_ok =
        !origin || (host && *origin == absl::StrCat(tls ? "https://" : "http://", *host));
    const bool site_ok = !site || *site == "same-origin" || *site == "none";
    if (!origin_ok || !site_ok) {
      *refusal = ErrorResponse(403, kCodeForbidden,
                               "a write authenticated by the session cookie must come from this "
                               "server's own pages (Origin / Sec-Fetch-Site)");
      return false;
    }
  }
  *credentials = absl::StrCat("Token ", *session);
  return true;
}

InfluxApi::InfluxApi(std::shared_ptr<grpc::Channel> channel, InfluxApiOptions options)
    : options_(std::move(options)),
      authorizations_(authd::v1::AuthorizationService::NewStub(channel)),
      setup_(authd::v1::SetupService::NewStub(channel)),
      sessions_(authd::v1::SessionService::NewStub(channel)),
      tenants_(authd::v1::TenantService::NewStub(channel)),
      admin_(authd::v1::AdminService::NewStub(channel)),
      health_(grpc::health::v1::Health::NewStub(channel)) {
  routes_.Add("GET", "/health", kHealth);
  routes_.Add("GET", "/ping", kPing);
  routes_.Add("HEAD", "/ping", kPingHead);
  routes_.Add("GET", "/api/v2", kRoot);
  routes_.Add("GET", "/api/v2/setup", kSetupGet);
  routes_.Add("POST", "/api/v2/setup", kSetupPost);
  routes_.Add("POST", "/api/v2/signin", kSignIn);
  routes_.Add("POST", "/api/v2/signout", kSignOut);
  routes_.Add("GET", "/api/v2/authorizations", kAuthList);
  routes_.Add("POST", "/api/v2/authorizations", kAuthCreate);
  routes_.Add("GET", "/api/v2/authorizations/{id}", kAuthGet);
  routes_.Add("PATCH", "/api/v2/authorizations/{id}", kAuthPatch);
  routes_.Add("DELETE", "/api/v2/authorizations/{id}", kAuthDelete);
  // authd's extension (docs/http-api.md): a new secret for the same token.
  routes_.Add("POST", "/api/v2/authorizations/{id}/rotate", kAuthRotate);
  routes_.Add("GET", "/api/v2/me", kMe);
  routes_.Add("GET", "/api/v2/orgs", kOrgList);
  routes_.Add("POST", "/api/v2/orgs", kOrgCreate);
  routes_.Add("GET", "/api/v2/orgs/{id}", kOrgGet);
  routes_.Add("DELETE", "/api/v2/orgs/{id}", kOrgDelete);
  routes_.Add("GET", "/api/v2/buckets", kBucketList);
  routes_.Add("POST", "/api/v2/buckets", kBucketCreate);
  routes_.Add("GET", "/api/v2/buckets/{id}", kBucketGet);
  routes_.Add("DELETE", "/api/v2/buckets/{id}", kBucketDelete);
  routes_.Add("GET", "/api/v2/users", kUserList);
  routes_.Add("POST", "/api/v2/users", kUserCreate);
  routes_.Add("GET", "/api/v2/users/{id}", kUserGet);
  routes_.Add("PATCH", "/api/v2/users/{id}", kUserPatch);
  routes_.Add("DELETE", "/api/v2/users/{id}", kUserDelete);
  routes_.Add("POST", "/api/v2/users/{id}/password", kUserPassword);
  routes_.Add("GET", "/api/v2/resources", kResources);
  routes_.Add("GET", "/api/v2/config", kConfig);
}

namespace {
// The address of the client whose request this thread is handling (Handle's RAII below).
thread_local const std::string* current_peer = nullptr;

class CurrentPeer {
 public:
  explicit CurrentPeer(const std::string* peer) { current_peer = peer; }
  ~CurrentPeer() { current_peer = nullptr; }
};
}  // namespace

std::unique_ptr<grpc::ClientContext> InfluxApi::Context(const std::string& credentials) const {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  if (!credentials.empty()) c->AddMetadata("authorization", credentials);
  if (!options_.peer_secret.empty() && current_peer != nullptr && !current_peer->empty() &&
      Printable(*current_peer)) {
    c->AddMetadata(kHttpPeerMetadata, absl::StrCat(options_.peer_secret, " ", *current_peer));
  }
  return c;
}

HttpResponse InfluxApi::Handle(const HttpRequest& request) const {
  CurrentPeer peer(&request.peer);
  // HEAD is GET without the body (the server drops it), wherever GET is served.
  RouteMatch m = routes_.Find(request.method, request.path);
  if (m.kind == RouteMatch::Kind::kWrongMethod && request.method == "HEAD") {
    RouteMatch get = routes_.Find("GET", request.path);
    if (get.kind == RouteMatch::Kind::kFound) m = std::move(get);
  }
  if (m.kind == RouteMatch::Kind::kNoPath) {
    // The web UI: its exact files, from memory (http/ui_assets.h); nothing else outside the API.
    if (request.method == "GET" || request.method == "HEAD") {
      if (const UiAsset* asset = FindUiAsset(request.path)) {
        return UiResponse(*asset);
      }
    }
    return ErrorResponse(404, kCodeNotFound, "path not found");
  }
  if (m.kind == RouteMatch::Kind::kWrongMethod) {
    return ErrorResponse(405, kCodeMethodNotAllowed, "method not allowed")
        .With("Allow", m.allowed);
  }
  switch (m.handler) {
    case kHealth:
      return Health();
    case kPing:
    case kPingHead:
      return Ping();
    case kRoot:
      return Root();
    case kSetupGet:
      return SetupStatus();
    case kSetupPost:
      return Setup(request);
    case kSignIn:
      return SignIn(request);
    case kSignOut:
      return SignOut(request);
    default:
      break;
  }
  std::string credentials;
  HttpResponse refusal;
  if (!CredentialsOf(request, options_.tls, &credentials, &refusal)) return refusal;
  switch (m.handler) {
    case kAuthList:
      return ListAuthorizations(request, credentials);
    case kAuthCreate:
      return CreateAuthorization(request, credentials);
    case kAuthGet:
      return GetAuthorization(m.Param("id"), credentials);
    case kAuthRotate:
      return RotateAuthorization(request, m.Param("id"), credentials);
    case kAuthPatch:
      return UpdateAuthorization(request, m.Param("id"), credentials);
    case kAuthDelete:
      return DeleteAuthorization(m.Param("id"), credentials);
    default:
      return Tenants(m.handler, request, m, credentials);
  }
}

HttpResponse InfluxApi::Health() const {
  grpc::health::v1::HealthCheckRequest req;
  req.set_service("authd.v1.AuthorizeService");
  grpc::health::v1::HealthCheckResponse resp;
  auto c = Context("");
  grpc::Status s = health_->Check(c.get(), req, &resp);
  const bool pass =
      s.ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  Json j = Json::object();
  j["name"] = "authd";
  j["message"] = pass ? "ready for queries and writes" : "not ready: see authd's log";
  j["status"] = pass ? "pass" : "fail";
  j["checks"] = Json::array();
  j["version"] = options_.version;
  return JsonReply(pass ? 200 : 503, j);
}

HttpResponse InfluxApi::Ping() const {
  return NoContent().With("X-Influxdb-Build", "authd").With("X-Influxdb-Version", options_.version);
}

HttpResponse InfluxApi::Root() const {
  Json j = Json::object();
  j["authorizations"] = "/api/v2/authorizations";
  j["buckets"] = "/api/v2/buckets";
  j["config"] = "/api/v2/config";
  j["me"] = "/api/v2/me";
  j["orgs"] = "/api/v2/orgs";
  j["resources"] = "/api/v2/resources";
  j["setup"] = "/api/v2/setup";
  j["signin"] = "/api/v2/signin";
  j["signout"] = "/api/v2/signout";
  j["users"] = "/api/v2/users";
  return JsonReply(200, j);
}

HttpResponse InfluxApi::SetupStatus() const {
  authd::v1::GetSetupStatusResponse resp;
  auto c = Context("");
  grpc::Status s = setup_->GetSetupStatus(c.get(), {}, &resp);
  if (!s.ok()) return CallError(s);
  return JsonReply(200, Json{{"allowed", resp.allowed()}});
}

HttpResponse InfluxApi::Setup(const HttpRequest& r) const {
  absl::StatusOr<authd::v1::SetupRequest> req = SetupFromJson(r.body);
  if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
  authd::v1::SetupResponse resp;
  auto c = Context("");
  grpc::Status s = setup_->Setup(c.get(), *req, &resp);
  if (!s.ok()) {
    // InfluxDB's onboarding request validation answers 422, not 400.
    if (absl::StartsWith(s.error_message(), "onboarding failed: missing required fields")) {
      return ErrorResponse(422, kCodeUnprocessable, s.error_message());
    }
    return CallError(s);
  }
  return JsonReply(201, SetupJson(resp));
}

HttpResponse InfluxApi::SignIn(const HttpRequest& r) const {
  std::optional<absl::string_view> header = r.Header("Authorization");
  absl::string_view value = header ? *header : absl::string_view();
  std::string decoded;
  const size_t space = value.find(' ');
  if (space == absl::string_view::npos || !absl::EqualsIgnoreCase(value.substr(0, space), "basic") ||
      !absl::Base64Unescape(value.substr(space + 1), &decoded)) {
    return Unauthorized();
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return Unauthorized();
  authd::v1::SignInRequest req;
  req.set_username(decoded.substr(0, colon));
  req.set_password(decoded.substr(colon + 1));
  authd::v1::SignInResponse resp;
  auto c = Context("");
  grpc::Status s = sessions_->SignIn(c.get(), req, &resp);
  if (!s.ok()) {
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) return Unauthorized();
    return CallError(s);
  }
  const absl::Time expires =
      absl::FromUnixSeconds(resp.expires_at().seconds()) + absl::Nanoseconds(resp.expires_at().nanos());
  return NoContent().With("Set-Cookie", SessionCookie(resp.token(), expires, options_.tls));
}

HttpResponse InfluxApi::SignOut(const HttpRequest& r) const {
  std::string credentials;
  HttpResponse refusal;
  if (!CredentialsOf(r, options_.tls, &credentials, &refusal)) return refusal;
  authd::v1::SignOutResponse resp;
  auto c = Context(credentials);
  grpc::Status s = sessions_->SignOut(c.get(), {}, &resp);
  if (!s.ok()) {
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) return Unauthorized();
    return CallError(s);
  }
  return NoContent().With("Set-Cookie", SessionCookie("", absl::UnixEpoch(), options_.tls));
}

HttpResponse InfluxApi::ListAuthorizations(const HttpRequest& r,
                                           const std::string& credentials) const {
  authd::v1::ListAuthorizationsRequest req;
  if (auto v = r.Query("id")) req.set_id(std::string(*v));
  if (auto v = r.Query("userID")) req.set_user_id(std::string(*v));
  if (auto v = r.Query("user")) req.set_user(std::string(*v));
  if (auto v = r.Query("orgID")) req.set_org_id(std::string(*v));
  if (auto v = r.Query("org")) req.set_org(std::string(*v));
  // InfluxDB answers the whole list: read every page.
  Json list = Json::array();
  for (;;) {
    authd::v1::ListAuthorizationsResponse resp;
    auto c = Context(credentials);
    grpc::Status s = authorizations_->ListAuthorizations(c.get(), req, &resp);
    if (!s.ok()) return CallError(s);
    for (const authd::v1::Authorization& a : resp.authorizations()) {
      list.push_back(AuthorizationJson(a));
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  Json j = Json::object();
  j["links"] = Json{{"self", "/api/v2/authorizations"}};
  j["authorizations"] = std::move(list);
  return JsonReply(200, j);
}

HttpResponse InfluxApi::CreateAuthorization(const HttpRequest& r,
                                            const std::string& credentials) const {
  absl::StatusOr<authd::v1::CreateAuthorizationRequest> req = CreateAuthorizationFromJson(r.body);
  if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
  authd::v1::Authorization resp;
  auto c = Context(credentials);
  grpc::Status s = authorizations_->CreateAuthorization(c.get(), *req, &resp);
  if (!s.ok()) return CallError(s);
  return JsonReply(201, AuthorizationJson(resp));
}

HttpResponse InfluxApi::GetAuthorization(absl::string_view id,
                                         const std::string& credentials) const {
  authd::v1::GetAuthorizationRequest req;
  req.set_id(std::string(id));
  authd::v1::Authorization resp;
  auto c = Context(credentials);
  grpc::Status s = authorizations_->GetAuthorization(c.get(), req, &resp);
  if (!s.ok()) return CallError(s);
  return JsonReply(200, AuthorizationJson(resp));
}

HttpResponse InfluxApi::UpdateAuthorization(const HttpRequest& r, absl::string_view id,
                                            const std::string& credentials) const {
  absl::StatusOr<authd::v1::UpdateAuthorizationRequest> req = UpdateAuthorizationFromJson(id, r.body);
  if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
  authd::v1::Authorization resp;
  auto c = Context(credentials);
  grpc::Status s = authorizations_->UpdateAuthorization(c.get(), *req, &resp);
  if (!s.ok()) return CallError(s);
  return JsonReply(200, AuthorizationJson(resp));
}

HttpResponse InfluxApi::DeleteAuthorization(absl::string_view id,
                                            const std::string& credentials) const {
  authd::v1::DeleteAuthorizationRequest req;
  req.set_id(std::string(id));
  authd::v1::DeleteAuthorizationResponse resp;
  auto c = Context(credentials);
  grpc::Status s = authorizations_->DeleteAuthorization(c.get(), req, &resp);
  if (!s.ok()) return CallError(s);
  return NoContent();
}

HttpResponse InfluxApi::RotateAuthorization(const HttpRequest& r, absl::string_view id,
                                            const std::string& credentials) const {
  absl::StatusOr<authd::v1::RotateAuthorizationRequest> req = RotateAuthorizationFromJson(id, r.body);
  if (!req.ok()) return ErrorResponse(ToGrpc(req.status()));
  authd::v1::Authorization resp;
  auto c = Context(credentials);
  grpc::Status s = authorizations_->RotateAuthorization(c.get(), *req, &resp);
  if (!s.ok()) return CallError(s);
  return JsonReply(200, AuthorizationJson(resp));
}

}  // namespace authd::http
