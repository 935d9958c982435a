#include "http/http_message.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_split.h"

namespace authd::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; in a query, '+' is a space. False on a bad escape or a NUL.
bool Decode(absl::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return false;
    out->push_back(c);
  }
  return true;
}

}  // namespace

std::optional<absl::string_view> HttpRequest::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return absl::string_view(v);
  }
  return std::nullopt;
}

std::optional<absl::string_view> HttpRequest::Query(absl::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return absl::string_view(v);
  }
  return std::nullopt;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  return r;
}

bool ParseTarget(absl::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query) {
  query->clear();
  // The absolute form ("http://host/path?q"), which a server must accept (RFC 9112 3.2.2): the
  // path and query are what count; the authority is the Host's business.
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(target, scheme)) {
      target.remove_prefix(scheme.size());
      const size_t slash = target.find_first_of("/?");
      if (slash == absl::string_view::npos) {
        target = "/";
      } else if (target[slash] == '?') {
        return false;  // "http://host?x": no path
      } else {
        target.remove_prefix(slash);
      }
      break;
    }
  }
  const size_t q = target.find('?');
  absl::string_view raw_path = target.substr(0, q);
  if (raw_path.empty() || raw_path[0] != '/') return false;
  if (!Decode(raw_path, false, path)) return false;
  if (q == absl::string_view::npos) return true;
  for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!Decode(pair.substr(0, eq), true, &key)) return false;
    if (eq != absl::string_view::npos && !Decode(pair.substr(eq + 1), true, &value)) return false;
    query->emplace_back(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace authd::http
