#ifndef TOFU_STRESS_RAW_BASELINE_H_
#define TOFU_STRESS_RAW_BASELINE_H_

// The raw-socket baseline of //stress:bench: the same work as the engine
// benchmark, done with two blocking sockets and the same 16-byte framing, the
// simple way (one write() per frame; write then read for a round trip).

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "stress/stats.h"

namespace tofu::stress {

enum class BenchTransport { kTcp, kUds };

struct ThroughputResult {
  uint64_t messages = 0;
  absl::Duration elapsed;
  // Process CPU (user + system, every thread: both ends and, for the engine,
  // its I/O threads) over the same timed phase as `elapsed`.
  absl::Duration cpu = absl::ZeroDuration();
  double MessagesPerSecond() const;
  // Body bytes per second, in MB (10^6 bytes).
  double MegabytesPerSecond(size_t body) const;
  double CpuNanosPerMessage() const;
};

struct PingPongResult {
  uint64_t round_trips = 0;
  LatencySummary rtt;
  // Process CPU (user + system, every thread) over the timed round trips.
  absl::Duration cpu = absl::ZeroDuration();
  double CpuNanosPerRoundTrip() const;
};

// One sender thread writes `messages` frames with `body`-byte bodies, one
// write() each; one receiver thread reads and parses them all.
absl::StatusOr<ThroughputResult> RawThroughput(BenchTransport transport,
                                               size_t body, uint64_t messages);

// `round_trips` times: write one frame, the peer reads it and writes it back,
// read it.
absl::StatusOr<PingPongResult> RawPingPong(BenchTransport transport,
                                           size_t body, uint64_t round_trips);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_RAW_BASELINE_H_
