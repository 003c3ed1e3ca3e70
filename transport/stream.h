#ifndef TOFU_TRANSPORT_STREAM_H_
#define TOFU_TRANSPORT_STREAM_H_

// The reactor's view of the network: streams it can listen, connect, accept,
// read and write without blocking. SystemNetwork() is the real one (sockets);
// tests and fuzzers substitute an in-memory network together with a matching
// poller, so the engine runs deterministically without threads or sockets.
// Used by one thread (the reactor's).

#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "message/frame_encoder.h"
#include "transport/address.h"
#include "transport/socket.h"

namespace tofu {

// A listening or connected stream endpoint. The destructor closes it
// gracefully if Abort() or Close() was not called.
class Stream {
 public:
  virtual ~Stream() = default;

  // What the poller registers.
  virtual NativeSocket handle() const = 0;
  // The bound address of a listener (real port, real path).
  virtual absl::StatusOr<Address> LocalAddress() const = 0;
  // After writability of a connecting stream: OK or connect_failed.
  virtual absl::Status FinishConnect() = 0;
  // One pending connection; nullptr when none is pending; accept_failed.
  virtual absl::StatusOr<std::unique_ptr<Stream>> Accept() = 0;
  // Reads what is available into `first`, then into `second` once `first` is
  // full, with one system call.
  virtual IoResult ReadSome(absl::Span<uint8_t> first,
                            absl::Span<uint8_t> second) = 0;
  IoResult ReadSome(absl::Span<uint8_t> buffer) { return ReadSome(buffer, {}); }
  virtual IoResult WriteV(absl::Span<const IoSlice> slices) = 0;
  // Closes with a reset.
  virtual void Abort() = 0;
  // Closes gracefully.
  virtual void Close() = 0;
};

class Network {
 public:
  virtual ~Network() = default;
  // As Socket::Listen and Socket::Connect.
  virtual absl::StatusOr<std::unique_ptr<Stream>> Listen(
      const Address& address) = 0;
  virtual absl::StatusOr<std::unique_ptr<Stream>> Connect(
      const Address& address, bool* connected) = 0;
};

// Streams on the system's sockets.
std::unique_ptr<Network> SystemNetwork();

}  // namespace tofu

#endif  // TOFU_TRANSPORT_STREAM_H_
