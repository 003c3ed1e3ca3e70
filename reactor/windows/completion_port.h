#ifndef TOFU_REACTOR_WINDOWS_COMPLETION_PORT_H_
#define TOFU_REACTOR_WINDOWS_COMPLETION_PORT_H_

// An I/O completion port: created once per poller, dequeued in batches by the
// reactor thread; Post() may be called from any thread.

// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace tofu {

class CompletionPort {
 public:
  static absl::StatusOr<CompletionPort> Create();
  CompletionPort(CompletionPort&& other) noexcept;
  CompletionPort& operator=(CompletionPort&&) = delete;
  ~CompletionPort();

  HANDLE handle() const { return port_; }

  // Queues a packet with `key` and a null lpOverlapped. Any thread.
  absl::Status Post(ULONG_PTR key);

  // Dequeues up to entries.size() packets, waiting at most `timeout`
  // (InfiniteDuration for no limit; rounded up to whole milliseconds). Returns
  // how many were dequeued: 0 on timeout.
  absl::StatusOr<size_t> Dequeue(absl::Span<OVERLAPPED_ENTRY> entries,
                                 absl::Duration timeout);

 private:
  explicit CompletionPort(HANDLE port) : port_(port) {}
  HANDLE port_;
};

}  // namespace tofu

#endif  // TOFU_REACTOR_WINDOWS_COMPLETION_PORT_H_
