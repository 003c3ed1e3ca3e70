// The platform-independent part of stress/raw_baseline.h: the results'
// arithmetic and the frames. The measurements are in posix/ and windows/.
#include "stress/raw_baseline.h"

#include <algorithm>
#include <cstring>

namespace tofu::stress {

double ThroughputResult::MessagesPerSecond() const {
  return messages / std::max(absl::ToDoubleSeconds(elapsed), 1e-9);
}

double ThroughputResult::MegabytesPerSecond(size_t body) const {
  return MessagesPerSecond() * static_cast<double>(body) / 1e6;
}

double ThroughputResult::CpuNanosPerMessage() const {
  return absl::ToDoubleNanoseconds(cpu) /
         static_cast<double>(std::max<uint64_t>(messages, 1));
}

std::vector<char> RawFrame(size_t body) {
  std::vector<char> frame(kRawHeaderSize + body, 'x');
  std::memset(frame.data(), 0, kRawHeaderSize);
  frame[2] = 2;  // Signal
  frame[14] = static_cast<char>(body >> 8);
  frame[15] = static_cast<char>(body);
  return frame;
}

size_t WalkRawFrames(const char* data, size_t size, uint64_t& frames) {
  size_t pos = 0;
  while (size - pos >= kRawHeaderSize) {
    const size_t len =
        kRawHeaderSize + (static_cast<uint8_t>(data[pos + 14]) << 8 |
                          static_cast<uint8_t>(data[pos + 15]));
    if (size - pos < len) break;
    pos += len;
    ++frames;
  }
  return pos;
}

double PingPongResult::CpuNanosPerRoundTrip() const {
  return absl::ToDoubleNanoseconds(cpu) /
         static_cast<double>(std::max<uint64_t>(round_trips, 1));
}

}  // namespace tofu::stress
