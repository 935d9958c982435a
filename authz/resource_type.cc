#include "authz/resource_type.h"

namespace authd::authz {
namespace {

constexpr absl::string_view kNames[kResourceTypeCount] = {
    "authorizations", "buckets",  "dashboards",        "orgs",
    "sources",        "tasks",    "telegrafs",         "users",
    "variables",      "scrapers", "secrets",           "labels",
    "views",          "documents", "notificationRules", "notificationEndpoints",
    "checks",         "dbrp",     "notebooks",         "annotations",
    "remotes",        "replications", "instance",
};

}  // namespace

const std::array<ResourceType, kResourceTypeCount>& AllResourceTypes() {
  static const std::array<ResourceType, kResourceTypeCount> kAll = [] {
    std::array<ResourceType, kResourceTypeCount> all{};
    for (int i = 0; i < kResourceTypeCount; ++i) all[i] = static_cast<ResourceType>(i);
    return all;
  }();
  return kAll;
}

absl::string_view ResourceTypeName(ResourceType type) {
  return kNames[static_cast<int>(type)];
}

std::optional<ResourceType> ParseResourceType(absl::string_view name) {
  for (int i = 0; i < kResourceTypeCount; ++i) {
    if (kNames[i] == name) return static_cast<ResourceType>(i);
  }
  return std::nullopt;
}

std::optional<ResourceType> ResourceTypeFromNumber(uint32_t number) {
  if (number >= static_cast<uint32_t>(kResourceTypeCount)) return std::nullopt;
  return static_cast<ResourceType>(number);
}

}  // namespace authd::authz
