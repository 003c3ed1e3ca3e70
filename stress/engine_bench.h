#ifndef TOFU_STRESS_ENGINE_BENCH_H_
#define TOFU_STRESS_ENGINE_BENCH_H_

// The engine side of //stress:bench: the work of raw_baseline.h done through
// the tofu API, a receiving engine and a sending engine in one process.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "message/binary_header.h"
#include "message/message.h"
#include "stress/raw_baseline.h"
#include "stress/stats.h"

namespace tofu::stress {

// One end of a benchmark link, as the handshake drives it: through the public
// API (EngineThroughput, EnginePingPong) or through a driven reactor
// (engine_cost.h).
class LinkEnd {
 public:
  virtual ~LinkEnd() = default;
  // A message from this end's pool (allocated if it has none idle).
  virtual MessagePtr Get() = 0;
  virtual absl::StatusOr<BinaryHeader> Post(MessagePtr& message) = 0;
  // The next message for this end's group; an error if none comes in time.
  virtual absl::StatusOr<MessagePtr> Next(absl::string_view what) = 0;
};

// Listens on `server` (a free TCP port on 127.0.0.1, or a temporary UDS
// path), connects `client` to it and completes the Hello handshake; returns
// the client's channel number.
absl::StatusOr<uint16_t> Handshake(BenchTransport transport, LinkEnd& server,
                                   LinkEnd& client);

// How many messages EngineThroughput's sender keeps in flight: 4096 or 2 MiB,
// whichever is fewer, at least 16. Each engine's pool holds the window plus
// 64, as an application that uses the pool as its memory budget would: beyond
// it each Get allocates and each return frees.
uint64_t ThroughputWindow(size_t body);

// One application thread posts `messages` Signals with `body`-byte bodies as
// fast as the API takes them; the receiving application counts them all. The
// sender keeps at most ThroughputWindow(body) messages ahead of what the
// receiver has counted, as any sender with bounded memory must. Each engine's
// pool holds the window, unless
// `receiver_pool` is set: then the receiving engine's pool has that many
// messages, and when it is smaller than the window the receiver's pool paces
// the sender (backpressure: the receiver stops reading while its pool is
// empty).
absl::StatusOr<ThroughputResult> EngineThroughput(BenchTransport transport,
                                                  size_t body,
                                                  uint64_t messages,
                                                  uint16_t receiver_pool = 0);

// `round_trips` Requests, one in flight, each answered by the peer's
// application with a Response carrying the same body. With `spin` both
// engines have the default receive_spin and io_spin (waiting threads spin
// before they sleep); without it both are zero, so every wait sleeps in the
// kernel, as for an application that cannot afford a busy core.
absl::StatusOr<PingPongResult> EnginePingPong(BenchTransport transport,
                                              size_t body, uint64_t round_trips,
                                              bool spin = true);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_ENGINE_BENCH_H_
