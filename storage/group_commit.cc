#include "storage/group_commit.h"

#include "absl/strings/str_cat.h"

namespace authd::storage {

void GroupCommit::Enqueue(uint64_t seq, std::function<void()> publish) {
  authd::MutexLock lock(&mu_);
  enqueued_ = seq;
  pending_.push_back(Entry{seq, std::move(publish)});
}

void GroupCommit::PublishDurableLocked() {
  while (!pending_.empty() && pending_.front().seq <= durable_) {
    std::function<void()> publish = std::move(pending_.front().publish);
    pending_.pop_front();
    if (publish) publish();
  }
}

absl::Status GroupCommit::AwaitDurable(uint64_t seq) {
  authd::MutexLock lock(&mu_);
  for (;;) {
    if (!failed_.ok()) return failed_;
    if (durable_ >= seq) {
      // Someone synced past us; make sure everything up to us is visible before we answer.
      PublishDurableLocked();
      return absl::OkStatus();
    }
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

void GroupCommit::Reset(uint64_t seq) {
  authd::MutexLock lock(&mu_);
  pending_.clear();
  enqueued_ = seq;
  durable_ = seq;
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
