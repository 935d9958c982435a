#include "services/password_hasher.h"

#include "base/status_macros.h"

namespace authd::services {

PasswordHasher::PasswordHasher(int max_concurrent, authz::PasswordHashOptions options)
    : options_(options), free_(max_concurrent) {}

PasswordHasher::Slot::~Slot() {
  if (owner_ != nullptr) owner_->Release();
}

absl::StatusOr<PasswordHasher::Slot> PasswordHasher::Acquire(const CallBudget& budget) {
  AUTHD_RETURN_IF_ERROR(budget.Check());
  {
    MutexLock lock(&mu_);
    while (free_ == 0) {
      if (slot_freed_.WaitWithDeadline(&mu_, budget.deadline()) && free_ == 0) {
        return absl::DeadlineExceededError(
            "the call's deadline passed while it waited for a password hashing slot");
      }
    }
    --free_;
  }
  Slot slot(this);
  AUTHD_RETURN_IF_ERROR(budget.Check());
  return slot;
}

void PasswordHasher::Release() {
  MutexLock lock(&mu_);
  ++free_;
  slot_freed_.Signal();
}

absl::StatusOr<std::string> PasswordHasher::Hash(const CallBudget& budget,
                                                 absl::string_view password) {
  AUTHD_ASSIGN_OR_RETURN(Slot slot, Acquire(budget));
  AUTHD_ASSIGN_OR_RETURN(std::string hash, authz::HashPassword(password, options_));
  AUTHD_RETURN_IF_ERROR(budget.Check());
  return hash;
}

absl::StatusOr<bool> PasswordHasher::Verify(const CallBudget& budget, absl::string_view password,
                                            const std::string& encoded) {
  AUTHD_ASSIGN_OR_RETURN(Slot slot, Acquire(budget));
  bool match = authz::VerifyPassword(password, encoded);
  AUTHD_RETURN_IF_ERROR(budget.Check());
  return match;
}

}  // namespace authd::services
