#include "http/route_table.h"

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace authd::http {
namespace {

std::vector<std::string> Segments(absl::string_view path) {
  // "/a/b/" and "/a/b" are the same route, as InfluxDB's router treats them.
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

bool IsCapture(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

}  // namespace

absl::string_view RouteMatch::Param(absl::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

void RouteTable::Add(std::string method, absl::string_view pattern, int handler) {
  routes_.push_back(Route{std::move(method), Segments(pattern), handler});
}

RouteMatch RouteTable::Find(absl::string_view method, absl::string_view path) const {
  const std::vector<std::string> got = Segments(path);
  RouteMatch out;
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != got.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool match = true;
    for (size_t i = 0; i < got.size() && match; ++i) {
      if (IsCapture(r.segments[i])) {
        params.emplace_back(r.segments[i].substr(1, r.segments[i].size() - 2), got[i]);
      } else {
        match = r.segments[i] == got[i];
      }
    }
    if (!match) continue;
    if (r.method == method) {
      out.kind = RouteMatch::Kind::kFound;
      out.handler = r.handler;
      out.params = std::move(params);
      return out;
    }
    allowed.push_back(r.method);
  }
  if (!allowed.empty()) {
    out.kind = RouteMatch::Kind::kWrongMethod;
    out.allowed = absl::StrJoin(allowed, ", ");
  }
  return out;
}

}  // namespace authd::http
