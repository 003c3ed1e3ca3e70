#include "message/message_queue.h"

#include <utility>

namespace tofu {

void MessageQueue::PushBack(MessagePtr message) {
  Message* m = message.release();
  m->next_ = nullptr;
  if (tail_ == nullptr) {
    head_ = m;
  } else {
    tail_->next_ = m;
  }
  tail_ = m;
  ++size_;
}

void MessageQueue::PushFront(MessagePtr message) {
  Message* m = message.release();
  m->next_ = head_;
  head_ = m;
  if (tail_ == nullptr) tail_ = m;
  ++size_;
}

MessagePtr MessageQueue::PopFront() {
  Message* m = head_;
  if (m == nullptr) return nullptr;
  head_ = m->next_;
  if (head_ == nullptr) tail_ = nullptr;
  m->next_ = nullptr;
  --size_;
  return MessagePtr(m);
}

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
