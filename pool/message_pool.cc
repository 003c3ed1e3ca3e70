#include "pool/message_pool.h"

#include <algorithm>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "message/message_queue.h"

namespace tofu {

// The shared state. It outlives the MessagePool while messages are out: the
// last message returned after Close() deletes it.
class MessagePool::Core final : public MessageOwner {
 public:
  explicit Core(size_t max) : max_(max) {}

  void Release(Message* message) noexcept override {
    message->Reset();
    MessagePtr owned(message);
    bool delete_core;
    {
      absl::MutexLock lock(&mu_);
      delete_core = TakeBackLocked(owned);
    }
    if (delete_core) delete this;
  }

  // `mine`: messages of this pool, already reset. Called only through a live
  // MessagePool, so the pool is open and never has to delete itself here.
  void ReleaseAll(MessageQueue& mine) {
    absl::MutexLock lock(&mu_);
    while (MessagePtr m = mine.PopFront()) TakeBackLocked(m);
  }

  size_t GetBatch(size_t n, MessageQueue& out) {
    absl::MutexLock lock(&mu_);
    size_t taken = 0;
    for (; taken < n; ++taken) {
      MessagePtr m = idle_.PopFront();
      if (m == nullptr) break;
      out.PushBack(std::move(m));
    }
    if (taken == 0) MissLocked();
    stats_.gets += taken;
    stats_.in_use += taken;
    return taken;
  }

  MessagePtr Get(AllocationStrategy strategy) {
    absl::MutexLock lock(&mu_);
    MessagePtr m = idle_.PopFront();
    if (m == nullptr) {
      if (strategy == AllocationStrategy::kPoolOnly) {
        MissLocked();
        return nullptr;
      }
      m = NewMessageLocked();
    }
    ++stats_.gets;
    ++stats_.in_use;
    return m;
  }

  void Fill(size_t n) {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < n; ++i) idle_.PushFront(NewMessageLocked());
  }

  void SetRefillCallback(std::function<void()> callback, size_t batch) {
    absl::MutexLock lock(&mu_);
    refill_ = std::move(callback);
    refill_batch_ = std::max<size_t>(batch, 1);
  }

  PoolStats Stats() const {
    absl::MutexLock lock(&mu_);
    PoolStats s = stats_;
    s.idle = idle_.size();
    return s;
  }

  // Frees the idle messages; returns true when nothing is out, so the caller
  // deletes us.
  bool Close() {
    MessageQueue idle;
    bool nothing_out;
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      refill_ = nullptr;
      idle.Swap(idle_);
      stats_.freed += idle.size();
      nothing_out = stats_.in_use == 0;
    }
    while (MessagePtr m = idle.PopFront()) Orphan(m);
    return nothing_out;
  }

 private:
  // A kPoolOnly get found the pool empty: counted, and a new refill episode
  // starts (see SetRefillCallback).
  void MissLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++stats_.misses;
    first_return_pending_ = true;
    batch_pending_ = true;
  }

  // Takes back a message that was in use (reset already); true when the pool
  // is closed and this was the last one out, so the caller deletes us.
  bool TakeBackLocked(MessagePtr& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    --stats_.in_use;
    if (closed_ || idle_.size() >= max_) {
      ++stats_.freed;
      Orphan(m);
      return closed_ && stats_.in_use == 0;
    }
    idle_.PushFront(std::move(m));
    const bool batch_idle = batch_pending_ && idle_.size() >= refill_batch_;
    if (first_return_pending_ || batch_idle) {
      first_return_pending_ = false;
      if (batch_idle) batch_pending_ = false;
      if (refill_) refill_();
    }
    return false;
  }

  MessagePtr NewMessageLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++stats_.allocated;
    MessagePtr m(new Message);
    SetOwner(*m, this);
    return m;
  }

  // Detaches a message from the pool so dropping it deletes it.
  static void Orphan(MessagePtr& m) {
    SetOwner(*m, nullptr);
    m.reset();
  }

  static void SetOwner(Message& m, MessageOwner* owner) {
    MessagePool::SetOwner(m, owner);
  }

  const size_t max_;
  mutable absl::Mutex mu_;
  MessageQueue idle_ ABSL_GUARDED_BY(mu_);
  PoolStats stats_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Since the last miss: no message came back yet / fewer than
  // refill_batch_ were idle at once.
  bool first_return_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool batch_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> refill_ ABSL_GUARDED_BY(mu_);
  size_t refill_batch_ ABSL_GUARDED_BY(mu_) = 1;
};

namespace {

uint16_t Or(uint16_t value, uint16_t fallback) {
  return value == 0 ? fallback : value;
}

}  // namespace

MessagePool::MessagePool(PoolOptions options)
    : initial_(Or(options.initial, PoolOptions::kDefaultInitial)),
      max_(std::max(initial_, Or(options.max, PoolOptions::kDefaultMax))) {
  core_ = new Core(max_);
  core_->Fill(initial_);
}

MessagePool::~MessagePool() {
  if (core_->Close()) delete core_;
}

MessagePtr MessagePool::Get(AllocationStrategy strategy) {
  return core_->Get(strategy);
}

size_t MessagePool::GetBatch(size_t n, MessageQueue& out) {
  return core_->GetBatch(n, out);
}

void MessagePool::Recycle(MessageQueue& messages) {
  MessageQueue mine;
  while (MessagePtr m = messages.PopFront()) {
    if (OwnerOf(*m) == core_) {
      m->Reset();
      mine.PushBack(std::move(m));
    }  // else dropped here, back to its own owner
  }
  if (!mine.empty()) core_->ReleaseAll(mine);
}

void MessagePool::SetRefillCallback(std::function<void()> callback,
                                    size_t batch) {
  core_->SetRefillCallback(std::move(callback), batch);
}

PoolStats MessagePool::stats() const { return core_->Stats(); }

void MessagePool::SetOwner(Message& message, MessageOwner* owner) {
  message.owner_ = owner;
}

MessageOwner* MessagePool::OwnerOf(const Message& message) {
  return message.owner_;
}

}  // namespace tofu
