#include <windows.h>

#include <mutex>

#include "examples/stop_signal.h"

namespace tofu {
namespace {

// The console handler is process-wide: one watcher at a time.
std::mutex watcher_mu;
std::function<void()>* current_on_stop = nullptr;

BOOL WINAPI OnConsoleEvent(DWORD event) {
  if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT &&
      event != CTRL_CLOSE_EVENT) {
    return FALSE;
  }
  std::lock_guard<std::mutex> lock(watcher_mu);
  if (current_on_stop != nullptr) (*current_on_stop)();
  return TRUE;
}

class WindowsStopSignal final : public StopSignal {
 public:
  explicit WindowsStopSignal(std::function<void()> on_stop)
      : on_stop_(std::move(on_stop)) {
    std::lock_guard<std::mutex> lock(watcher_mu);
    current_on_stop = &on_stop_;
    SetConsoleCtrlHandler(OnConsoleEvent, TRUE);
  }

  ~WindowsStopSignal() override {
    SetConsoleCtrlHandler(OnConsoleEvent, FALSE);
    std::lock_guard<std::mutex> lock(watcher_mu);
    current_on_stop = nullptr;
  }

 private:
  std::function<void()> on_stop_;
};

}  // namespace

std::unique_ptr<StopSignal> StopSignal::Watch(std::function<void()> on_stop) {
  return std::make_unique<WindowsStopSignal>(std::move(on_stop));
}

}  // namespace tofu
