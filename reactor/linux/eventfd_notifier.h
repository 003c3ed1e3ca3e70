#ifndef TOFU_REACTOR_LINUX_EVENTFD_NOTIFIER_H_
#define TOFU_REACTOR_LINUX_EVENTFD_NOTIFIER_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reactor/notifier.h"

namespace tofu {

// A notifier on a Linux eventfd: Notify adds 1, Drain reads the counter back to
// 0. `register_fd` registers the eventfd for reading with the poller that is
// to report the wake-ups.
absl::StatusOr<std::unique_ptr<Notifier>> CreateEventFdNotifier(
    const std::function<absl::Status(int fd)>& register_fd);

}  // namespace tofu

#endif  // TOFU_REACTOR_LINUX_EVENTFD_NOTIFIER_H_
