#include "http/ui_assets.h"

#include <string>

namespace authd::http {

const UiAsset* FindUiAsset(absl::string_view path) {
  if (path == "/") path = "/index.html";
  for (size_t i = 0; i < kUiAssetCount; ++i) {
    if (kUiAssets[i].path == path) return &kUiAssets[i];
  }
  return nullptr;
}

HttpResponse UiResponse(const UiAsset& asset) {
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", std::string(asset.content_type));
  r.headers.emplace_back("Content-Security-Policy", kUiContentSecurityPolicy);
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.body = std::string(asset.body);
  return r;
}

}  // namespace authd::http
