#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "examples/stop_signal.h"

namespace tofu {
namespace {

class PosixStopSignal final : public StopSignal {
 public:
  explicit PosixStopSignal(std::function<void()> on_stop) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    thread_ = std::thread([this, on_stop = std::move(on_stop)] {
      int received = 0;
      sigwait(&signals_, &received);
      if (!cancelled_.load()) on_stop();
    });
  }

  ~PosixStopSignal() override {
    cancelled_.store(true);
    pthread_kill(thread_.native_handle(), SIGTERM);  // ends its sigwait
    thread_.join();
  }

 private:
  sigset_t signals_;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<StopSignal> StopSignal::Watch(std::function<void()> on_stop) {
  return std::make_unique<PosixStopSignal>(std::move(on_stop));
}

}  // namespace tofu
