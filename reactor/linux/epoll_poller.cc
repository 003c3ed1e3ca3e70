// Poller on Linux epoll, level-triggered.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "reactor/linux/eventfd_notifier.h"
#include "reactor/poller.h"

namespace tofu {
namespace {

uint32_t ToEpoll(uint32_t interest) {
  uint32_t events = 0;
  if (interest & kInterestRead) events |= EPOLLIN | EPOLLRDHUP;
  if (interest & kInterestWrite) events |= EPOLLOUT;
  return events;
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int fd) : epfd_(fd) {}
  ~EpollPoller() override { ::close(epfd_); }

  // epoll reports an error or hang-up whatever the events asked for, so a
  // socket with no interest is kept out of the set: otherwise a hung-up
  // socket that nobody may read yet (a starved channel) would end every wait
  // at once.
  absl::Status Register(NativeSocket socket, uint64_t token,
                        uint32_t interest) override {
    if (interest == kInterestNone) return absl::OkStatus();
    return ToStatus(Control(EPOLL_CTL_ADD, socket, token, interest));
  }
  absl::Status Modify(NativeSocket socket, uint64_t token,
                      uint32_t interest) override {
    if (interest == kInterestNone) {
      Unregister(socket);
      return absl::OkStatus();
    }
    int error = Control(EPOLL_CTL_MOD, socket, token, interest);
    if (error == ENOENT) {  // out of the set while uninterested
      error = Control(EPOLL_CTL_ADD, socket, token, interest);
    }
    return ToStatus(error);
  }
  void Unregister(NativeSocket socket) override {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, socket, nullptr);
  }
  bool SupportsConcurrentControl() const override { return true; }
  absl::StatusOr<std::unique_ptr<Notifier>> CreateNotifier(
      uint64_t token) override {
    return CreateEventFdNotifier(
        [&](int fd) { return Register(fd, token, kInterestRead); });
  }

  absl::Status Wait(absl::Duration timeout,
                    std::vector<PollEvent>& events) override {
    int ms = -1;
    if (timeout != absl::InfiniteDuration()) {
      ms = static_cast<int>(absl::ToInt64Milliseconds(
          absl::Ceil(timeout, absl::Milliseconds(1))));
    }
    int n;
    do {
      n = ::epoll_wait(epfd_, buffer_, kBatch, ms);
    } while (n < 0 && errno == EINTR);
    events.clear();
    if (n < 0)
      return absl::InternalError(
          absl::StrCat("epoll_wait: ", std::strerror(errno)));
    for (int i = 0; i < n; ++i) {
      const uint32_t e = buffer_[i].events;
      events.push_back(
          PollEvent{buffer_[i].data.u64, (e & (EPOLLIN | EPOLLRDHUP)) != 0,
                    (e & EPOLLOUT) != 0, (e & (EPOLLERR | EPOLLHUP)) != 0});
    }
    return absl::OkStatus();
  }

 private:
  // 0, or epoll_ctl's errno.
  int Control(int op, NativeSocket socket, uint64_t token, uint32_t interest) {
    epoll_event ev{};
    ev.events = ToEpoll(interest);
    ev.data.u64 = token;
    return ::epoll_ctl(epfd_, op, socket, &ev) == 0 ? 0 : errno;
  }
  static absl::Status ToStatus(int error) {
    if (error == 0) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("epoll_ctl: ", std::strerror(error)));
  }

  static constexpr int kBatch = 256;
  const int epfd_;
  epoll_event buffer_[kBatch];
};

}  // namespace

absl::StatusOr<std::unique_ptr<Poller>> CreatePoller() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0)
    return absl::InternalError(
        absl::StrCat("epoll_create1: ", std::strerror(errno)));
  return std::make_unique<EpollPoller>(fd);
}

}  // namespace tofu
