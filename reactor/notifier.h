#ifndef TOFU_REACTOR_NOTIFIER_H_
#define TOFU_REACTOR_NOTIFIER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "transport/socket.h"

namespace tofu {

// Wakes the reactor thread out of Poller::Wait. Notify() is thread-safe and may
// be called any number of times; wake-ups coalesce (many Notify calls, one
// readable event), so the reactor must drain all the work they announce, not
// one item per wake-up.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Any thread.
  virtual void Notify() = 0;
  // Reactor thread: consumes pending wake-ups so the handle stops being
  // readable.
  virtual void Drain() = 0;
  // The handle to register with the poller for reading.
  virtual NativeSocket handle() const = 0;
};

// The platform's notifier (eventfd on Linux).
absl::StatusOr<std::unique_ptr<Notifier>> CreateNotifier();

}  // namespace tofu

#endif  // TOFU_REACTOR_NOTIFIER_H_
