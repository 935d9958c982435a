#include "services/password_hasher.h"

#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

// Argon2id at its cheapest, so the tests are quick; the slots do not depend on the cost.
constexpr authz::PasswordHashOptions kCheap{/*memory_kib=*/8, /*iterations=*/1,
                                            /*parallelism=*/1};

TEST(PasswordHasherTest, HashesAndVerifiesInASlot) {
  PasswordHasher hasher(1, kCheap);
  auto hash = hasher.Hash(CallBudget::Unlimited(), "correct horse battery");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  auto match = hasher.Verify(CallBudget::Unlimited(), "correct horse battery", *hash);
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_TRUE(*match);
  match = hasher.Verify(CallBudget::Unlimited(), "wrong horse battery", *hash);
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_FALSE(*match);
}

TEST(PasswordHasherTest, ExpiredBudgetStartsNothing) {
  PasswordHasher hasher(1, kCheap);
  auto hash = hasher.Hash(CallBudget::Until(absl::InfinitePast()), "correct horse battery");
  EXPECT_EQ(hash.status().code(), absl::StatusCode::kDeadlineExceeded) << hash.status();
  auto match = hasher.Verify(CallBudget::Until(absl::InfinitePast()), "x", "not a hash");
  EXPECT_EQ(match.status().code(), absl::StatusCode::kDeadlineExceeded) << match.status();
}

TEST(PasswordHasherTest, WaitForASlotEndsAtTheDeadline) {
  PasswordHasher hasher(2, kCheap);
  auto first = hasher.Acquire(CallBudget::Unlimited());
  auto second = hasher.Acquire(CallBudget::Unlimited());
  ASSERT_TRUE(first.ok() && second.ok());
  // Both slots are held and never released during the wait, so it can only end at the deadline.
  auto hash = hasher.Hash(CallBudget::Until(absl::Now() + absl::Milliseconds(20)), "password1");
  EXPECT_EQ(hash.status().code(), absl::StatusCode::kDeadlineExceeded) << hash.status();
  EXPECT_EQ(hash.status().message(),
            "the call's deadline passed while it waited for a password hashing slot");
}

TEST(PasswordHasherTest, ReleasedSlotWakesAWaiter) {
  PasswordHasher hasher(1, kCheap);
  std::optional<PasswordHasher::Slot> held;
  {
    auto slot = hasher.Acquire(CallBudget::Unlimited());
    ASSERT_TRUE(slot.ok()) << slot.status();
    held.emplace(std::move(*slot));
  }
  absl::StatusOr<std::string> hash;
  std::thread waiter([&] { hash = hasher.Hash(CallBudget::Unlimited(), "password1"); });
  // The waiter cannot finish while the slot is held (it would wait forever); releasing it lets it.
  held.reset();
  waiter.join();
  EXPECT_TRUE(hash.ok()) << hash.status();
}

TEST(PasswordHasherTest, MovedSlotIsReleasedOnce) {
  PasswordHasher hasher(1, kCheap);
  {
    auto held = hasher.Acquire(CallBudget::Unlimited());
    ASSERT_TRUE(held.ok());
    PasswordHasher::Slot moved = std::move(*held);
  }
  // Released exactly once: one slot is free again, and only one.
  auto one = hasher.Acquire(CallBudget::Unlimited());
  ASSERT_TRUE(one.ok()) << one.status();
  auto two = hasher.Acquire(CallBudget::Until(absl::Now() + absl::Milliseconds(5)));
  EXPECT_EQ(two.status().code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace authd::services
