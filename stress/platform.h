#ifndef TOFU_STRESS_PLATFORM_H_
#define TOFU_STRESS_PLATFORM_H_

// The few operating-system facilities the stress sweep needs beyond the tofu
// API: terminal detection, CPU and memory use and the descriptor limit (the
// stop signal is examples/stop_signal.h). One implementation per OS (posix/,
// windows/); everything here is thread-safe unless it says otherwise.

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tofu::stress {

// Whether stderr is an interactive terminal (progress lines are redrawn in
// place there).
bool StderrIsTerminal();

struct CpuTime {
  absl::Duration user = absl::ZeroDuration();
  absl::Duration system = absl::ZeroDuration();
  absl::Duration total() const { return user + system; }
};
// CPU the whole process (every thread) has used so far.
CpuTime ProcessCpuTime();
// CPU (user + system) the process has used since `start` was read.
inline absl::Duration CpuSince(const CpuTime& start) {
  return ProcessCpuTime().total() - start.total();
}

// Starts a new peak-resident-set window where the platform can (Linux, through
// /proc/self/clear_refs); returns false where it cannot, and PeakRssBytes then
// keeps reporting the process's peak since it started.
bool ResetPeakRss();
// The peak resident set size in bytes (see ResetPeakRss); 0 if unknown.
uint64_t PeakRssBytes();

// Makes sure the process may hold `needed` descriptors (sockets included) at
// once: raises the soft RLIMIT_NOFILE to `needed` if it is lower. Fails with
// resource_exhausted, naming both numbers, when the hard limit is below
// `needed`. OK where there is no such limit (Windows). Call before starting
// threads that open sockets.
absl::Status EnsureDescriptorLimit(uint64_t needed);

// How many local ports the system hands out to outgoing TCP connections
// (Linux: net.ipv4.ip_local_port_range), if known.
std::optional<uint64_t> EphemeralPortCount();

}  // namespace tofu::stress

#endif  // TOFU_STRESS_PLATFORM_H_
