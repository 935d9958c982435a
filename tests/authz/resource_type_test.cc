#include "authz/resource_type.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace authd::authz {
namespace {

// InfluxDB OSS v2 `AllResourceTypes`, in its order, spelled exactly.
const std::vector<std::string>& InfluxDbTypeNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "authorizations",         // 0
      "buckets",                // 1
      "dashboards",             // 2
      "orgs",                   // 3
      "sources",                // 4
      "tasks",                  // 5
      "telegrafs",              // 6
      "users",                  // 7
      "variables",              // 8
      "scrapers",               // 9
      "secrets",                // 10
      "labels",                 // 11
      "views",                  // 12
      "documents",              // 13
      "notificationRules",      // 14
      "notificationEndpoints",  // 15
      "checks",                 // 16
      "dbrp",                   // 17
      "notebooks",              // 18
      "annotations",            // 19
      "remotes",                // 20
      "replications",           // 21
      "instance",               // 22
  };
  return *kNames;
}

TEST(ResourceTypeTest, ThereAreExactlyTwentyThreeTypes) {
  EXPECT_EQ(kResourceTypeCount, 23);
  EXPECT_EQ(AllResourceTypes().size(), 23u);
  EXPECT_EQ(InfluxDbTypeNames().size(), 23u);
}

TEST(ResourceTypeTest, AllResourceTypesFollowsInfluxDbOrderAndSpelling) {
  const auto& all = AllResourceTypes();
  for (size_t i = 0; i < all.size(); ++i) {
    SCOPED_TRACE(InfluxDbTypeNames()[i]);
    EXPECT_EQ(static_cast<int>(all[i]), static_cast<int>(i));
    EXPECT_EQ(std::string(ResourceTypeName(all[i])), InfluxDbTypeNames()[i]);
  }
  EXPECT_EQ(all.back(), ResourceType::kInstance);
}

TEST(ResourceTypeTest, EnumeratorsHaveInfluxDbNumbers) {
  EXPECT_EQ(static_cast<int>(ResourceType::kAuthorizations), 0);
  EXPECT_EQ(static_cast<int>(ResourceType::kBuckets), 1);
  EXPECT_EQ(static_cast<int>(ResourceType::kOrgs), 3);
  EXPECT_EQ(static_cast<int>(ResourceType::kUsers), 7);
  EXPECT_EQ(static_cast<int>(ResourceType::kNotificationRules), 14);
  EXPECT_EQ(static_cast<int>(ResourceType::kNotificationEndpoints), 15);
  EXPECT_EQ(static_cast<int>(ResourceType::kDbrp), 17);
  EXPECT_EQ(static_cast<int>(ResourceType::kReplications), 21);
  EXPECT_EQ(static_cast<int>(ResourceType::kInstance), 22);
}

TEST(ParseResourceTypeTest, ParsesEveryInfluxDbName) {
  for (size_t i = 0; i < InfluxDbTypeNames().size(); ++i) {
    const std::string& name = InfluxDbTypeNames()[i];
    SCOPED_TRACE(name);
    std::optional<ResourceType> got = ParseResourceType(name);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(static_cast<size_t>(*got), i);
    EXPECT_EQ(std::string(ResourceTypeName(*got)), name);
  }
}

TEST(ParseResourceTypeTest, RejectsUnknownAndWronglyCasedNames) {
  const std::vector<std::string> rejected = {
      "",
      "Buckets",
      "BUCKETS",
      "bucket",
      "org",
      "user",
      "notificationrules",
      "NotificationRules",
      "notificationendpoints",
      "dbrps",
      "DBRP",
      "Instance",
      " buckets",
      "buckets ",
      "buckets/",
      std::string("buckets\0", 8),
      // InfluxDB Cloud-only types the CLI knows about; not OSS types.
      "flows",
      "functions",
      "subscriptions",
      "*",
  };
  for (const std::string& name : rejected) {
    SCOPED_TRACE("\"" + name + "\"");
    EXPECT_FALSE(ParseResourceType(name).has_value());
  }
}

TEST(ResourceTypeFromNumberTest, RoundTripsEveryNumber) {
  for (uint32_t n = 0; n < 23; ++n) {
    SCOPED_TRACE(n);
    std::optional<ResourceType> got = ResourceTypeFromNumber(n);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(static_cast<uint32_t>(*got), n);
    EXPECT_EQ(std::string(ResourceTypeName(*got)), InfluxDbTypeNames()[n]);
  }
}

TEST(ResourceTypeFromNumberTest, RejectsOutOfRangeNumbers) {
  EXPECT_FALSE(ResourceTypeFromNumber(23).has_value());
  EXPECT_FALSE(ResourceTypeFromNumber(24).has_value());
  EXPECT_FALSE(ResourceTypeFromNumber(255).has_value());
  EXPECT_FALSE(ResourceTypeFromNumber(256).has_value());
  EXPECT_FALSE(ResourceTypeFromNumber(std::numeric_limits<uint32_t>::max()).has_value());
}

}  // namespace
}  // namespace authd::authz
