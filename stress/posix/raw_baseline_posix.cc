#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "stress/platform.h"
#include "stress/raw_baseline.h"
#include "transport/socket.h"

namespace tofu::stress {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A connected pair of blocking sockets (TCP_NODELAY on TCP), closed on
// destruction.
struct Pair {
  int client = -1;
  int server = -1;
  ~Pair() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
  }
};

absl::Status Connect(BenchTransport transport, Pair& pair) {
  int listener = -1;
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string path;
  if (transport == BenchTransport::kTcp) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*in);
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
  } else {
    path = TemporaryUdsPath();
    auto* un = reinterpret_cast<sockaddr_un*>(&ss);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    len = sizeof(*un);
    listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  }
  if (listener < 0) return Errno("socket");
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if (::bind(listener, sa, len) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, sa, &len) != 0) {
    ::close(listener);
    return Errno("bind/listen");
  }
  pair.client = ::socket(ss.ss_family, SOCK_STREAM, 0);
  if (pair.client < 0 || ::connect(pair.client, sa, len) != 0) {
    ::close(listener);
    return Errno("connect");
  }
  pair.server = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  if (!path.empty()) ::unlink(path.c_str());
  if (pair.server < 0) return Errno("accept");
  if (transport == BenchTransport::kTcp) {
    const int one = 1;
    ::setsockopt(pair.client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(pair.server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return absl::OkStatus();
}

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, char* data, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, data, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

absl::StatusOr<ThroughputResult> RawThroughput(BenchTransport transport,
                                               size_t body, uint64_t messages) {
  Pair pair;
  if (absl::Status s = Connect(transport, pair); !s.ok()) return s;
  bool receiver_ok = true;
  std::thread receiver([&] {
    // Reads the stream in large chunks and walks the frames in it, as a
    // receiver that parses what it gets must.
    std::vector<char> buffer(1 << 17);
    size_t have = 0;
    uint64_t frames = 0;
    while (frames < messages) {
      const ssize_t r =
          ::read(pair.server, buffer.data() + have, buffer.size() - have);
      if (r <= 0) {
        receiver_ok = false;
        return;
      }
      have += static_cast<size_t>(r);
      const size_t pos = WalkRawFrames(buffer.data(), have, frames);
      std::memmove(buffer.data(), buffer.data() + pos, have - pos);
      have -= pos;
    }
  });
  const std::vector<char> frame = RawFrame(body);
  const absl::Time start = absl::Now();
  const CpuTime cpu_start = ProcessCpuTime();
  bool sender_ok = true;
  for (uint64_t i = 0; i < messages && sender_ok; ++i) {
    sender_ok = WriteAll(pair.client, frame.data(), frame.size());
  }
  if (!sender_ok) ::shutdown(pair.client, SHUT_RDWR);
  receiver.join();
  const absl::Duration elapsed = absl::Now() - start;
  const absl::Duration cpu = CpuSince(cpu_start);
  if (!sender_ok || !receiver_ok) return Errno("raw throughput transfer");
  return ThroughputResult{messages, elapsed, cpu};
}

absl::StatusOr<PingPongResult> RawPingPong(BenchTransport transport,
                                           size_t body, uint64_t round_trips) {
  Pair pair;
  if (absl::Status s = Connect(transport, pair); !s.ok()) return s;
  bool echo_ok = true;
  std::thread echo([&] {
    std::vector<char> frame(kRawHeaderSize + body);
    for (uint64_t i = 0; i < round_trips && echo_ok; ++i) {
      echo_ok = ReadAll(pair.server, frame.data(), frame.size()) &&
                WriteAll(pair.server, frame.data(), frame.size());
    }
  });
  std::vector<char> frame = RawFrame(body);
  LatencyHistogram rtt;
  bool ok = true;
  const CpuTime cpu_start = ProcessCpuTime();
  for (uint64_t i = 0; i < round_trips && ok; ++i) {
    const absl::Time start = absl::Now();
    ok = WriteAll(pair.client, frame.data(), frame.size()) &&
         ReadAll(pair.client, frame.data(), frame.size());
    rtt.Record(absl::Now() - start);
  }
  if (!ok) ::shutdown(pair.client, SHUT_RDWR);
  echo.join();
  const absl::Duration cpu = CpuSince(cpu_start);
  if (!ok || !echo_ok) return Errno("raw ping-pong");
  return PingPongResult{round_trips, rtt.Summary(), cpu};
}

}  // namespace tofu::stress
