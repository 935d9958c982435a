// The web UI's files (ui/), compiled into authd by tools/embed_files.py, and how they are served:
// only these exact paths, from memory, so a request path can never reach the file system
// (`/../`, `%2e%2e`, absolute paths: all 404). Every answer carries a strict
// Content-Security-Policy (scripts, styles and requests from this origin only; no inline code; no
// framing). Pure; thread-safe.
#ifndef AUTHD_HTTP_UI_ASSETS_H_
#define AUTHD_HTTP_UI_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "http/http_message.h"

namespace authd::http {

struct UiAsset {
  absl::string_view path;  // "/index.html", "/app.js", ...
  absl::string_view content_type;
  absl::string_view body;
};

// Generated (ui_assets_data.cc).
extern const UiAsset kUiAssets[];
extern const size_t kUiAssetCount;

// The asset served at `path` ("/" is "/index.html"), or nullptr.
const UiAsset* FindUiAsset(absl::string_view path);

// The answer to GET of `asset`, with the security headers (the server sends a HEAD its headers).
HttpResponse UiResponse(const UiAsset& asset);

// The Content-Security-Policy of every UI answer.
inline constexpr char kUiContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

}  // namespace authd::http

#endif  // AUTHD_HTTP_UI_ASSETS_H_
