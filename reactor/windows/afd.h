#ifndef TOFU_REACTOR_WINDOWS_AFD_H_
#define TOFU_REACTOR_WINDOWS_AFD_H_

// The ancillary function driver (AFD) calls the Windows poller is built on
// (docs/windows.md, Design): helper handles on \Device\Afd, IOCTL_AFD_POLL
// and its cancellation, and the base socket behind a possibly layered one.
// Thin wrappers with no state of their own; callable from any thread (polls
// are issued by the reactor thread; a cancel may come from a thread making a
// control call).

// clang-format off
#include <winsock2.h>
#include <windows.h>
#include <winternl.h>
// clang-format on

#include "absl/status/statusor.h"

namespace tofu::afd {

// x64 layouts (docs/windows.md, Design): native ULONG/HANDLE fields, no
// packing.
struct PollHandleInfo {
  HANDLE handle;
  ULONG events;
  NTSTATUS status;
};
struct PollInfo {
  LARGE_INTEGER timeout;
  ULONG number_of_handles;
  ULONG exclusive;  // a 4-byte ULONG, always FALSE
  PollHandleInfo handles[1];
};
static_assert(sizeof(PollHandleInfo) == 16 && sizeof(PollInfo) == 32);

// Opens a \Device\Afd helper handle, associates it with `port` under key 0 and
// stops it from signalling its own event (FILE_SKIP_SET_EVENT_ON_HANDLE).
absl::StatusOr<HANDLE> OpenHelper(HANDLE port);

// Issues one poll on `helper` for `base_socket` and `events`, the result going
// to `info` (input and output, the same buffer). `iosb` and `info` must stay at
// a fixed address until the packet, which carries `context` as its
// lpOverlapped, has been dequeued. Returns STATUS_PENDING or STATUS_SUCCESS
// (a packet follows either way), STATUS_INVALID_HANDLE (the socket is gone) or
// another failure (no packet).
NTSTATUS SubmitPoll(HANDLE helper, SOCKET base_socket, ULONG events,
                    IO_STATUS_BLOCK* iosb, PollInfo* info, void* context);

// Cancels the poll issued on `helper` with `iosb`. STATUS_SUCCESS: its packet
// (usually STATUS_CANCELLED) follows; STATUS_NOT_FOUND: it had completed
// already, and its packet follows too.
NTSTATUS CancelPoll(HANDLE helper, IO_STATUS_BLOCK* iosb);

// The base provider's socket behind `s` (SIO_BASE_HANDLE, peeling layered
// providers with SIO_BSP_HANDLE_POLL where one intercepts it), or an error
// naming both failures. The base socket is never closed by us.
absl::StatusOr<SOCKET> BaseSocket(SOCKET s);

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_AFD_H_
