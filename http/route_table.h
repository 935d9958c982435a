// RouteTable: which handler serves a method and path. Patterns are literal segments and `{name}`
// captures ("/api/v2/authorizations/{id}"); a capture matches one non-empty segment. Lookup
// tells "no such path" (404) from "path known, method not" (405, with the methods that are).
// Pure; immutable after the Add calls, then thread-safe.
#ifndef AUTHD_HTTP_ROUTE_TABLE_H_
#define AUTHD_HTTP_ROUTE_TABLE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace authd::http {

// What a lookup found. `handler` is the value given to Add (0 when none matched).
struct RouteMatch {
  enum class Kind { kFound, kNoPath, kWrongMethod };
  Kind kind = Kind::kNoPath;
  int handler = 0;
  // The `{name}` captures, in pattern order.
  std::vector<std::pair<std::string, std::string>> params;
  // For kWrongMethod: the methods the path takes ("GET, POST").
  std::string allowed;

  absl::string_view Param(absl::string_view name) const;
};

class RouteTable {
 public:
  // Routes `method` on `pattern` to `handler` (any non-zero int the caller switches on).
  void Add(std::string method, absl::string_view pattern, int handler);
  RouteMatch Find(absl::string_view method, absl::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{id}" for a capture
    int handler;
  };
  std::vector<Route> routes_;
};

}  // namespace authd::http

#endif  // AUTHD_HTTP_ROUTE_TABLE_H_
