// PasswordHasher: Argon2id for RPCs (sign-in, setup, user passwords), at most `max_concurrent`
// computations at once. Each one holds 19 MiB and a core for tens of milliseconds, so this bound,
// not the number of callers, is what sign-in storms cost in memory (README "Overload"). Callers
// beyond it wait for a slot, but never past their call's deadline. Thread-safe.
#ifndef AUTHD_SERVICES_PASSWORD_HASHER_H_
#define AUTHD_SERVICES_PASSWORD_HASHER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "authz/password.h"
#include "base/mutex.h"
#include "services/call_budget.h"

namespace authd::services {

class PasswordHasher {
 public:
  // `max_concurrent` >= 1.
  explicit PasswordHasher(int max_concurrent, authz::PasswordHashOptions options = {});
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // One of the `max_concurrent` slots, held until destroyed (or moved from).
  class Slot {
   public:
    Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    friend class PasswordHasher;
    explicit Slot(PasswordHasher* owner) : owner_(owner) {}
    PasswordHasher* owner_;
  };

  // Waits for a free slot, then checks `budget` again (the wait may have outlived the caller).
  // Errors: kDeadlineExceeded if no slot freed up before the deadline or it has passed since;
  // kCancelled if the client cancelled.
  absl::StatusOr<Slot> Acquire(const CallBudget& budget);

  // authz::HashPassword in a slot. The budget is checked before and after the hash: its only use is
  // a store write, pointless once the caller stopped waiting. Errors: those of Acquire and
  // CallBudget::Check; kInternal from libargon2.
  absl::StatusOr<std::string> Hash(const CallBudget& budget, absl::string_view password);

  // authz::VerifyPassword in a slot. Errors: those of Acquire and CallBudget::Check.
  absl::StatusOr<bool> Verify(const CallBudget& budget, absl::string_view password,
                              const std::string& encoded);

 private:
  void Release();

  const authz::PasswordHashOptions options_;
  Mutex mu_;
  CondVar slot_freed_;
  int free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_PASSWORD_HASHER_H_
