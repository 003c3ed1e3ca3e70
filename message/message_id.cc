#include "message/message_id.h"

#include <atomic>

namespace tofu {

uint64_t NextMessageId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace tofu
