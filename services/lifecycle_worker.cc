#include "services/lifecycle_worker.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/clock.h"
#include "base/log.h"

namespace authd::services {
namespace {

constexpr absl::Duration kTick = absl::Milliseconds(100);

}  // namespace

absl::StatusOr<int64_t> ParseClockOffsetSeconds(absl::string_view text) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &seconds) ||
      seconds > int64_t{100} * 366 * 24 * 3600 || seconds < -int64_t{100} * 366 * 24 * 3600) {
    return absl::InvalidArgumentError("clock offset file: want a whole number of seconds");
  }
  return seconds;
}

LifecycleWorker::LifecycleWorker(storage::TokenStore* store, authz::TokenIndex* index,
                                 LifecycleOptions options)
    : store_(store), index_(index), options_(std::move(options)) {}

LifecycleWorker::~LifecycleWorker() { Stop(); }

void LifecycleWorker::Start() {
  if (started_) return;
  started_ = true;
  ReadClockOffset();
  thread_ = std::thread([this] { Run(); });
}

void LifecycleWorker::Stop() {
  {
    MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  if (started_ && options_.last_used_interval > absl::ZeroDuration()) {
    absl::StatusOr<size_t> flushed = FlushUsageOnce();
    if (!flushed.ok()) {
      LogWarning(absl::StrCat("last used: the uses of the last interval were not recorded: ",
                              flushed.status().message()));
    }
  }
}

absl::StatusOr<size_t> LifecycleWorker::SweepOnce() {
  size_t recorded = 0;
  // Bounded rounds: a backlog (a restart after a long stop) drains over a few ticks.
  for (int round = 0; round < 10; ++round) {
    std::vector<authz::DueExpiry> due = index_->DueExpiries(CoarseNowNanos(), kMaxExpiriesPerEvent);
    if (due.empty()) break;
    absl::StatusOr<size_t> n = store_->RecordExpiries(due);
    if (!n.ok()) return n.status();
    recorded += *n;
    // Entries the store found stale (nothing to record) would come back: stop for this tick.
    if (*n < due.size()) break;
  }
  return recorded;
}

absl::StatusOr<size_t> LifecycleWorker::PurgeOnce() {
  if (options_.expired_token_retention <= absl::ZeroDuration()) return 0;
  const int64_t cutoff =
      CoarseNowNanos() - absl::ToInt64Nanoseconds(options_.expired_token_retention);
  std::vector<authz::Id> ids = index_->ExpiredBefore(cutoff, kMaxExpiriesPerEvent);
  if (ids.empty()) return 0;
  return store_->PurgeExpired(ids, cutoff);
}

absl::StatusOr<size_t> LifecycleWorker::FlushUsageOnce() {
  size_t recorded = 0;
  for (;;) {
    std::vector<authz::Usage> uses = index_->TakeUsage(kMaxUsesPerEvent);
    if (uses.empty()) break;
    absl::StatusOr<size_t> n = store_->RecordUsage(uses);
    if (!n.ok()) {
      index_->RestoreUsage(uses);
      return n.status();
    }
    recorded += *n;
    if (uses.size() < kMaxUsesPerEvent) break;
  }
  return recorded;
}

void LifecycleWorker::ReadClockOffset() {
  if (options_.clock_offset_file.empty()) return;
  std::ifstream in(options_.clock_offset_file);
  if (!in) return;  // not written yet: no offset
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text == last_offset_text_) return;
  last_offset_text_ = text;
  absl::StatusOr<int64_t> seconds = ParseClockOffsetSeconds(text);
  if (!seconds.ok()) {
    LogWarning(std::string(seconds.status().message()));
    return;
  }
  SetTestClockOffset(*seconds * 1000000000);
  LogInfo(absl::StrCat("test clock: offset ", *seconds, "s"));
}

void LifecycleWorker::Run() {
  absl::Time next_sweep = absl::Now() + options_.sweep_interval;
  absl::Time next_flush = absl::Now() + options_.last_used_interval;
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (!stop_) cv_.WaitWithTimeout(&mu_, kTick);
      if (stop_) return;
    }
    ReadClockOffset();
    const absl::Time now = absl::Now();
    if (now >= next_sweep) {
      next_sweep = now + options_.sweep_interval;
      absl::StatusOr<size_t> n = SweepOnce();
      if (!n.ok()) {
        LogWarning(absl::StrCat("expiry sweep: ", n.status().message()));
      } else if (*n > 0) {
        LogInfo(absl::StrCat("expiry: recorded ", *n, " expired token(s)"));
      }
      absl::StatusOr<size_t> purged = PurgeOnce();
      if (!purged.ok()) {
        LogWarning(absl::StrCat("expired token purge: ", purged.status().message()));
      } else if (*purged > 0) {
        LogInfo(absl::StrCat("expiry: deleted ", *purged,
                             " token(s) expired longer than --expired-token-retention ago"));
      }
    }
    if (options_.last_used_interval > absl::ZeroDuration() && now >= next_flush) {
      next_flush = now + options_.last_used_interval;
      absl::StatusOr<size_t> n = FlushUsageOnce();
      if (!n.ok()) LogWarning(absl::StrCat("last used: ", n.status().message()));
    }
  }
}

}  // namespace authd::services
