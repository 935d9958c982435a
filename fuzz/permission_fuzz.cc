// Fuzz target: permissions and the rules a new token must satisfy (authz/permission.h,
// authz/resource_type.h, authz/id.h, authz/authorization_rules.h) and the name and description
// rules (services/input_rules.h). The input decodes (permission_input.h, FuzzedDataProvider) into
// a token's org, up to 8 permissions, a resource type number, a short word and a text.
// Properties (a violation aborts, see fuzz_check.h):
//  - names round-trip: ParseResourceType(ResourceTypeName(t)) == t, ParseAction likewise, and any
//    word that parses spells the name exactly; ResourceTypeFromNumber(n) exists iff n < 23.
//  - ids round-trip: ParseId(FormatId(id)) == id for id != 0, and a word that parses is FormatId of
//    its value; a refusal is kInvalidArgument naming the field.
//  - InfluxDB's matching: a permission matches itself; a match needs equal actions; a held global
//    permission matches its type, a held `instance` everything; AnyMatches is any Matches.
//  - ValidateNewAuthorization accepts exactly the documented set (permissions present, org set, no
//    `instance`, every org-scoped permission in the token's org); refusals are kInvalidArgument.
//  - ValidateName accepts only 1-256 bytes of UTF-8 (protobuf's own check agrees, so an accepted
//    name can always be stored in a proto3 string) without control characters, and is a stricter
//    ValidateDescription; refusals are kInvalidArgument naming the field, never echoing the value.
//  - ParseRequiredStatus agrees with ParseActiveStatus on every non-empty word.
#include <google/protobuf/stubs/common.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "authz/authorization_rules.h"
#include "authz/id.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/permission_input.h"
#include "services/input_rules.h"

