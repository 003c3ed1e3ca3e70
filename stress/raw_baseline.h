#ifndef TOFU_STRESS_RAW_BASELINE_H_
#define TOFU_STRESS_RAW_BASELINE_H_

// The raw-socket baseline of //stress:bench: the same work as the engine
// benchmark, done with two blocking sockets and the same 16-byte framing, the
// simple way (one write() per frame; write then read for a round trip).

#include <cstddef>
#include <cstdint>
#include <vector>

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

// Shared by both platforms' baselines. The binary header's size.
inline constexpr size_t kRawHeaderSize = 16;
// The frame the baselines send: a
// 16-byte header as the protocol lays it out (a Signal; its last two bytes
// are the body length, big-endian), then `body` bytes.
std::vector<char> RawFrame(size_t body);
// Walks the complete frames at the start of data[0, size), as a receiver that
// parses what it reads must: adds their number to `frames` and returns the
// bytes they take (a partial frame at the end is left).
size_t WalkRawFrames(const char* data, size_t size, uint64_t& frames);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_RAW_BASELINE_H_
