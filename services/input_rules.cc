#include "services/input_rules.h"

#include "absl/strings/str_cat.h"
#include "authz/authorization_rules.h"

namespace authd::services {
namespace {

// Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and no C0/DEL control characters
// (tab allowed when `allow_tab`).
bool CleanUtf8(absl::string_view s, bool allow_tab) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f) return false;
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

absl::StatusOr<bool> ParseRequiredStatus(absl::string_view status) {
  // authz's rule, without its default for an empty status.
  if (status.empty()) return absl::InvalidArgumentError("status: must be active or inactive");
  return authz::ParseActiveStatus(status);
}

absl::Status ValidateName(absl::string_view value, absl::string_view field) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (value.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxNameBytes, " bytes"));
  }
  if (!CleanUtf8(value, false)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be valid UTF-8 without control characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDescription(absl::string_view value, absl::string_view field) {
  if (value.size() > kMaxDescriptionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxDescriptionBytes, " bytes"));
  }
  if (!CleanUtf8(value, true)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be valid UTF-8 without control characters"));
  }
  return absl::OkStatus();
}

}  // namespace authd::services
