#include "services/call_budget.h"

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

TEST(CallBudgetTest, CheckAtJudgesTheDeadline) {
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  struct Case {
    std::string name;
    absl::Time deadline;
    absl::Time now;
    absl::StatusCode want;
  };
  const std::vector<Case> cases = {
      {"well before", t, t - absl::Seconds(1), absl::StatusCode::kOk},
      {"a nanosecond before", t, t - absl::Nanoseconds(1), absl::StatusCode::kOk},
      {"at the deadline", t, t, absl::StatusCode::kDeadlineExceeded},
      {"after", t, t + absl::Milliseconds(1), absl::StatusCode::kDeadlineExceeded},
      {"no deadline", absl::InfiniteFuture(), t, absl::StatusCode::kOk},
      {"already past", absl::InfinitePast(), t, absl::StatusCode::kDeadlineExceeded},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status got = CallBudget::Until(c.deadline).CheckAt(c.now);
    EXPECT_EQ(got.code(), c.want) << got;
    if (!got.ok()) {
      EXPECT_EQ(got.message(), "the call's deadline passed before the server did its work");
    }
  }
}

TEST(CallBudgetTest, UnlimitedNeverRunsOut) {
  EXPECT_TRUE(CallBudget::Unlimited().Check().ok());
  EXPECT_EQ(CallBudget::Unlimited().deadline(), absl::InfiniteFuture());
}

TEST(CallBudgetTest, ContextWithoutDeadlineHasAnInfiniteOne) {
  grpc::ServerContext context;  // not attached to a call: no deadline, never cancelled
  CallBudget budget = CallBudget::Of(context);
  EXPECT_EQ(budget.deadline(), absl::InfiniteFuture());
  EXPECT_TRUE(budget.Check().ok());
}

}  // namespace
}  // namespace authd::services
