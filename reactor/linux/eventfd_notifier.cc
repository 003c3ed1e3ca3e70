// Notifier on a Linux eventfd: Notify adds 1, Drain reads the counter back to
// 0, so any number of wake-ups between two waits is one readable event.
#include "reactor/linux/eventfd_notifier.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tofu {
namespace {

class EventFdNotifier final : public Notifier {
 public:
  explicit EventFdNotifier(int fd) : fd_(fd) {}
  ~EventFdNotifier() override { ::close(fd_); }

  void Notify() override {
    const uint64_t one = 1;
    // EAGAIN means the counter is saturated: a wake-up is already pending.
    while (::write(fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }
  void Drain() override {
    uint64_t value;
    while (::read(fd_, &value, sizeof(value)) < 0 && errno == EINTR) {
    }
  }
  int fd() const { return fd_; }

 private:
  const int fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Notifier>> CreateEventFdNotifier(
    const std::function<absl::Status(int fd)>& register_fd) {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  auto notifier = std::make_unique<EventFdNotifier>(fd);
  if (absl::Status s = register_fd(fd); !s.ok()) return s;
  return notifier;
}

}  // namespace tofu
