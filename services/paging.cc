#include "services/paging.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace authd::services {

absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size, const std::string& page_token) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  PageRequest page;
  if (page_size > 0) page.size = std::min(page_size, kMaxPageSize);
  page.scan_budget = page.size * kScanFactor;
  if (!page_token.empty()) {
    absl::string_view rest = page_token;
    if (!absl::ConsumePrefix(&rest, "p1.")) {
      return absl::InvalidArgumentError("page_token: malformed");
    }
    auto id = authz::ParseId(rest, "page_token");
    if (!id.ok()) return absl::InvalidArgumentError("page_token: malformed");
    page.after = *id;
  }
  return page;
}

std::string EncodePageToken(authz::Id last) { return absl::StrCat("p1.", authz::FormatId(last)); }

}  // namespace authd::services
