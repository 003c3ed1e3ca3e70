// The Windows poller: readiness emulated with IOCTL_AFD_POLL on \Device\Afd
// helper handles, completions dequeued in batches from one completion port.
// The bookkeeping (registered sockets, helper handles, lazy re-arm, handle
// reuse, draining) is afd::AfdPollSet, which reaches the system only through
// the afd::AfdSystem implemented here.
#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include "reactor/poller.h"
#include "reactor/windows/afd.h"
#include "reactor/windows/afd_poll_set.h"
#include "reactor/windows/afd_system.h"
#include "reactor/windows/completion_port.h"
#include "reactor/windows/iocp_notifier.h"
#include "reactor/windows/poll_state.h"

namespace tofu {
namespace {

static_assert(afd::kInterestRead == kInterestRead &&
              afd::kInterestWrite == kInterestWrite);

// AFD helpers carry their polls on key 0; the notifier's wake-ups come on
// kWakeKey, AfdPollSet's own (PostUpdateWake) on kUpdateKey.
constexpr ULONG_PTR kWakeKey = 1;
constexpr ULONG_PTR kUpdateKey = 2;

// The kernel-visible part of a PolledSocket, kept in its IoBlockStorage.
struct IoBlock {
  IO_STATUS_BLOCK iosb;
  afd::PollInfo info;
};
static_assert(sizeof(IoBlock) <= sizeof(afd::IoBlockStorage) &&
              alignof(IoBlock) <= alignof(afd::IoBlockStorage));

IoBlock& IoOf(afd::PolledSocket& socket) {
  return *std::launder(reinterpret_cast<IoBlock*>(socket.io.bytes));
}
const IoBlock& IoOf(const afd::PolledSocket& socket) {
  return *std::launder(reinterpret_cast<const IoBlock*>(socket.io.bytes));
}

HANDLE AsHandle(afd::Handle h) { return reinterpret_cast<HANDLE>(h); }

// The system calls under AfdPollSet, on one completion port.
class WindowsAfdSystem final : public afd::AfdSystem {
 public:
  explicit WindowsAfdSystem(CompletionPort port) : port_(std::move(port)) {}

  CompletionPort& port() { return port_; }

  absl::StatusOr<afd::Handle> OpenHelper() override {
    absl::StatusOr<HANDLE> helper = afd::OpenHelper(port_.handle());
    if (!helper.ok()) return helper.status();
    return reinterpret_cast<afd::Handle>(*helper);
  }

  void CloseHelper(afd::Handle helper) override {
    CloseHandle(AsHandle(helper));
  }

  uint32_t SubmitPoll(afd::Handle helper, afd::PolledSocket& socket,
                      uint32_t afd_events) override {
    // Trivial types: starting their lifetime here costs nothing.
    IoBlock* io = new (socket.io.bytes) IoBlock{};
    return static_cast<uint32_t>(
        afd::SubmitPoll(AsHandle(helper), static_cast<SOCKET>(socket.base),
                        afd_events, &io->iosb, &io->info, &socket));
  }

  uint32_t CancelPoll(afd::Handle helper, afd::PolledSocket& socket) override {
    IoBlock& io = IoOf(socket);
    // The IRP has finished: its packet is queued, nothing to cancel.
    if (static_cast<uint32_t>(io.iosb.Status) != afd::kStatusPending) {
      return afd::kStatusNotFound;
    }
    return static_cast<uint32_t>(afd::CancelPoll(AsHandle(helper), &io.iosb));
  }

  afd::PollResult ResultOf(const afd::PolledSocket& socket) override {
    const IoBlock& io = IoOf(socket);
    return afd::PollResult{static_cast<uint32_t>(io.iosb.Status),
                           io.info.number_of_handles,
                           io.info.handles[0].events};
  }

  absl::StatusOr<size_t> Dequeue(absl::Span<afd::Packet> packets,
                                 absl::Duration timeout) override {
    const size_t n = std::min(packets.size(), kBatch);
    absl::StatusOr<size_t> got =
        port_.Dequeue(absl::MakeSpan(entries_, n), timeout);
    if (!got.ok()) return got.status();
    for (size_t i = 0; i < *got; ++i) {
      // An AFD packet's lpOverlapped is the ApcContext given at submission:
      // the PolledSocket. Wake-ups carry their key and no context.
      const ULONG_PTR key = entries_[i].lpCompletionKey;
      packets[i].socket =
          key == kWakeKey || key == kUpdateKey
              ? nullptr
              : reinterpret_cast<afd::PolledSocket*>(entries_[i].lpOverlapped);
      packets[i].update_wake = key == kUpdateKey;
    }
    return got;
  }

  bool PostUpdateWake() override { return port_.Post(kUpdateKey).ok(); }

 private:
  static constexpr size_t kBatch = afd::AfdPollSet::kBatch;
  CompletionPort port_;
  // Dequeue's (the waiting thread's) only.
  OVERLAPPED_ENTRY entries_[kBatch];
};

class AfdPoller final : public Poller {
 public:
  explicit AfdPoller(CompletionPort port)
      : system_(std::move(port)), set_(system_) {}

  absl::Status Register(NativeSocket socket, uint64_t token,
                        uint32_t interest) override {
    absl::StatusOr<SOCKET> base = afd::BaseSocket(static_cast<SOCKET>(socket));
    if (!base.ok()) return base.status();
    return set_.Register(static_cast<afd::Handle>(socket),
                         static_cast<afd::Handle>(*base), token, interest);
  }

  absl::Status Modify(NativeSocket socket, uint64_t token,
                      uint32_t interest) override {
    return set_.Modify(static_cast<afd::Handle>(socket), token, interest);
  }

  void Unregister(NativeSocket socket) override {
    set_.Unregister(static_cast<afd::Handle>(socket));
  }

  // AfdPollSet takes control calls from another thread while Wait blocks.
  bool SupportsConcurrentControl() const override { return true; }

  absl::StatusOr<std::unique_ptr<Notifier>> CreateNotifier(
      uint64_t token) override {
    set_.SetWakeToken(token);
    return std::make_unique<IocpNotifier>(system_.port(), kWakeKey);
  }

  absl::Status Wait(absl::Duration timeout,
                    std::vector<PollEvent>& events) override {
    absl::Status status = set_.Wait(timeout, socket_events_);
    events.clear();
    for (const afd::SocketEvent& e : socket_events_) {
      events.push_back(PollEvent{e.token, e.readable, e.writable, e.error});
    }
    return status;
  }

 private:
  // Declared first: the set drains through it when destroyed.
  WindowsAfdSystem system_;
  afd::AfdPollSet set_;
  std::vector<afd::SocketEvent> socket_events_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Poller>> CreatePoller() {
  absl::StatusOr<CompletionPort> port = CompletionPort::Create();
  if (!port.ok()) return port.status();
  return std::make_unique<AfdPoller>(std::move(*port));
}

}  // namespace tofu
