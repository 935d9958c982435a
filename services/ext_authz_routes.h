// The route table of Envoy's ext_authz Check (docs/adr/0008, docs/envoy.md): which permission an
// HTTP request needs, from its method and path. Loaded once from a YAML file (`--ext-authz-routes`);
// per-route Envoy `context_extensions` describe a route the same way. Pure; a loaded table is
// immutable and thread-safe.
//
// The file, format version 1 (first match wins; unknown keys are refused so a typo is not a hole):
//
//   version: 1
//   routes:
//     - methods: [GET, HEAD]               # optional; absent = any method
//       path: /api/v2/buckets/{bucket}/**  # literal segments, {name} (one segment, captured),
//                                          # * (one segment), ** (last: zero or more segments)
//       action: read                       # read | write
//       resource_type: buckets             # any authd resource type
//       resource_id: "{bucket}"            # optional: a literal ID, {capture} or {query.name}
//     - methods: [POST]
//       path: /api/v2/write
//       action: write
//       resource_type: buckets
//       org_id: "{query.orgID}"            # optional, same forms as resource_id
//
// Take `org_id` from the request only where the upstream scopes the request by that same org
// (InfluxDB's /api/v2/write looks the bucket up in `orgID`). An org-wide permission matches
// whatever org the request names (InfluxDB's matching rule), so for a bucket, org or token named
// by ID the server replaces `org_id` with the resource's own org from its store
// (services/ext_authz_service.h); for other types authd stores nothing to check it against.
//
// An absent value (no such query parameter) leaves the field empty, which asks for the wider
// permission (all buckets of the org, or of every org), never a narrower one. Query parameters
// are form-decoded; one named twice, a malformed escape or a ';' is refused (400).
#ifndef AUTHD_SERVICES_EXT_AUTHZ_ROUTES_H_
#define AUTHD_SERVICES_EXT_AUTHZ_ROUTES_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/permission.h"

namespace authd::services {

// The version of the route file format this authd reads.
inline constexpr int kExtAuthzRoutesVersion = 1;
// At most this many {captures} per path pattern.
inline constexpr size_t kMaxPathCaptures = 8;

// The segments a pattern captured, in pattern order: views into the matched path.
struct PathCaptures {
  std::array<absl::string_view, kMaxPathCaptures> values;
  size_t size = 0;
};

// A path pattern: "/api/v2/buckets/{id}/**".
class PathPattern {
 public:
  // Errors: kInvalidArgument naming what is wrong (no leading '/', ** not last, a bad capture
  // name, a capture repeated, more than kMaxPathCaptures).
  static absl::StatusOr<PathPattern> Parse(absl::string_view pattern);

  // True if `path` (normalized, without its query) matches; fills `captures`.
  bool Match(absl::string_view path, PathCaptures* captures) const;
  // The index of capture `name`, or -1.
  int CaptureIndex(absl::string_view name) const;
  const std::string& text() const { return text_; }

 private:
  enum class Kind : uint8_t { kLiteral, kCapture, kAnyOne, kRest };
  struct Segment {
    Kind kind;
    std::string text;  // the literal, or the capture's name
  };
  std::string text_;
  std::vector<Segment> segments_;
};

// Where a route takes a resource id or org id from.
struct RouteValue {
  enum class Kind : uint8_t { kNone, kLiteral, kCapture, kQuery };
  Kind kind = Kind::kNone;
  authz::Id literal = 0;
  int capture = -1;       // kCapture: index into PathCaptures
  std::string query;      // kQuery: the parameter's name
  std::string text;       // as written, for error messages
};

// The permission a route asks for, before the request's values are filled in.
struct RouteTarget {
  authz::Action action = authz::Action::kRead;
  authz::ResourceType type{};
  RouteValue resource_id;
  RouteValue org_id;
};

struct ExtAuthzRoute {
  std::vector<std::string> methods;  // upper case; empty = any
  PathPattern path;
  RouteTarget target;
  std::string where;  // "routes.txt route 3", for messages
};

// The HTTP path split at '?' (a '#' fragment, never sent by Envoy, is dropped).
struct SplitPath {
  absl::string_view path;
  absl::string_view query;
};
SplitPath SplitPathAndQuery(absl::string_view path);

// A path the table can match safely: starts with '/', and has no empty, "." or ".." segment and
// no percent-encoded '/', '\', or '.', which the upstream might resolve differently from the
// match (Envoy's `normalize_path` and `merge_slashes` make every path pass). One trailing '/' is
// allowed.
bool IsNormalPath(absl::string_view path);

// The value of query parameter `name` in `query` ("a=1&b=2"), form-decoded (%XX and '+') as the
// upstream's framework decodes it, keys compared after decoding; nullopt if absent.
// Errors: kInvalidArgument when the parameter appears more than once (frameworks differ on which
// one they read), the query holds a malformed escape, or a ';' (some split on it).
absl::StatusOr<std::optional<std::string>> QueryParam(absl::string_view query,
                                                      absl::string_view name);

// The permission `target` asks for on a request whose path captured `captures` with query `query`.
// Errors: kInvalidArgument naming the value when it is not a valid ID.
absl::StatusOr<authz::Permission> ResolveTarget(const RouteTarget& target,
                                                const PathCaptures& captures,
                                                absl::string_view query);

class ExtAuthzRouteTable {
 public:
  ExtAuthzRouteTable() = default;

  // Parses a route file's text; `source` names it in errors. Errors: kInvalidArgument
  // "<source>: routes[2].action: must be read or write" and so on.
  static absl::StatusOr<ExtAuthzRouteTable> Parse(absl::string_view yaml, absl::string_view source);
  // Reads and parses the file at `path`. Errors: as Parse, or kInvalidArgument if unreadable.
  static absl::StatusOr<ExtAuthzRouteTable> Load(const std::string& path);

  // The first route matching `method` and `path` (normalized, no query), or nullptr.
  const ExtAuthzRoute* Find(absl::string_view method, absl::string_view path,
                            PathCaptures* captures) const;
  size_t size() const { return routes_.size(); }

 private:
  std::vector<ExtAuthzRoute> routes_;
};

// The keys of Envoy's per-route `context_extensions` that describe a route.
inline constexpr absl::string_view kExtActionKey = "authd_action";
inline constexpr absl::string_view kExtResourceTypeKey = "authd_resource_type";
inline constexpr absl::string_view kExtResourceIdKey = "authd_resource_id";
inline constexpr absl::string_view kExtOrgIdKey = "authd_org_id";
inline constexpr absl::string_view kExtPathKey = "authd_path";

// The route `context_extensions` describe (through `lookup`, which returns a key's value), or
// nullopt when they name no `authd_action`. Errors: kInvalidArgument naming the key.
absl::StatusOr<std::optional<ExtAuthzRoute>> RouteFromContextExtensions(
    const std::function<std::optional<absl::string_view>(absl::string_view key)>& lookup);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_EXT_AUTHZ_ROUTES_H_
