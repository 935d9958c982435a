#include "services/ext_authz_routes.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "authz/id.h"
#include "base/status_macros.h"

namespace authd::services {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }

bool IsName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

// "{name}" -> "name"; anything else -> nullopt.
std::optional<absl::string_view> Braced(absl::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
  return s.substr(1, s.size() - 2);
}

// Parses a resource_id / org_id value: "" (none), a literal ID, "{capture}" or "{query.name}".
absl::StatusOr<RouteValue> ParseValue(absl::string_view text, const PathPattern& path,
                                      absl::string_view field) {
  RouteValue v;
  v.text = std::string(text);
  if (text.empty()) return v;
  if (auto inner = Braced(text)) {
    if (absl::ConsumePrefix(&*inner, "query.")) {
      if (!IsName(*inner)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": \"", text, "\" is not a query parameter name"));
      }
      v.kind = RouteValue::Kind::kQuery;
      v.query = std::string(*inner);
      return v;
    }
    const int index = path.CaptureIndex(*inner);
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": \"", text, "\" is not a capture of path \"",
                                                     path.text(), "\""));
    }
    v.kind = RouteValue::Kind::kCapture;
    v.capture = index;
    return v;
  }
  absl::StatusOr<authz::Id> id = authz::ParseId(text, field);
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": want a 16-digit hex ID, {capture} or {query.name}, got \"", text, "\""));
  }
  v.kind = RouteValue::Kind::kLiteral;
  v.literal = *id;
  return v;
}

absl::StatusOr<RouteTarget> ParseTarget(absl::string_view action, absl::string_view type,
                                        absl::string_view id, absl::string_view org,
                                        const PathPattern& path,
                                        const std::array<std::string, 4>& fields) {
  RouteTarget t;
  auto a = authz::ParseAction(action);
  if (!a) {
    return absl::InvalidArgumentError(absl::StrCat(fields[0], ": must be read or write"));
  }
  t.action = *a;
  auto rt = authz::ParseResourceType(type);
  if (!rt) {
    return absl::InvalidArgumentError(
        absl::StrCat(fields[1], ": unknown resource type \"", type, "\""));
  }
  t.type = *rt;
  AUTHD_ASSIGN_OR_RETURN(t.resource_id, ParseValue(id, path, fields[2]));
  AUTHD_ASSIGN_OR_RETURN(t.org_id, ParseValue(org, path, fields[3]));
  return t;
}

absl::StatusOr<std::optional<std::string>> ResolveValue(const RouteValue& v,
                                                        const PathCaptures& captures,
                                                        absl::string_view query) {
  switch (v.kind) {
    case RouteValue::Kind::kNone:
    case RouteValue::Kind::kLiteral:
      return std::optional<std::string>();
    case RouteValue::Kind::kCapture:
      return std::optional<std::string>(std::string(captures.values[v.capture]));
    case RouteValue::Kind::kQuery:
      return QueryParam(query, v.query);
  }
  return std::optional<std::string>();
}

absl::StatusOr<authz::Id> ResolveId(const RouteValue& v, const PathCaptures& captures,
                                    absl::string_view query, absl::string_view what) {
  if (v.kind == RouteValue::Kind::kLiteral) return v.literal;
  if (v.kind == RouteValue::Kind::kCapture) {  // a view into the path: no copy
    const absl::string_view text = captures.values[v.capture];
    if (text.empty()) return authz::Id{0};
    absl::StatusOr<authz::Id> id = authz::ParseId(text, what);
    if (!id.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, " from ", v.text, " is not a valid ID"));
    }
    return *id;
  }
  absl::StatusOr<std::optional<std::string>> text = ResolveValue(v, captures, query);
  if (!text.ok()) return text.status();
  if (!*text || (*text)->empty()) return authz::Id{0};
  absl::StatusOr<authz::Id> id = authz::ParseId(**text, what);
  if (!id.ok()) {
    // The value came from the request: named by where the route takes it, never echoed.
    return absl::InvalidArgumentError(absl::StrCat(what, " from ", v.text, " is not a valid ID"));
  }
  return *id;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding, as the upstream's framework does it ('+' is a space, %XX a byte); nullopt for a