namespace authd::fuzz {
namespace {

using authz::Id;
using authz::Permission;
using authz::ResourceType;

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kInvalidArgument = absl::StatusCode::kInvalidArgument;

bool IsGlobal(const Permission& p) { return p.resource.id == 0 && p.resource.org_id == 0; }

void CheckNames(const Permission& p) {
  AUTHD_FUZZ_CHECK(authz::ParseResourceType(authz::ResourceTypeName(p.resource.type)) ==
                   p.resource.type);
  AUTHD_FUZZ_CHECK(authz::ParseAction(authz::ActionName(p.action)) == p.action);
}

void CheckIds(Id id) {
  std::string text = authz::FormatId(id);
  if (id == 0) {
    AUTHD_FUZZ_CHECK(text.empty());
    AUTHD_FUZZ_CHECK(authz::ParseOptionalId(text, "id").ok());
    AUTHD_FUZZ_CHECK(*authz::ParseOptionalId(text, "id") == 0);
    return;
  }
  absl::StatusOr<Id> back = authz::ParseId(text, "id");
  AUTHD_FUZZ_CHECK(back.ok());
  AUTHD_FUZZ_CHECK(*back == id);
}

void CheckMatching(const std::vector<Permission>& held) {
  for (const Permission& h : held) {
    AUTHD_FUZZ_CHECK(authz::Matches(h, h));
    for (const Permission& r : held) {
      bool matches = authz::Matches(h, r);
      if (h.action != r.action) AUTHD_FUZZ_CHECK(!matches);
      if (h.action == r.action && h.resource.type == ResourceType::kInstance) {
        AUTHD_FUZZ_CHECK(matches);
      }
      if (h.action == r.action && h.resource.type == r.resource.type && IsGlobal(h)) {
        AUTHD_FUZZ_CHECK(matches);
      }
      if (matches && h.resource.type != ResourceType::kInstance) {
        AUTHD_FUZZ_CHECK(h.resource.type == r.resource.type);
      }
    }
    bool any = false;
    for (const Permission& p : held) any = any || authz::Matches(p, h);
    AUTHD_FUZZ_CHECK(authz::AnyMatches(held, h) == any);
  }
}

void CheckNewAuthorization(Id org, const std::vector<Permission>& permissions) {
  bool allowed = !permissions.empty() && org != 0;
  for (const Permission& p : permissions) {
    if (p.resource.type == ResourceType::kInstance) allowed = false;
    if (p.resource.org_id != 0 && p.resource.org_id != org) allowed = false;
  }
  absl::Status status = authz::ValidateNewAuthorization(org, permissions);
  AUTHD_FUZZ_CHECK_CODE(status, kOk, kInvalidArgument);
  AUTHD_FUZZ_CHECK(status.ok() == allowed);
}

void CheckWord(absl::string_view word) {
  if (auto type = authz::ParseResourceType(word)) {
    AUTHD_FUZZ_CHECK(authz::ResourceTypeName(*type) == word);
  }
  if (auto action = authz::ParseAction(word)) AUTHD_FUZZ_CHECK(authz::ActionName(*action) == word);

  absl::StatusOr<Id> id = authz::ParseId(word, "org_id");
  AUTHD_FUZZ_CHECK_CODE(id.status(), kOk, kInvalidArgument);
  if (id.ok()) {
    AUTHD_FUZZ_CHECK(*id != 0);
    AUTHD_FUZZ_CHECK(authz::FormatId(*id) == word);
  } else {
    AUTHD_FUZZ_CHECK(absl::StartsWith(id.status().message(), "org_id: "));
  }

  if (!word.empty()) {
    absl::StatusOr<bool> required = services::ParseRequiredStatus(word);
    absl::StatusOr<bool> optional = authz::ParseActiveStatus(word, /*default_active=*/false);
    AUTHD_FUZZ_CHECK_CODE(required.status(), kOk, kInvalidArgument);
    AUTHD_FUZZ_CHECK(required.ok() == optional.ok());
    if (required.ok()) AUTHD_FUZZ_CHECK(*required == *optional);
  }
}

bool HasControlByte(absl::string_view s, bool allow_tab) {
  for (char c : s) {
    unsigned char b = static_cast<unsigned char>(c);
    if ((b < 0x20 && !(allow_tab && b == '\t')) || b == 0x7f) return true;
  }
  return false;
}

// No fixed input-rule message holds 12 characters in a row without a space besides the field.
void CheckNotEchoed(const absl::Status& status, absl::string_view value) {
  if (value.size() >= 12 && !absl::StrContains(value, ' ')) {
    AUTHD_FUZZ_CHECK(!absl::StrContains(status.message(), value));
  }
}

void CheckText(absl::string_view text) {
  absl::Status name = services::ValidateName(text, "name");
  absl::Status description = services::ValidateDescription(text, "description");
  AUTHD_FUZZ_CHECK_CODE(name, kOk, kInvalidArgument);
  AUTHD_FUZZ_CHECK_CODE(description, kOk, kInvalidArgument);
  if (name.ok()) {
    AUTHD_FUZZ_CHECK(!text.empty() && text.size() <= services::kMaxNameBytes);
    AUTHD_FUZZ_CHECK(!HasControlByte(text, /*allow_tab=*/false));
    AUTHD_FUZZ_CHECK(description.ok());
  } else {
    AUTHD_FUZZ_CHECK(absl::StartsWith(name.message(), "name: "));
    CheckNotEchoed(name, text);
  }
  if (description.ok()) {
    AUTHD_FUZZ_CHECK(text.size() <= services::kMaxDescriptionBytes);
    AUTHD_FUZZ_CHECK(!HasControlByte(text, /*allow_tab=*/true));
    AUTHD_FUZZ_CHECK(google::protobuf::internal::IsStructurallyValidUTF8(
        text.data(), static_cast<int>(text.size())));
    if (!text.empty() && text.size() <= services::kMaxNameBytes &&
        !absl::StrContains(text, '\t')) {
      AUTHD_FUZZ_CHECK(name.ok());
    }
  } else {
    AUTHD_FUZZ_CHECK(absl::StartsWith(description.message(), "description: "));
    CheckNotEchoed(description, text);
  }
}

void CheckInput(const PermissionInput& input) {
  CheckIds(input.org);
  for (const Permission& p : input.permissions) {
    CheckNames(p);
    CheckIds(p.resource.id);
    CheckIds(p.resource.org_id);
  }
  std::optional<ResourceType> type = authz::ResourceTypeFromNumber(input.type_number);
  AUTHD_FUZZ_CHECK(type.has_value() == (input.type_number < authz::kResourceTypeCount));
  if (type) AUTHD_FUZZ_CHECK(static_cast<uint32_t>(*type) == input.type_number);
  CheckMatching(input.permissions);
  CheckNewAuthorization(input.org, input.permissions);
  CheckWord(input.word);
  CheckText(input.text);
}

}  // namespace
}  // namespace authd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  authd::fuzz::CheckInput(authd::fuzz::PermissionInput::Decode(data, size));
  return 0;
}
