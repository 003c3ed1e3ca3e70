#ifndef TOFU_EXAMPLES_STOP_SIGNAL_H_
#define TOFU_EXAMPLES_STOP_SIGNAL_H_

#include <functional>
#include <memory>

namespace tofu {

// Runs `on_stop` once, on a thread of its own, when the user asks the program
// to stop: SIGINT or SIGTERM on POSIX systems, Ctrl+C, Ctrl+Break or closing
// the console on Windows. Create it in main() before starting other threads
// (on POSIX it blocks those signals in the calling thread, and threads
// created afterwards inherit that). Destroying it stops watching without
// calling `on_stop`.
class StopSignal {
 public:
  static std::unique_ptr<StopSignal> Watch(std::function<void()> on_stop);
  virtual ~StopSignal() = default;
};

}  // namespace tofu

#endif  // TOFU_EXAMPLES_STOP_SIGNAL_H_