// malformed escape.
std::optional<std::string> FormDecode(absl::string_view s) {
  if (s.find_first_of("%+") == absl::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // "%" or "%X" at the end
      const int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// yaml-cpp throws; every access of the parsed document goes through these.
std::string ScalarOr(const YAML::Node& node, const char* key, bool* is_scalar) {
  const YAML::Node v = node[key];
  *is_scalar = !v || v.IsScalar();
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

absl::StatusOr<ExtAuthzRoute> ParseRouteNode(const YAML::Node& node, absl::string_view where) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": want a mapping"));
  static const std::set<std::string> kKeys = {"methods",       "path",        "action",
                                              "resource_type", "resource_id", "org_id"};
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (kKeys.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key \"", key, "\""));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": key \"", key, "\" given twice"));
    }
  }
  ExtAuthzRoute route;
  route.where = std::string(where);
  if (const YAML::Node methods = node["methods"]) {
    if (!methods.IsSequence() || methods.size() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".methods: want a list such as [GET, HEAD]"));
    }
    for (const auto& m : methods) {
      const std::string name = m.IsScalar() ? absl::AsciiStrToUpper(m.Scalar()) : std::string();
      if (name.empty() || name.size() > 16 ||
          !std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_isupper(c); })) {
        return absl::InvalidArgumentError(absl::StrCat(where, ".methods: \"",
                                                       m.IsScalar() ? m.Scalar() : "?",
                                                       "\" is not an HTTP method"));
      }
      route.methods.push_back(name);
    }
  }
  bool scalar = true;
  const std::string path = ScalarOr(node, "path", &scalar);
  if (!scalar || path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".path: required, e.g. /api/v2/buckets/{id}"));
  }
  absl::StatusOr<PathPattern> pattern = PathPattern::Parse(path);
  if (!pattern.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".path: ", pattern.status().message()));
  }
  route.path = *std::move(pattern);
  std::array<std::string, 4> values;
  const char* kValueKeys[] = {"action", "resource_type", "resource_id", "org_id"};
  std::array<std::string, 4> fields;
  for (int i = 0; i < 4; ++i) {
    values[i] = ScalarOr(node, kValueKeys[i], &scalar);
    fields[i] = absl::StrCat(where, ".", kValueKeys[i]);
    if (!scalar) return absl::InvalidArgumentError(absl::StrCat(fields[i], ": want a string"));
  }
  AUTHD_ASSIGN_OR_RETURN(route.target, ParseTarget(values[0], values[1], values[2], values[3],
                                                   route.path, fields));
  return route;
}

}  // namespace

absl::StatusOr<PathPattern> PathPattern::Parse(absl::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("\"", pattern, "\" must start with '/'"));
  }
  PathPattern p;
  p.text_ = std::string(pattern);
  absl::string_view rest = pattern.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return p;  // "/" matches only "/"
  std::set<std::string> names;
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view s = parts[i];
    if (s == "**") {
      if (i + 1 != parts.size()) {
        return absl::InvalidArgumentError(absl::StrCat("\"", pattern, "\": ** must be the last segment"));
      }
      p.segments_.push_back({Kind::kRest, ""});
    } else if (s == "*") {
      p.segments_.push_back({Kind::kAnyOne, ""});
    } else if (auto name = Braced(s)) {
      if (!IsName(*name) || absl::StartsWith(*name, "query.")) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", pattern, "\": \"", s, "\" is not a capture such as {id}"));
      }
      if (!names.insert(std::string(*name)).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", pattern, "\": capture {", *name, "} appears twice"));
      }
      if (names.size() > kMaxPathCaptures) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", pattern, "\": more than ", kMaxPathCaptures, " captures"));
      }
      p.segments_.push_back({Kind::kCapture, std::string(*name)});
    } else {
      if (s.empty() || s == "." || s == ".." ||
          !std::all_of(s.begin(), s.end(), [](char c) {
            return c > ' ' && c < 0x7f && c != '{' && c != '}' && c != '?' && c != '#' && c != '*';
          })) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", pattern, "\": segment \"", s, "\" is not a path segment"));
      }
      p.segments_.push_back({Kind::kLiteral, std::string(s)});
    }
  }
  return p;
}

