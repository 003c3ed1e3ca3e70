#ifndef TOFU_TRANSPORT_SOCKET_H_
#define TOFU_TRANSPORT_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "message/frame_encoder.h"
#include "transport/address.h"

namespace tofu {

#ifdef _WIN32
using NativeSocket = uintptr_t;
inline constexpr NativeSocket kInvalidSocket = ~uintptr_t{0};
#else
using NativeSocket = int;
inline constexpr NativeSocket kInvalidSocket = -1;
#endif

// The result of a non-blocking transfer: bytes moved, "would block", end of
// stream, or an error. Never raises SIGPIPE.
struct IoResult {
  enum class Kind { kDone, kWouldBlock, kClosed, kError };
  Kind kind = Kind::kDone;
  size_t bytes = 0;
  int error = 0;  // errno / WSA error for kError

  static IoResult Done(size_t n) { return {Kind::kDone, n, 0}; }
};

// A non-blocking stream socket (TCP or AF_UNIX) that the I/O thread owns.
// Move-only; the destructor closes it gracefully unless Abort() was called. A
// listener on a filesystem UDS path removes its file when closed (only the
// listener ever deletes it).
class Socket {
 public:
  Socket() = default;
  Socket(Socket&& other) noexcept { *this = std::move(other); }
  Socket& operator=(Socket&& other) noexcept;
  ~Socket() { Close(); }

  bool valid() const { return handle_ != kInvalidSocket; }
  NativeSocket handle() const { return handle_; }

  // Creates a listener (SO_REUSEADDR, and SO_REUSEPORT on Linux; a stale UDS
  // path is removed before bind; an empty UDS path gets a temporary one).
  // invalid_address when the host does not resolve, listen_failed when bind or
  // listen fails.
  static absl::StatusOr<Socket> Listen(const Address& address);
  // The address a listener is bound to (real port, real path), as a server
  // address.
  absl::StatusOr<Address> LocalAddress() const;

  // Starts connecting without blocking. `*connected` says whether it already
  // completed (otherwise wait for writability, then FinishConnect).
  // invalid_address when the host does not resolve; uds_path_not_found when the
  // path does not exist; connect_failed for an immediate refusal.
  static absl::StatusOr<Socket> Connect(const Address& address,
                                        bool* connected);
  // After writability: OK, or connect_failed with the reason.
  absl::Status FinishConnect();

  // Accepts one pending connection: a socket, an invalid Socket when none is
  // pending, or an error (accept_failed).
  absl::StatusOr<Socket> Accept();

  // Reads what is available into `first`, then into `second` once `first` is
  // full, with one system call.
  IoResult ReadSome(absl::Span<uint8_t> first, absl::Span<uint8_t> second = {});
  IoResult WriteV(absl::Span<const IoSlice> slices);

  // Closes at once with a reset (SO_LINGER 0): for aborts.
  void Abort();
  // Closes gracefully (queued data is still delivered).
  void Close();

 private:
  explicit Socket(NativeSocket handle) : handle_(handle) {}
  NativeSocket handle_ = kInvalidSocket;
  // Set on UDS listeners bound to a filesystem path: removed on close.
  std::string unlink_path_;
};

// Keeps the platform's socket library started for as long as it lives
// (WSAStartup/WSACleanup on Windows, nothing elsewhere). Every engine holds
// one; code that uses sockets without an engine (tests, tools) holds its own.
// Sessions nest. Thread-safe.
class NetworkSession {
 public:
  static absl::StatusOr<NetworkSession> Start();
  NetworkSession(NetworkSession&& other) noexcept
      : active_(std::exchange(other.active_, false)) {}
  NetworkSession& operator=(NetworkSession&&) = delete;
  ~NetworkSession();

 private:
  NetworkSession() = default;
  bool active_ = false;
};

// Whether AF_UNIX stream sockets work here: always on Linux; on Windows only
// where the system implements them (Windows 10 1803+, not Wine 8), detected
// once at run time.
bool UnixSocketsSupported();

// A free TCP port on 127.0.0.1 at the time of the call (racy by nature: for
// tests).
absl::StatusOr<uint16_t> FindFreeTcpPort();
// A fresh temporary UDS path ($TMPDIR or /tmp; %TEMP% on Windows) that does not
// exist yet.
std::string TemporaryUdsPath();

}  // namespace tofu

#endif  // TOFU_TRANSPORT_SOCKET_H_
