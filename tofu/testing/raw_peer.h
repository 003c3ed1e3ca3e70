#ifndef TOFU_TOFU_TESTING_RAW_PEER_H_
#define TOFU_TOFU_TESTING_RAW_PEER_H_

// A hostile or scripted peer for engine tests: frames encoded by hand from
// the wire format (16-byte big-endian header, text headers, body; not with
// tofu's encoder) over a raw non-blocking socket, with every wait bounded by a
// deadline. One thread at a time per RawPeer; failures are reported through
// return values so callers can assert with their own message.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "transport/socket.h"

namespace tofu::scenario {

// One frame field by field, every bit settable (including the reserved one).
struct RawFrame {
  uint16_t channel = 0;
  uint8_t opcode = 0;  // 4 bits
  bool origin = false;
  bool more = false;
  bool oob = false;
  bool reserved = false;
  uint8_t status = 0;
  uint64_t id = 0;
  std::string headers = {};
  std::string body = {};

  // The proto byte: opcode | origin<<4 | more<<5 | oob<<6 | reserved<<7.
  uint8_t Proto() const;
  // Header (big-endian fields) + text headers + body.
  std::string Encode() const;
  // Only the 16-byte binary header, with lengths as given (possibly lying
  // about what follows).
  static std::string Header(const RawFrame& frame, uint16_t headers_length,
                            uint16_t body_length);
};

// Opcodes as numbered on the wire.
inline constexpr uint8_t kRawRequest = 0;
inline constexpr uint8_t kRawResponse = 1;
inline constexpr uint8_t kRawSignal = 2;
inline constexpr uint8_t kRawHelloRequest = 3;
inline constexpr uint8_t kRawHelloResponse = 4;
inline constexpr uint8_t kRawByeRequest = 5;
inline constexpr uint8_t kRawByeResponse = 6;
inline constexpr uint8_t kRawByeSignal = 7;

class RawPeer {
 public:
  // Connects to a ~listen_on value ("tcp|host|port" or "uds|path").
  static absl::StatusOr<RawPeer> Connect(absl::string_view address);
  // Takes an accepted or connected socket.
  explicit RawPeer(Socket socket) : socket_(std::move(socket)) {}
  RawPeer(RawPeer&&) = default;
  RawPeer& operator=(RawPeer&&) = default;

  // Writes all of `bytes` before `timeout`; false on error or timeout.
  bool Send(absl::string_view bytes, absl::Duration timeout);
  // Exactly `n` bytes, or fewer at end of stream, error or timeout.
  std::string Read(size_t n, absl::Duration timeout);
  // The next whole frame; nullopt on end of stream, error or timeout.
  std::optional<RawFrame> Receive(absl::Duration timeout);

  // Without waiting: true once the engine closed the connection (end of
  // stream or reset). Anything readable is read and dropped.
  bool ClosedByPeerNow();
  // Waits up to `timeout` for ClosedByPeerNow.
  bool WaitClosedByPeer(absl::Duration timeout);

  // Half-closes: the engine reads end of stream after what was sent, and
  // this peer can still read what the engine writes.
  bool ShutdownWrite();
  // Closes gracefully: the engine reads end of stream after what was sent.
  void Close() { socket_.Close(); }

 private:
  Socket socket_;
  bool closed_by_peer_ = false;
};

}  // namespace tofu::scenario

#endif  // TOFU_TOFU_TESTING_RAW_PEER_H_
