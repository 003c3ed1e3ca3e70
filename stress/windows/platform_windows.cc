// stress/platform.h for Windows.
#include <windows.h>
// After windows.h, whose types psapi.h uses.
#include <io.h>
#include <psapi.h>

#include <cstdio>

#include "stress/platform.h"

namespace tofu::stress {
namespace {

// 100-nanosecond units since some epoch, as a duration.
absl::Duration FromFiletime(const FILETIME& t) {
  const uint64_t ticks =
      (static_cast<uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
  return absl::Nanoseconds(static_cast<int64_t>(ticks) * 100);
}

}  // namespace

bool StderrIsTerminal() { return ::_isatty(::_fileno(stderr)) != 0; }

CpuTime ProcessCpuTime() {
  FILETIME created{}, exited{}, kernel{}, user{};
  if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel,
                         &user)) {
    return CpuTime{};
  }
  return CpuTime{FromFiletime(user), FromFiletime(kernel)};
}

bool ResetPeakRss() { return false; }

uint64_t PeakRssBytes() {
  PROCESS_MEMORY_COUNTERS counters{};
  counters.cb = sizeof(counters);
  if (!::GetProcessMemoryInfo(::GetCurrentProcess(), &counters,
                              sizeof(counters))) {
    return 0;
  }
  return counters.PeakWorkingSetSize;
}

// Windows limits sockets only by memory; there is nothing to raise.
absl::Status EnsureDescriptorLimit(uint64_t /*needed*/) {
  return absl::OkStatus();
}

// The dynamic port range is a netsh setting (49152-65535 by default) with no
// simple API; say nothing rather than guess.
std::optional<uint64_t> EphemeralPortCount() { return std::nullopt; }

}  // namespace tofu::stress
