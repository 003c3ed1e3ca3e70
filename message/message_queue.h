#ifndef TOFU_MESSAGE_MESSAGE_QUEUE_H_
#define TOFU_MESSAGE_MESSAGE_QUEUE_H_

#include <cstddef>

#include "message/message.h"

namespace tofu {

// An intrusive singly linked queue of owned messages: pushing and popping never
// allocate. Used as a FIFO (send queues, inboxes) and as a LIFO stack (the
// pool). Dropping the queue releases what it still holds. Not thread-safe;
// guard it with the owner's lock.
class MessageQueue {
 public:
  MessageQueue() = default;
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;
  MessageQueue(MessageQueue&& other) noexcept { Swap(other); }
  MessageQueue& operator=(MessageQueue&& other) noexcept {
    Clear();
    Swap(other);
    return *this;
  }
  ~MessageQueue() { Clear(); }

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  Message* front() const { return head_; }

  // Inline: every message passes through several queues on its way.
  void PushBack(MessagePtr message) {
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
  void PushFront(MessagePtr message) {
    Message* m = message.release();
    m->next_ = head_;
    head_ = m;
    if (tail_ == nullptr) tail_ = m;
    ++size_;
  }
  // nullptr when empty.
  MessagePtr PopFront() {
    Message* m = head_;
    if (m == nullptr) return nullptr;
    head_ = m->next_;
    if (head_ == nullptr) tail_ = nullptr;
    m->next_ = nullptr;
    --size_;
    return MessagePtr(m);
  }
  // Moves every message of `other` to the back of this queue, in order.
  void Splice(MessageQueue& other);
  // Releases every message (each goes back to its owner).
  void Clear();
  void Swap(MessageQueue& other) noexcept;

 private:
  Message* head_ = nullptr;
  Message* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tofu

#endif  // TOFU_MESSAGE_MESSAGE_QUEUE_H_