int PathPattern::CaptureIndex(absl::string_view name) const {
  int index = 0;
  for (const Segment& s : segments_) {
    if (s.kind != Kind::kCapture) continue;
    if (s.text == name) return index;
    ++index;
  }
  return -1;
}

bool PathPattern::Match(absl::string_view path, PathCaptures* captures) const {
  captures->size = 0;
  if (path.empty() || path.front() != '/') return false;
  absl::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  for (const Segment& seg : segments_) {
    if (seg.kind == Kind::kRest) return true;
    if (rest.empty()) return false;
    const size_t slash = rest.find('/');
    const absl::string_view part = rest.substr(0, slash);
    rest = slash == absl::string_view::npos ? absl::string_view() : rest.substr(slash + 1);
    switch (seg.kind) {
      case Kind::kLiteral:
        if (part != seg.text) return false;
        break;
      case Kind::kCapture:
        captures->values[captures->size++] = part;
        break;
      case Kind::kAnyOne:
      case Kind::kRest:
        break;
    }
  }
  return rest.empty();
}

SplitPath SplitPathAndQuery(absl::string_view path) {
  const size_t hash = path.find('#');
  if (hash != absl::string_view::npos) path = path.substr(0, hash);
  const size_t q = path.find('?');
  if (q == absl::string_view::npos) return {path, absl::string_view()};
  return {path.substr(0, q), path.substr(q + 1)};
}

bool IsNormalPath(absl::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  absl::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return true;
  for (absl::string_view s : absl::StrSplit(rest, '/')) {
    if (s.empty() || s == "." || s == "..") return false;
  }
  // An escape of a separator, a dot or any unreserved character could match a different route
  // upstream than here ("%2e%2e", "%62uckets"): such paths are not normal.
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\') return false;
    if (path[i] != '%') continue;
    if (i + 2 >= path.size()) return false;
    const int hi = HexDigit(path[i + 1]), lo = HexDigit(path[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' ||
        c == '\\') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::optional<std::string>> QueryParam(absl::string_view query,
                                                      absl::string_view name) {
  if (query.find(';') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "the query holds ';', which upstreams split on differently: refused");
  }
  std::optional<std::string> found;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const absl::string_view pair = query.substr(0, amp);
    query = amp == absl::string_view::npos ? absl::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::optional<std::string> key = FormDecode(pair.substr(0, eq));
    const std::optional<std::string> value =
        FormDecode(eq == absl::string_view::npos ? absl::string_view() : pair.substr(eq + 1));
    if (!key || !value) {
      return absl::InvalidArgumentError("the query holds a malformed %-escape");
    }
    if (*key != name) continue;
    if (found) {
      // Which one would the upstream read? Frameworks differ (first, last, all): refused.
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter \"", name, "\" appears more than once"));
    }
    found = *value;
  }
  return found;
}

absl::StatusOr<authz::Permission> ResolveTarget(const RouteTarget& target,
                                                const PathCaptures& captures,
                                                absl::string_view query) {
  authz::Permission p;
  p.action = target.action;
  p.resource.type = target.type;
  AUTHD_ASSIGN_OR_RETURN(p.resource.id,
                         ResolveId(target.resource_id, captures, query, "resource id"));
  AUTHD_ASSIGN_OR_RETURN(p.resource.org_id, ResolveId(target.org_id, captures, query, "org id"));
  return p;
}

