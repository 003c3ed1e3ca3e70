// The platform-independent part of stress/raw_baseline.h: the results'
// arithmetic. The measurements are in posix/ and windows/.
#include "stress/raw_baseline.h"

#include <algorithm>

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

double PingPongResult::CpuNanosPerRoundTrip() const {
  return absl::ToDoubleNanoseconds(cpu) /
         static_cast<double>(std::max<uint64_t>(round_trips, 1));
}

}  // namespace tofu::stress
