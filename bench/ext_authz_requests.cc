#include "bench/ext_authz_requests.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "authz/permission.h"
#include "authz/resource_type.h"

namespace authd::bench {
namespace {

using envoy::service::auth::v3::CheckRequest;

// The Host an InfluxDB client behind an Envoy sidecar talks to.
constexpr char kHost[] = "influxdb.monitoring.svc.cluster.local:8086";

std::string OrgQuery(const std::string& org_id) {
  return org_id.empty() ? std::string() : absl::StrCat("?orgID=", org_id);
}

// One route of the table, as YAML.
void AppendRoute(std::string* out, const char* methods, const std::string& path,
                 const char* action, absl::string_view type, const char* resource_id) {
  absl::StrAppend(out, "  - methods: [", methods, "]\n    path: ", path, "\n    action: ", action,
                  "\n    resource_type: ", type, "\n");
  if (resource_id[0] != '\0') absl::StrAppend(out, "    resource_id: \"", resource_id, "\"\n");
  absl::StrAppend(out, "    org_id: \"{query.orgID}\"\n");
}

void AppendTypeRoutes(std::string* out, authz::ResourceType type) {
  const absl::string_view name = authz::ResourceTypeName(type);
  const std::string one = absl::StrCat("/api/v2/", name, "/{id}");
  const std::string all = absl::StrCat("/api/v2/", name);
  AppendRoute(out, "GET, HEAD", one, "read", name, "{id}");
  AppendRoute(out, "PATCH, PUT, DELETE", one, "write", name, "{id}");
  AppendRoute(out, "GET, HEAD", all, "read", name, "");
  AppendRoute(out, "POST", all, "write", name, "");
}

}  // namespace

absl::StatusOr<HttpTarget> HttpTargetFor(const BenchRequest& r) {
  const std::optional<authz::Action> action = authz::ParseAction(r.action);
  if (!action) return absl::InvalidArgumentError("action: must be read or write");
  if (!authz::ParseResourceType(r.type)) {
    return absl::InvalidArgumentError(absl::StrCat("type: \"", r.type, "\" has no HTTP route"));
  }
  const bool write = *action == authz::Action::kWrite;
  HttpTarget t;
  if (write && r.type == "buckets" && !r.id.empty()) {
    // InfluxDB's write endpoint: most of a sibling's traffic.
    t.method = "POST";
    t.path = absl::StrCat("/api/v2/write?", r.org_id.empty() ? "" : "orgID=", r.org_id,
                          r.org_id.empty() ? "" : "&", "bucket=", r.id, "&precision=ns");
    return t;
  }
  if (r.id.empty()) {
    t.method = write ? "POST" : "GET";
    t.path = absl::StrCat("/api/v2/", r.type, OrgQuery(r.org_id));
  } else {
    t.method = write ? "PATCH" : "GET";
    t.path = absl::StrCat("/api/v2/", r.type, "/", r.id, OrgQuery(r.org_id));
  }
  return t;
}

absl::StatusOr<CheckRequest> CheckRequestFor(const BenchRequest& r, uint64_t stream_id,
                                             CheckHeaders which) {
  absl::StatusOr<HttpTarget> target = HttpTargetFor(r);
  if (!target.ok()) return target.status();
  CheckRequest req;
  auto* attrs = req.mutable_attributes();
  // Documentation addresses (RFC 5737): message content only, nothing connects to them.
  auto* source = attrs->mutable_source()->mutable_address()->mutable_socket_address();
  source->set_address("192.0.2.17");
  source->set_port_value(static_cast<uint32_t>(32768 + stream_id % 28000));
  auto* destination = attrs->mutable_destination()->mutable_address()->mutable_socket_address();
  destination->set_address("198.51.100.9");
  destination->set_port_value(8086);
  attrs->mutable_request()->mutable_time()->set_seconds(1796688000 + static_cast<int64_t>(stream_id));
  attrs->mutable_request()->mutable_time()->set_nanos(static_cast<int32_t>(stream_id % 1000000) * 1000);

  auto* http = attrs->mutable_request()->mutable_http();
  // Envoy's stream id: a 64-bit number, in decimal.
  http->set_id(absl::StrCat(0x5bd1e9955bd1e995ULL ^ (stream_id * 0x9e3779b97f4a7c15ULL)));
  http->set_method(target->method);
  http->set_path(target->path);
  http->set_host(kHost);
  http->set_scheme("http");
  http->set_protocol("HTTP/1.1");
  const bool has_body = target->method != "GET";
  if (has_body) http->set_size(4096);
  // Envoy generates a UUID v4 as x-request-id.
  const uint64_t a = stream_id * 0x9e3779b97f4a7c15ULL;
  const uint64_t b = (stream_id + 1) * 0xc2b2ae3d27d4eb4fULL;
  const std::string request_id = absl::StrFormat(
      "%08x-%04x-4%03x-%04x-%012x", static_cast<uint32_t>(a >> 32), static_cast<uint32_t>(a >> 16) & 0xffff,
      static_cast<uint32_t>(a) & 0xfff, 0x8000 | (static_cast<uint32_t>(b >> 48) & 0x3fff),
      b & 0xffffffffffffULL);
  auto& headers = *http->mutable_headers();
  if (which == CheckHeaders::kAuthorizationOnly) {
    headers["authorization"] = absl::StrCat("Token ", r.token);
    return req;
  }
  headers[":authority"] = kHost;
  headers[":method"] = target->method;
  headers[":path"] = target->path;
  headers[":scheme"] = "http";
  headers["user-agent"] = "influxdb-client-go/2.12.3 (linux; amd64)";
  if (has_body) {
    headers["content-encoding"] = "gzip";
  } else {
    headers["accept-encoding"] = "gzip";
  }
  headers["x-request-id"] = request_id;
  headers["authorization"] = absl::StrCat("Token ", r.token);
  return req;
}

std::string ExtAuthzRoutesYaml() {
  std::string out =
      "# authd --ext-authz-routes for bench/load_gen --rpc=check (bench/ext_authz_requests.h)\n"
      "version: 1\n"
      "routes:\n";
  AppendRoute(&out, "POST", "/api/v2/write", "write", "buckets", "{query.bucket}");
  AppendTypeRoutes(&out, authz::ResourceType::kBuckets);
  for (authz::ResourceType type : authz::AllResourceTypes()) {
    if (type != authz::ResourceType::kBuckets) AppendTypeRoutes(&out, type);
  }
  return out;
}

}  // namespace authd::bench
