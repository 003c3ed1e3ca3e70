#ifndef TOFU_TRANSPORT_WINDOWS_UDS_PATH_H_
#define TOFU_TRANSPORT_WINDOWS_UDS_PATH_H_

// The decisions behind AF_UNIX on Windows, as functions with no system calls
// (the socket layer, transport/windows/socket_windows.cc, makes the calls and
// hands their results in), so they are tested on every platform and under
// Wine, whose Winsock has no AF_UNIX:
//   - which paths are valid (a filesystem path of 1 to 107 bytes; Windows has
//     no usable abstract names);
//   - the path of a listener given none: a short generated name in %TEMP%,
//     or in a fallback directory when %TEMP% is too long;
//   - who deletes a socket file: only the listener, before its bind (a stale
//     file of an earlier listener blocks bind) and when it closes;
//   - what a failed socket(AF_UNIX) means at run time.
// Pure functions: any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tofu::windows_uds {

// Longest path in bytes: sun_path holds 108 bytes with the terminating NUL
// (afunix.h's UNIX_PATH_MAX), as on Linux.
inline constexpr size_t kMaxPathBytes = 107;

// OK for a path a socket may bind or connect to; InvalidArgument with the
// reason otherwise (empty, longer than kMaxPathBytes, or abstract: starting
// with '@' or NUL).
absl::Status CheckPath(std::string_view path);

// What makes a generated name unique: the process, a random tag drawn once
// per process (a reused process id does not reuse names), and a counter.
struct NameParts {
  uint32_t pid = 0;
  uint32_t tag = 0;
  uint64_t counter = 0;
};

// The short file name for `parts`: "tofu-<pid>-<tag>-<counter>.sock", the
// numbers in hex (at most 48 bytes).
std::string GeneratedName(const NameParts& parts);

// Where a listener with no path binds: `temp_dir` (what GetTempPathW gives:
// %TMP%, %TEMP%, %USERPROFILE% or the Windows directory, as UTF-8) joined with
// GeneratedName(parts), or `fallback_dir` joined with it when that is longer
// than kMaxPathBytes (a long user name can make %TEMP% alone close to the
// limit) or `temp_dir` is empty. A backslash is added between directory and
// name where missing. FailedPrecondition if neither fits. The caller checks
// that no file has the name yet, and asks again with the next counter if one
// does.
absl::StatusOr<std::string> TemporaryPath(std::string_view temp_dir,
                                          std::string_view fallback_dir,
                                          const NameParts& parts);

// Which socket does what to a socket file. A listener deletes a stale file
// before binding (the file outlives its socket, and bind fails on an existing
// one) and its own file when closed. A connecting or accepted socket never
// deletes one: the name belongs to the listener, which may be alive.
enum class Role { kListener, kConnector, kAccepted };
struct FileDuties {
  bool delete_before_bind = false;
  bool delete_on_close = false;
};
FileDuties DutiesOf(Role role);

// Run-time detection from socket(AF_UNIX, SOCK_STREAM, 0): `created` says
// whether it returned a socket, `wsa_error` is WSAGetLastError() otherwise.
// OK if AF_UNIX is usable; Unimplemented when the system has none
// (WSAEAFNOSUPPORT: Windows before 10 version 1803, or Wine); Unavailable
// with the error for any other failure.
absl::Status AfUnixSupport(bool created, int wsa_error);

}  // namespace tofu::windows_uds

#endif  // TOFU_TRANSPORT_WINDOWS_UDS_PATH_H_
