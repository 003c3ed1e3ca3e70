// stress/platform.h for Linux and other POSIX systems.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "stress/platform.h"

namespace tofu::stress {
namespace {

absl::Duration FromTimeval(const timeval& tv) {
  return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
}

// The value in kB of `field` ("VmHWM") in /proc/self/status, if there is one.
std::optional<uint64_t> ProcStatusKb(absl::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, field) || !absl::ConsumePrefix(&rest, ":"))
      continue;
    absl::ConsumeSuffix(&rest, "kB");
    uint64_t kb = 0;
    if (absl::SimpleAtoi(rest, &kb)) return kb;
  }
  return std::nullopt;
}

std::string RlimText(rlim_t value) {
  return value == RLIM_INFINITY ? std::string("unlimited")
                                : absl::StrCat(value);
}

}  // namespace

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

CpuTime ProcessCpuTime() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return CpuTime{FromTimeval(usage.ru_utime), FromTimeval(usage.ru_stime)};
}

bool ResetPeakRss() {
  const int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // "5" resets the peak RSS to the current RSS (Linux 4.0 and later).
  const bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

uint64_t PeakRssBytes() {
  if (std::optional<uint64_t> kb = ProcStatusKb("VmHWM")) return *kb * 1024;
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // kB on Linux
}

absl::Status EnsureDescriptorLimit(uint64_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) {
    return absl::OkStatus();
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "this run needs ", needed,
        " file descriptors open at once, but the hard limit RLIMIT_NOFILE is ",
        RlimText(limit.rlim_max), " (soft ", RlimText(limit.rlim_cur),
        "): raise it (ulimit -Hn, /etc/security/limits.conf) or use fewer "
        "--connections"));
  }
  limit.rlim_cur = static_cast<rlim_t>(needed);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot raise RLIMIT_NOFILE to ", needed, " (hard limit ",
                     RlimText(limit.rlim_max), "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::optional<uint64_t> EphemeralPortCount() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  uint64_t low = 0;
  uint64_t high = 0;
  if (!(in >> low >> high) || high < low) return std::nullopt;
  return high - low + 1;
}

}  // namespace tofu::stress
