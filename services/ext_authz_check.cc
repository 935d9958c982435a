#include "services/ext_authz_check.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "authz/id.h"
#include "authz/permission.h"

namespace authd::services {
namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

constexpr int kRpcOk = 0;
constexpr int kRpcInvalidArgument = 3;
constexpr int kRpcPermissionDenied = 7;
constexpr int kRpcUnauthenticated = 16;

// A JSON string's contents (the message may quote a request path).
std::string JsonEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrCat("\\u00", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void AddHeader(google::protobuf::RepeatedPtrField<envoy::config::core::v3::HeaderValueOption>* out,
               absl::string_view key, absl::string_view value) {
  envoy::config::core::v3::HeaderValueOption* option = out->Add();
  // Straight into the (arena) message: no temporary strings.
  option->mutable_header()->set_key(key.data(), key.size());
  option->mutable_header()->set_value(value.data(), value.size());
  option->set_append_action(
      envoy::config::core::v3::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
}

// Writes a denial: `http` status, InfluxDB's error body, the google.rpc code Envoy logs.
void Deny(envoy::type::v3::StatusCode http, int rpc_code, absl::string_view code,
          absl::string_view message, CheckResponse* response) {
  response->mutable_status()->set_code(rpc_code);
  response->mutable_status()->set_message(std::string(message));
  auto* denied = response->mutable_denied_response();
  denied->mutable_status()->set_code(http);
  AddHeader(denied->mutable_headers(), "content-type", "application/json; charset=utf-8");
  if (http == envoy::type::v3::Unauthorized) {
    AddHeader(denied->mutable_headers(), "www-authenticate", "Token realm=\"authd\"");
  }
  denied->set_body(absl::StrCat("{\"code\":\"", code, "\",\"message\":\"", JsonEscape(message),
                                "\"}\n"));
}

void Unauthorized(absl::string_view message, CheckResponse* response) {
  Deny(envoy::type::v3::Unauthorized, kRpcUnauthenticated, "unauthorized", message, response);
}

void Forbidden(absl::string_view message, CheckResponse* response) {
  Deny(envoy::type::v3::Forbidden, kRpcPermissionDenied, "forbidden", message, response);
}

void BadRequest(absl::string_view message, CheckResponse* response) {
  Deny(envoy::type::v3::BadRequest, kRpcInvalidArgument, "invalid", message, response);
}

void Allow(const ExtAuthzOptions& options, const authz::Decision& d, CheckResponse* response) {
  response->mutable_status()->set_code(kRpcOk);
  auto* ok = response->mutable_ok_response();
  if (!options.header_prefix.empty()) {
    const std::pair<const char*, authz::Id> kHeaders[] = {
        {"authorization-id", d.authorization_id}, {"user-id", d.user_id}, {"org-id", d.org_id}};
    // The key in a stack buffer (the prefix is validated short), the ID in 16 hex digits.
    char key[96];
    const size_t prefix = std::min(options.header_prefix.size(), sizeof(key) - 20);
    std::memcpy(key, options.header_prefix.data(), prefix);
    for (const auto& [name, id] : kHeaders) {
      const size_t n = std::strlen(name);
      std::memcpy(key + prefix, name, n);
      const absl::string_view k(key, prefix + n);
      // Set or removed, never passed through: a client cannot forge them.
      if (id != 0) {
        char hex[16];
        for (int i = 0; i < 16; ++i) hex[i] = "0123456789abcdef"[(id >> (60 - 4 * i)) & 0xf];
        AddHeader(ok->mutable_headers(), k, absl::string_view(hex, sizeof(hex)));
      } else {
        ok->add_headers_to_remove(k.data(), k.size());
      }
    }
  }
  if (options.remove_authorization) ok->add_headers_to_remove("authorization");
}

// A request's method or path for a message: printable ASCII only, at most 200 bytes (the
// message is a proto string, and a log line somewhere).
std::string Printable(absl::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c > ' ' && c < 0x7f) ? c : '?';
  if (s.size() > 200) out += "...";
  return out;
}

std::string PermissionText(const authz::Permission& p) {
  return absl::StrCat(authz::ActionName(p.action), " ", authz::ResourceTypeName(p.resource.type));
}

}  // namespace

absl::StatusOr<CheckInput> ReadCheckRequest(const CheckRequest& request) {
  if (!request.has_attributes() || !request.attributes().has_request() ||
      !request.attributes().request().has_http()) {
    return absl::InvalidArgumentError(
        "attributes.request.http: required (an HTTP request, as Envoy's ext_authz filter sends)");
  }
  const auto& http = request.attributes().request().http();
  CheckInput in;
  in.method = http.method();
  in.path = http.path();
  if (in.method.empty()) {
    return absl::InvalidArgumentError("attributes.request.http.method: required");
  }
  if (in.path.empty()) return absl::InvalidArgumentError("attributes.request.http.path: required");
  if (http.has_header_map()) {
    // Raw headers (Envoy's encode_raw_headers): keys as sent, values in raw_value.
    for (const auto& h : http.header_map().headers()) {
      if (!absl::EqualsIgnoreCase(h.key(), "authorization")) continue;
      ++in.authorization_headers;
      in.authorization = h.raw_value().empty() ? absl::string_view(h.value())
                                               : absl::string_view(h.raw_value());
    }
  }
  if (in.authorization_headers == 0) {
    // Envoy lowercases keys; a client of its own might not.
    for (const auto& [key, value] : http.headers()) {
      if (!absl::EqualsIgnoreCase(key, "authorization")) continue;
      ++in.authorization_headers;
      in.authorization = value;
    }
  }
  return in;
}

std::optional<absl::string_view> TokenFromAuthorization(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  for (absl::string_view scheme : {"Token", "Bearer"}) {
    if (header.size() > scheme.size() + 1 &&
        absl::EqualsIgnoreCase(header.substr(0, scheme.size()), scheme) &&
        header[scheme.size()] == ' ') {
      absl::string_view token = absl::StripLeadingAsciiWhitespace(header.substr(scheme.size()));
      if (token.empty()) return std::nullopt;
      return token;
    }
  }
  return std::nullopt;
}

absl::Status CheckOnce(const ExtAuthzOptions& options, const CheckRequest& request,
                       TokenDecider decide, CheckResponse* response) {
  absl::StatusOr<CheckInput> in = ReadCheckRequest(request);
  if (!in.ok()) return in.status();

  // The route, from the request's context_extensions or the table. A malformed extension is the
  // Envoy configuration's fault: an error Envoy logs, not a denial the client sees as theirs.
  const auto& extensions = request.attributes().context_extensions();
  absl::StatusOr<std::optional<ExtAuthzRoute>> ext_route = std::optional<ExtAuthzRoute>();
  if (!extensions.empty()) {  // most requests use the table: nothing to look up
    ext_route =
        RouteFromContextExtensions([&](absl::string_view key) -> std::optional<absl::string_view> {
          auto it = extensions.find(std::string(key));
          if (it == extensions.end()) return std::nullopt;
          return absl::string_view(it->second);
        });
  }
  if (!ext_route.ok()) return ext_route.status();

  const SplitPath split = SplitPathAndQuery(in->path);
  if (!IsNormalPath(split.path)) {
    BadRequest("the request path is not normalized (Envoy: normalize_path, merge_slashes)",
               response);
    return absl::OkStatus();
  }

  if (in->authorization_headers == 0) {
    Unauthorized("no authorization header (want: Token <token>)", response);
    return absl::OkStatus();
  }
  if (in->authorization_headers > 1) {
    Unauthorized("more than one authorization header", response);
    return absl::OkStatus();
  }
  std::optional<absl::string_view> token = TokenFromAuthorization(*in->authorization);
  if (!token) {
    Unauthorized("authorization header: want Token <token> or Bearer <token>", response);
    return absl::OkStatus();
  }

  PathCaptures captures;
  const ExtAuthzRoute* route = nullptr;
  if (ext_route->has_value()) {
    route = &**ext_route;
    if (!route->path.Match(split.path, &captures)) {
      Forbidden(absl::StrCat("the request path does not match context_extensions.", kExtPathKey),
                response);
      return absl::OkStatus();
    }
  } else {
    route = options.routes.Find(in->method, split.path, &captures);
    if (route == nullptr) {
      Forbidden(absl::StrCat("no authd route for ", Printable(in->method), " ",
                             Printable(split.path)),
                response);
      return absl::OkStatus();
    }
  }
  absl::StatusOr<authz::Permission> permission =
      ResolveTarget(route->target, captures, split.query);
  if (!permission.ok()) {
    BadRequest(permission.status().message(), response);
    return absl::OkStatus();
  }

  const authz::Decision d = decide(*token, *permission);
  if (d.allowed) {
    Allow(options, d, response);
    return absl::OkStatus();
  }
  switch (d.reason) {
    case authz::DenyReason::kNone:
      Forbidden("denied", response);  // not reached: a denial always has a reason
      break;
    case authz::DenyReason::kUnknownToken:
      Unauthorized("unknown token", response);
      break;
    case authz::DenyReason::kExpired:
      Unauthorized("token expired", response);
      break;
    case authz::DenyReason::kInactiveToken:
      Unauthorized("token is inactive", response);
      break;
    case authz::DenyReason::kInactiveUser:
      Unauthorized("the token's user is inactive", response);
      break;
    case authz::DenyReason::kNoPermission:
      Forbidden(absl::StrCat("token may not ", PermissionText(*permission)), response);
      break;
  }
  return absl::OkStatus();
}

}  // namespace authd::services
