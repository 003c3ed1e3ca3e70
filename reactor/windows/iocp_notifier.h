#ifndef TOFU_REACTOR_WINDOWS_IOCP_NOTIFIER_H_
#define TOFU_REACTOR_WINDOWS_IOCP_NOTIFIER_H_

#include <atomic>

#include "reactor/notifier.h"
#include "reactor/windows/completion_port.h"

namespace tofu {

// Wakes the poller's thread with a completion packet on `key` (a key no AFD
// helper uses) and a null lpOverlapped. Notify() posts at most one packet
// until Drain(): any number of wake-ups between two waits is one packet.
class IocpNotifier final : public Notifier {
 public:
  IocpNotifier(CompletionPort& port, ULONG_PTR key) : port_(port), key_(key) {}

  void Notify() override;
  void Drain() override { pending_.store(false, std::memory_order_release); }

 private:
  CompletionPort& port_;
  const ULONG_PTR key_;
  std::atomic<bool> pending_{false};
};

}  // namespace tofu

#endif  // TOFU_REACTOR_WINDOWS_IOCP_NOTIFIER_H_
