// Paging of the List RPCs: `page_size` (default 100, at most 1000) and an opaque `page_token`
// cursor ("p1." + the last examined ID in hex), and one helper that walks a store scan, keeps what
// the caller may see, and stops at a full page or after examining 10 x page_size records, so one
// call does bounded work however large the store. Thread-safe (no state).
#ifndef AUTHD_SERVICES_PAGING_H_
#define AUTHD_SERVICES_PAGING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "authz/id.h"

namespace authd::services {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
inline constexpr size_t kScanFactor = 10;

struct PageRequest {
  size_t size = kDefaultPageSize;
  // Resume after this ID (0: from the first).
  authz::Id after = 0;
  // Most records one call examines.
  size_t scan_budget = kDefaultPageSize * kScanFactor;
};

// Errors: kInvalidArgument "page_size: must not be negative", "page_token: malformed".
absl::StatusOr<PageRequest> ParsePageRequest(int32_t page_size, const std::string& page_token);

std::string EncodePageToken(authz::Id last);

// Runs `scan(after, visit)` (a TokenStore::Scan* call) and calls `emit` for each record `keep`
// accepts, up to a page. Returns the next page token ("" when the scan reached the end).
template <typename Record, typename Scan, typename Keep, typename Emit>
absl::StatusOr<std::string> Paginate(const PageRequest& page, Scan scan, Keep keep, Emit emit) {
  size_t taken = 0, examined = 0;
  authz::Id last = page.after;
  absl::StatusOr<bool> exhausted = scan(page.after, [&](const Record& r) {
    ++examined;
    last = r.id();
    if (keep(r)) {
      emit(r);
      if (++taken == page.size) return false;
    }
    return examined < page.scan_budget;
  });
  if (!exhausted.ok()) return exhausted.status();
  return *exhausted ? std::string() : EncodePageToken(last);
}

}  // namespace authd::services

#endif  // AUTHD_SERVICES_PAGING_H_
