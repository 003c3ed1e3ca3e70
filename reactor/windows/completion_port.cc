#include "reactor/windows/completion_port.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tofu {

absl::StatusOr<CompletionPort> CompletionPort::Create() {
  // Concurrency 1: one thread (the reactor's) dequeues.
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("CreateIoCompletionPort: error ", GetLastError()));
  }
  return CompletionPort(port);
}

CompletionPort::CompletionPort(CompletionPort&& other) noexcept
    : port_(std::exchange(other.port_, nullptr)) {}

CompletionPort::~CompletionPort() {
  if (port_ != nullptr) CloseHandle(port_);
}

absl::Status CompletionPort::Post(ULONG_PTR key) {
  if (!PostQueuedCompletionStatus(port_, 0, key, nullptr)) {
    return absl::InternalError(
        absl::StrCat("PostQueuedCompletionStatus: error ", GetLastError()));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> CompletionPort::Dequeue(
    absl::Span<OVERLAPPED_ENTRY> entries, absl::Duration timeout) {
  DWORD ms = INFINITE;
  if (timeout != absl::InfiniteDuration()) {
    ms = static_cast<DWORD>(std::clamp<int64_t>(
        absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1))),
        0, INFINITE - 1));
  }
  ULONG n = 0;
  if (!GetQueuedCompletionStatusEx(port_, entries.data(),
                                   static_cast<ULONG>(entries.size()), &n, ms,
                                   FALSE)) {
    const DWORD err = GetLastError();
    if (err == WAIT_TIMEOUT) return 0;
    return absl::InternalError(
        absl::StrCat("GetQueuedCompletionStatusEx: error ", err));
  }
  return static_cast<size_t>(n);
}

}  // namespace tofu
