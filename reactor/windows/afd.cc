#include "reactor/windows/afd.h"

// clang-format off
#include <mswsock.h>
// clang-format on

#include <cstdint>

#include "absl/strings/str_cat.h"

extern "C" NTSTATUS NTAPI NtCancelIoFileEx(HANDLE file,
                                           PIO_STATUS_BLOCK request,
                                           PIO_STATUS_BLOCK status);

namespace tofu::afd {
namespace {

constexpr ULONG kIoctlAfdPoll = 0x00012024;
constexpr NTSTATUS kStatusPending = 0x00000103;
// How many layered providers BaseSocket peels before giving up.
constexpr int kMaxLayers = 16;

absl::StatusOr<SOCKET> SocketIoctl(SOCKET s, DWORD code, int* error) {
  SOCKET out = INVALID_SOCKET;
  DWORD bytes = 0;
  if (WSAIoctl(s, code, nullptr, 0, &out, sizeof(out), &bytes, nullptr,
               nullptr) != 0) {
    *error = WSAGetLastError();
    return absl::InternalError("ioctl failed");
  }
  return out;
}

}  // namespace

absl::StatusOr<HANDLE> OpenHelper(HANDLE port) {
  // The name after \Device\Afd\ is arbitrary; without extended attributes the
  // handle talks to AFD but is not a socket.
  wchar_t path[] = L"\\Device\\Afd\\tofu";
  UNICODE_STRING name;
  name.Buffer = path;
  name.Length = sizeof(path) - sizeof(wchar_t);
  name.MaximumLength = sizeof(path);
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &name, 0, nullptr, nullptr);
  HANDLE helper = nullptr;
  IO_STATUS_BLOCK iosb;
  const NTSTATUS status = NtCreateFile(
      &helper, SYNCHRONIZE, &attributes, &iosb, nullptr, 0,
      FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, nullptr, 0);
  if (status != 0) {
    return absl::UnavailableError(
        absl::StrCat("NtCreateFile(\\Device\\Afd) failed: NTSTATUS 0x",
                     absl::Hex(static_cast<uint32_t>(status))));
  }
  if (CreateIoCompletionPort(helper, port, 0, 0) == nullptr ||
      !SetFileCompletionNotificationModes(helper,
                                          FILE_SKIP_SET_EVENT_ON_HANDLE)) {
    const DWORD err = GetLastError();
    CloseHandle(helper);
    return absl::UnavailableError(absl::StrCat(
        "cannot attach an AFD helper handle to the completion port: error ",
        err));
  }
  return helper;
}

NTSTATUS SubmitPoll(HANDLE helper, SOCKET base_socket, ULONG events,
                    IO_STATUS_BLOCK* iosb, PollInfo* info, void* context) {
  info->timeout.QuadPart = INT64_MAX;  // never: 0 and -1 complete at once
  info->number_of_handles = 1;
  info->exclusive = FALSE;
  info->handles[0].handle = reinterpret_cast<HANDLE>(base_socket);
  info->handles[0].events = events;
  info->handles[0].status = 0;
  iosb->Status = kStatusPending;
  return NtDeviceIoControlFile(helper, nullptr, nullptr, context, iosb,
                               kIoctlAfdPoll, info, sizeof(*info), info,
                               sizeof(*info));
}

NTSTATUS CancelPoll(HANDLE helper, IO_STATUS_BLOCK* iosb) {
  IO_STATUS_BLOCK cancel_iosb;
  return NtCancelIoFileEx(helper, iosb, &cancel_iosb);
}

absl::StatusOr<SOCKET> BaseSocket(SOCKET s) {
  int base_error = 0;
  for (int layer = 0; layer < kMaxLayers; ++layer) {
    absl::StatusOr<SOCKET> base = SocketIoctl(s, SIO_BASE_HANDLE, &base_error);
    if (base.ok() && *base != INVALID_SOCKET) return *base;
    if (base_error == WSAENOTSOCK) break;
    // A layered provider may intercept SIO_BASE_HANDLE but not the poll
    // variant: peel one layer and ask again.
    int poll_error = 0;
    absl::StatusOr<SOCKET> lower =
        SocketIoctl(s, SIO_BSP_HANDLE_POLL, &poll_error);
    if (!lower.ok() || *lower == INVALID_SOCKET || *lower == s) {
      return absl::InternalError(absl::StrCat(
          "cannot find the base socket: SIO_BASE_HANDLE failed with error ",
          base_error, ", SIO_BSP_HANDLE_POLL with error ", poll_error));
    }
    s = *lower;
  }
  return absl::InternalError(absl::StrCat(
      "cannot find the base socket: SIO_BASE_HANDLE failed with error ",
      base_error));
}

}  // namespace tofu::afd
