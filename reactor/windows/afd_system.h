#ifndef TOFU_REACTOR_WINDOWS_AFD_SYSTEM_H_
#define TOFU_REACTOR_WINDOWS_AFD_SYSTEM_H_

// The system calls under the Windows poller's bookkeeping (AfdPollSet), behind
// one small interface so that the bookkeeping builds, is unit-tested and is
// fuzzed on every platform. On Windows the implementation is afd_poller.cc's
// (NtCreateFile on \Device\Afd, CreateIoCompletionPort, NtDeviceIoControlFile
// with IOCTL_AFD_POLL, NtCancelIoFileEx, GetQueuedCompletionStatusEx); tests
// and fuzzers use fakes. No Windows headers here.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "reactor/windows/poll_state.h"

namespace tofu::afd {

// A HANDLE or SOCKET value, kept as an integer so this file needs no Windows
// headers.
using Handle = uintptr_t;

struct Helper;

// Room for the kernel-visible IO_STATUS_BLOCK and AFD_POLL_INFO of one
// socket's poll (16 + 32 bytes on x64). Only the AfdSystem reads or writes
// it; the Windows implementation static_asserts that its structures fit.
struct alignas(16) IoBlockStorage {
  unsigned char bytes[64];
};

// One registered socket: its poll state machine, and everything the kernel
// may write to until the final packet of its last poll is dequeued. Heap
// allocated by AfdPollSet at a fixed address, which is the poll's ApcContext,
// and freed only after that packet. Touched only under AfdPollSet's lock.
struct PolledSocket {
  IoBlockStorage io;
  PollState poll;
  Handle socket = 0;
  // The base provider's socket (SIO_BASE_HANDLE), which the poll names.
  Handle base = 0;
  Helper* helper = nullptr;
  uint64_t token = 0;
  // Index in AfdPollSet's update queue, -1 when not queued.
  int64_t queue_index = -1;
};

// What a dequeued packet was for.
struct Packet {
  // The PolledSocket whose poll completed (its ApcContext), or null for a
  // wake-up (posted by the notifier, or by PostUpdateWake when
  // `update_wake`).
  PolledSocket* socket = nullptr;
  // A wake-up posted by PostUpdateWake: nothing to report, only polls to
  // issue.
  bool update_wake = false;
};

// A completed poll's result, read from its IO_STATUS_BLOCK and AFD_POLL_INFO.
struct PollResult {
  uint32_t status = kStatusSuccess;
  uint32_t number_of_handles = 0;
  uint32_t events = 0;
};

// The system calls, made by AfdPollSet and HelperPool. Dequeue is called by
// the waiting thread only, with no lock held; PostUpdateWake from any thread;
// the others under AfdPollSet's lock, from the waiting thread or from one
// making a control call (Register, Modify, Unregister) while it waits. An
// implementation must allow Dequeue to run concurrently with the others.
class AfdSystem {
 public:
  virtual ~AfdSystem() = default;

  // Opens a \Device\Afd helper handle and associates it with the completion
  // port (key 0). Polls may be issued on it until CloseHelper().
  virtual absl::StatusOr<Handle> OpenHelper() = 0;
  // Closes a helper with no poll outstanding on it.
  virtual void CloseHelper(Handle helper) = 0;

  // Issues one AFD poll on `helper` for `socket.base` and `afd_events`, with
  // `socket.io` as its IO_STATUS_BLOCK and AFD_POLL_INFO and &socket as its
  // ApcContext. Returns an NTSTATUS as PollDriver::Submit does.
  virtual uint32_t SubmitPoll(Handle helper, PolledSocket& socket,
                              uint32_t afd_events) = 0;
  // Cancels the poll issued with `socket.io` on `helper`. Returns an NTSTATUS
  // as PollDriver::Cancel does.
  virtual uint32_t CancelPoll(Handle helper, PolledSocket& socket) = 0;
  // The result of `socket`'s last poll; valid once its packet is dequeued.
  virtual PollResult ResultOf(const PolledSocket& socket) = 0;

  // Dequeues up to packets.size() packets, waiting at most `timeout`
  // (InfiniteDuration for no limit). Returns how many: 0 on timeout.
  virtual absl::StatusOr<size_t> Dequeue(absl::Span<Packet> packets,
                                         absl::Duration timeout) = 0;
  // Queues a packet that Dequeue returns with `update_wake` set (on Windows,
  // PostQueuedCompletionStatus on a key of its own). Called from any thread,
  // while another may be in Dequeue. False if no packet was queued.
  virtual bool PostUpdateWake() = 0;
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_AFD_SYSTEM_H_
