#include "message/message_queue.h"

#include <utility>

namespace tofu {

void MessageQueue::Splice(MessageQueue& other) {
  if (other.head_ == nullptr) return;
  if (tail_ == nullptr) {
    head_ = other.head_;
  } else {
    tail_->next_ = other.head_;
  }
  tail_ = other.tail_;
  size_ += other.size_;
  other.head_ = other.tail_ = nullptr;
  other.size_ = 0;
}

void MessageQueue::Clear() {
  while (MessagePtr m = PopFront()) {
  }
}

void MessageQueue::Swap(MessageQueue& other) noexcept {
  std::swap(head_, other.head_);
  std::swap(tail_, other.tail_);
  std::swap(size_, other.size_);
}

}  // namespace tofu
