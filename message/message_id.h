#ifndef TOFU_MESSAGE_MESSAGE_ID_H_
#define TOFU_MESSAGE_MESSAGE_ID_H_

#include <cstdint>

namespace tofu {

// The next process-wide message id: an atomic counter starting at 1, shared by
// every engine in the process. Thread-safe, lock-free. Consecutive calls on one
// thread differ by one.
uint64_t NextMessageId();

}  // namespace tofu

#endif  // TOFU_MESSAGE_MESSAGE_ID_H_
