#include "reactor/windows/iocp_notifier.h"

namespace tofu {

void IocpNotifier::Notify() {
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;
  // A failed post leaves no packet: allow the next Notify to try again.
  if (!port_.Post(key_).ok()) pending_.store(false, std::memory_order_release);
}

}  // namespace tofu
