#ifndef TOFU_REACTOR_NOTIFIER_H_
#define TOFU_REACTOR_NOTIFIER_H_

namespace tofu {

// Wakes the reactor thread out of Poller::Wait, which then reports a PollEvent
// with the notifier's token (see Poller::CreateNotifier). Notify() is
// thread-safe and may be called any number of times; wake-ups coalesce (many
// Notify calls, one event), so the reactor must drain all the work they
// announce, not one item per wake-up.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Any thread.
  virtual void Notify() = 0;
  // Reactor thread, after the wake-up event: consumes pending wake-ups so the
  // next Notify() produces a new event.
  virtual void Drain() = 0;
};

}  // namespace tofu

#endif  // TOFU_REACTOR_NOTIFIER_H_
