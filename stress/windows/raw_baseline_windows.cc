// stress/raw_baseline.h for Windows: the same work as the POSIX baseline
// (posix/raw_baseline_posix.cc) with two blocking Winsock sockets over TCP
// loopback, TCP_NODELAY on both, one send() per frame and recv() until a frame
// is whole. Under Wine every send and recv is a wineserver round trip, so this
// is what the engine's figures are divided by to tell Wine's share of a round
// trip from the engine's (docs/windows.md). AF_UNIX is not measured here:
// Wine 8 has none, so kUds fails with unimplemented.
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
// clang-format on

#include <cstring>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "stress/platform.h"
#include "stress/raw_baseline.h"

namespace tofu::stress {
namespace {

absl::Status WsaError(absl::string_view what, int error = WSAGetLastError()) {
  return absl::InternalError(absl::StrCat(what, ": Winsock error ", error));
}

// Winsock started for the lifetime of the object, and a connected pair of
// blocking TCP sockets, closed on destruction.
struct Pair {
  bool started = false;
  SOCKET client = INVALID_SOCKET;
  SOCKET server = INVALID_SOCKET;
  ~Pair() {
    if (client != INVALID_SOCKET) closesocket(client);
    if (server != INVALID_SOCKET) closesocket(server);
    if (started) WSACleanup();
  }
};

absl::Status Connect(BenchTransport transport, Pair& pair) {
  if (transport != BenchTransport::kTcp) {
    return absl::UnimplementedError(
        "the Windows raw baseline measures TCP only (Wine 8 has no AF_UNIX)");
  }
  WSADATA data;
  if (WSAStartup(MAKEWORD(2, 2), &data) != 0) return WsaError("WSAStartup");
  pair.started = true;
  const SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (listener == INVALID_SOCKET) return WsaError("socket");
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof(in);
  auto* sa = reinterpret_cast<sockaddr*>(&in);
  if (bind(listener, sa, len) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, sa, &len) != 0) {
    const absl::Status s = WsaError("bind/listen");
    closesocket(listener);
    return s;
  }
  pair.client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (pair.client == INVALID_SOCKET || connect(pair.client, sa, len) != 0) {
    const absl::Status s = WsaError("connect");
    closesocket(listener);
    return s;
  }
  pair.server = accept(listener, nullptr, nullptr);
  closesocket(listener);
  if (pair.server == INVALID_SOCKET) return WsaError("accept");
  const BOOL one = TRUE;
  for (const SOCKET s : {pair.client, pair.server}) {
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
               sizeof(one));
  }
  return absl::OkStatus();
}

bool WriteAll(SOCKET s, const char* data, size_t n) {
  while (n > 0) {
    const int w = send(s, data, static_cast<int>(n), 0);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(SOCKET s, char* data, size_t n) {
  while (n > 0) {
    const int r = recv(s, data, static_cast<int>(n), 0);
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
  // A side that fails keeps its Winsock error (per thread) and shuts its
  // socket down, so the other side's blocking call returns too.
  int receiver_error = 0;
  std::thread receiver([&] {
    // Reads the stream in large chunks and walks the frames in it, as a
    // receiver that parses what it gets must.
    std::vector<char> buffer(1 << 17);
    size_t have = 0;
    uint64_t frames = 0;
    while (frames < messages) {
      const int r = recv(pair.server, buffer.data() + have,
                         static_cast<int>(buffer.size() - have), 0);
      if (r <= 0) {
        receiver_error = r == 0 ? WSAECONNRESET : WSAGetLastError();
        shutdown(pair.server, SD_BOTH);
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
  int sender_error = 0;
  for (uint64_t i = 0; i < messages && sender_error == 0; ++i) {
    if (!WriteAll(pair.client, frame.data(), frame.size())) {
      sender_error = WSAGetLastError();
      if (sender_error == 0) sender_error = WSAECONNRESET;
      shutdown(pair.client, SD_BOTH);
    }
  }
  receiver.join();
  const absl::Duration elapsed = absl::Now() - start;
  const absl::Duration cpu = CpuSince(cpu_start);
  if (sender_error != 0) return WsaError("raw throughput send", sender_error);
  if (receiver_error != 0) {
    return WsaError("raw throughput receive", receiver_error);
  }
  return ThroughputResult{messages, elapsed, cpu};
}

absl::StatusOr<PingPongResult> RawPingPong(BenchTransport transport,
                                           size_t body, uint64_t round_trips) {
  Pair pair;
  if (absl::Status s = Connect(transport, pair); !s.ok()) return s;
  // As in RawThroughput: a failing side keeps its error and shuts down.
  int echo_error = 0;
  std::thread echo([&] {
    std::vector<char> frame(kRawHeaderSize + body);
    for (uint64_t i = 0; i < round_trips && echo_error == 0; ++i) {
      if (!ReadAll(pair.server, frame.data(), frame.size()) ||
          !WriteAll(pair.server, frame.data(), frame.size())) {
        echo_error = WSAGetLastError();
        if (echo_error == 0) echo_error = WSAECONNRESET;
        shutdown(pair.server, SD_BOTH);
      }
    }
  });
  std::vector<char> frame = RawFrame(body);
  LatencyHistogram rtt;
  int error = 0;
  const CpuTime cpu_start = ProcessCpuTime();
  for (uint64_t i = 0; i < round_trips && error == 0; ++i) {
    const absl::Time start = absl::Now();
    if (!WriteAll(pair.client, frame.data(), frame.size()) ||
        !ReadAll(pair.client, frame.data(), frame.size())) {
      error = WSAGetLastError();
      if (error == 0) error = WSAECONNRESET;
      shutdown(pair.client, SD_BOTH);
      break;
    }
    rtt.Record(absl::Now() - start);
  }
  echo.join();
  const absl::Duration cpu = CpuSince(cpu_start);
  if (error != 0) return WsaError("raw ping-pong", error);
  if (echo_error != 0) return WsaError("raw ping-pong echo", echo_error);
  return PingPongResult{round_trips, rtt.Summary(), cpu};
}

}  // namespace tofu::stress