absl::StatusOr<ExtAuthzRouteTable> ExtAuthzRouteTable::Parse(absl::string_view yaml,
                                                             absl::string_view source) {
  auto fail = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
  };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return fail(absl::StrCat("not YAML: ", e.what()));
  }
  try {
    if (!root.IsMap()) return fail("want a mapping with version and routes");
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      if (key != "version" && key != "routes") {
        return fail(absl::StrCat("unknown key \"", key, "\""));
      }
    }
    const YAML::Node version = root["version"];
    if (!version || !version.IsScalar() ||
        version.Scalar() != std::to_string(kExtAuthzRoutesVersion)) {
      return fail(absl::StrCat("version: this authd reads version ", kExtAuthzRoutesVersion,
                               " (write `version: ", kExtAuthzRoutesVersion, "`)"));
    }
    const YAML::Node routes = root["routes"];
    if (!routes || !routes.IsSequence()) return fail("routes: want a list of routes");
    ExtAuthzRouteTable table;
    for (size_t i = 0; i < routes.size(); ++i) {
      absl::StatusOr<ExtAuthzRoute> route =
          ParseRouteNode(routes[i], absl::StrCat("routes[", i, "]"));
      if (!route.ok()) return fail(route.status().message());
      table.routes_.push_back(*std::move(route));
    }
    return table;
  } catch (const YAML::Exception& e) {
    return fail(absl::StrCat("malformed: ", e.what()));
  }
}

absl::StatusOr<ExtAuthzRouteTable> ExtAuthzRouteTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

const ExtAuthzRoute* ExtAuthzRouteTable::Find(absl::string_view method, absl::string_view path,
                                              PathCaptures* captures) const {
  for (const ExtAuthzRoute& route : routes_) {
    if (!route.methods.empty() &&
        std::find(route.methods.begin(), route.methods.end(), method) == route.methods.end()) {
      continue;
    }
    if (route.path.Match(path, captures)) return &route;
  }
  return nullptr;
}

absl::StatusOr<std::optional<ExtAuthzRoute>> RouteFromContextExtensions(
    const std::function<std::optional<absl::string_view>(absl::string_view key)>& lookup) {
  const std::optional<absl::string_view> action = lookup(kExtActionKey);
  if (!action) {
    // Half a route would silently fall back to the table: refused instead.
    for (absl::string_view key : {kExtResourceTypeKey, kExtResourceIdKey, kExtOrgIdKey, kExtPathKey}) {
      if (lookup(key)) {
        return absl::InvalidArgumentError(
            absl::StrCat("context_extensions.", key, ": set without ", kExtActionKey));
      }
    }
    return std::optional<ExtAuthzRoute>();
  }
  ExtAuthzRoute route;
  route.where = "context_extensions";
  const absl::string_view path = lookup(kExtPathKey).value_or("/**");
  absl::StatusOr<PathPattern> pattern = PathPattern::Parse(path);
  if (!pattern.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("context_extensions.", kExtPathKey, ": ", pattern.status().message()));
  }
  route.path = *std::move(pattern);
  const std::array<std::string, 4> fields = {
      absl::StrCat("context_extensions.", kExtActionKey),
      absl::StrCat("context_extensions.", kExtResourceTypeKey),
      absl::StrCat("context_extensions.", kExtResourceIdKey),
      absl::StrCat("context_extensions.", kExtOrgIdKey)};
  AUTHD_ASSIGN_OR_RETURN(
      route.target,
      ParseTarget(*action, lookup(kExtResourceTypeKey).value_or(""),
                  lookup(kExtResourceIdKey).value_or(""), lookup(kExtOrgIdKey).value_or(""),
                  route.path, fields));
  return std::optional<ExtAuthzRoute>(std::move(route));
}

}  // namespace authd::services
