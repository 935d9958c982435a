#include "storage/group_commit.h"

#include "absl/strings/str_cat.h"

namespace authd::storage {

uint64_t GroupCommit::Enqueue(std::function<void()> publish) {
  authd::MutexLock lock(&mu_);
  ++enqueued_;
  pending_.push_back(Entry{enqueued_, std::move(publish)});
  return enqueued_;
}

void GroupCommit::PublishDurableLocked() {
  while (!pending_.empty() && pending_.front().ticket <= durable_) {
    std::function<void()> publish = std::move(pending_.front().publish);
    pending_.pop_front();
    if (publish) publish();
  }
}

absl::Status GroupCommit::AwaitDurable(uint64_t ticket) {
  authd::MutexLock lock(&mu_);
  for (;;) {
    // Durable first: a later sync's failure does not undo an entry an earlier sync covered.
    if (durable_ >= ticket) {
      // Someone synced past us; make sure everything up to us is visible before we answer.
      PublishDurableLocked();
      return absl::OkStatus();
    }
    if (!failed_.ok()) return failed_;
    if (syncing_) {
      changed_.Wait(&mu_);
      continue;
    }
    // Leader: one sync for everything appended so far.
    syncing_ = true;
    const uint64_t target = enqueued_;
    absl::Status synced;
    {
      mu_.Unlock();
      synced = sync_();
      mu_.Lock();
    }
    syncing_ = false;
    ++syncs_;
    if (synced.ok()) {
      durable_ = std::max(durable_, target);
      PublishDurableLocked();
    } else {
      failed_ = absl::UnavailableError(absl::StrCat(
          "the event log could not be synced to disk (", synced.message(),
          "); writes are refused until authd restarts"));
    }
    changed_.SignalAll();
  }
}

absl::Status GroupCommit::Drain() {
  uint64_t last;
  {
    authd::MutexLock lock(&mu_);
    last = enqueued_;
  }
  return AwaitDurable(last);
}

absl::Status GroupCommit::health() const {
  authd::MutexLock lock(&mu_);
  return failed_;
}

uint64_t GroupCommit::syncs() const {
  authd::MutexLock lock(&mu_);
  return syncs_;
}

}  // namespace authd::storage
