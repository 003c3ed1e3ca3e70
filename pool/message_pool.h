#ifndef TOFU_POOL_MESSAGE_POOL_H_
#define TOFU_POOL_MESSAGE_POOL_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "message/message.h"
#include "message/message_queue.h"

namespace tofu {

enum class AllocationStrategy {
  // A pooled message, or nullptr when the pool has none idle.
  kPoolOnly,
  // A pooled message, or a newly allocated one when the pool has none idle.
  kAlways,
};

struct PoolOptions {
  static constexpr uint16_t kDefaultInitial = 16;
  static constexpr uint16_t kDefaultMax = 64;
  // Messages created up front. 0 means the default.
  uint16_t initial = kDefaultInitial;
  // Most idle messages kept; more are freed when returned. 0 means the default;
  // a value below `initial` is raised to `initial`. It bounds idle messages,
  // not messages in use.
  uint16_t max = kDefaultMax;
};

// Counters, for tests and metrics. A consistent snapshot.
struct PoolStats {
  size_t idle = 0;         // in the pool now
  size_t in_use = 0;       // handed out and not yet returned
  uint64_t allocated = 0;  // messages ever created
  uint64_t freed =
      0;  // messages ever deleted (returned to a full or closed pool)
  uint64_t gets = 0;    // successful Get calls
  uint64_t misses = 0;  // kPoolOnly gets that found the pool empty
};

// A bounded, thread-safe LIFO pool of messages: the engine's memory budget and
// the source of backpressure. Messages come out as MessagePtr; dropping one
// (from any thread) resets it and returns it here, or frees it when `max` are
// already idle.
//
// The pool may be destroyed while messages are still out: it frees its idle
// messages at once and each outstanding message is freed when it is dropped.
class MessagePool {
 public:
  explicit MessagePool(PoolOptions options = {});
  ~MessagePool();
  MessagePool(const MessagePool&) = delete;
  MessagePool& operator=(const MessagePool&) = delete;

  // Thread-safe. Returned messages are reset (header zeroed, buffers empty).
  MessagePtr Get(AllocationStrategy strategy);

  // The batch forms of Get(kPoolOnly) and of dropping messages, for a thread
  // that takes and returns many messages at a time (the I/O thread): one lock
  // for the lot.
  //
  // Moves up to `n` idle messages to the back of `out` and returns how many;
  // 0 counts as a miss, as Get(kPoolOnly) returning nullptr does.
  size_t GetBatch(size_t n, MessageQueue& out);
  // Takes every message of `messages`: those of this pool are reset and
  // returned as if dropped one by one; any other (another pool's, or one
  // without a pool) is dropped as usual.
  void Recycle(MessageQueue& messages);

  // The engine's cue that a reader starved of messages can resume. After a
  // kPoolOnly get finds the pool empty (a miss), `callback` is called when the
  // first message comes back, and again when `batch` messages are idle (if
  // `batch` > 1), each once per miss episode; the next miss starts a new
  // episode (a `batch` above max() is never reached, so the second call never
  // comes). The first call tells the reader that something came back; the
  // second that enough came back to be worth a resume. It runs on the
  // returning thread with the pool's lock held, so it must be quick and must
  // not call into the pool (waking an I/O thread is the intended use). Pass
  // nullptr to clear; after SetRefillCallback returns, the previous callback
  // is never called again.
  void SetRefillCallback(std::function<void()> callback, size_t batch = 1);

  PoolStats stats() const;
  uint16_t initial() const { return initial_; }
  uint16_t max() const { return max_; }

 private:
  class Core;
  static void SetOwner(Message& message, MessageOwner* owner);
  static MessageOwner* OwnerOf(const Message& message);

  Core* core_;
  uint16_t initial_;
  uint16_t max_;
};

}  // namespace tofu

#endif  // TOFU_POOL_MESSAGE_POOL_H_
