// ResourceType: InfluxDB OSS v2's 23 resource types, in InfluxDB's order, with their exact spelling.
// Pure functions over constants; thread-safe.
#ifndef AUTHD_AUTHZ_RESOURCE_TYPE_H_
#define AUTHD_AUTHZ_RESOURCE_TYPE_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace authd::authz {

// The numeric values are InfluxDB's order (`AllResourceTypes`) and are persisted (+1) in events:
// never renumber.
enum class ResourceType : uint8_t {
  kAuthorizations = 0,
  kBuckets = 1,
  kDashboards = 2,
  kOrgs = 3,
  kSources = 4,
  kTasks = 5,
  kTelegrafs = 6,
  kUsers = 7,
  kVariables = 8,
  kScrapers = 9,
  kSecrets = 10,
  kLabels = 11,
  kViews = 12,
  kDocuments = 13,
  kNotificationRules = 14,
  kNotificationEndpoints = 15,
  kChecks = 16,
  kDbrp = 17,
  kNotebooks = 18,
  kAnnotations = 19,
  kRemotes = 20,
  kReplications = 21,
  // Ownership of the whole instance; only sessions of the setup user hold it, never a token.
  kInstance = 22,
};

inline constexpr int kResourceTypeCount = 23;

// Every type, in InfluxDB's order (instance last).
const std::array<ResourceType, kResourceTypeCount>& AllResourceTypes();

// The exact InfluxDB spelling, e.g. "notificationRules".
absl::string_view ResourceTypeName(ResourceType type);

// The type spelled `name` (case-sensitive), or nullopt.
std::optional<ResourceType> ParseResourceType(absl::string_view name);

// The type with InfluxDB number `number`, or nullopt when out of range.
std::optional<ResourceType> ResourceTypeFromNumber(uint32_t number);

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_RESOURCE_TYPE_H_
