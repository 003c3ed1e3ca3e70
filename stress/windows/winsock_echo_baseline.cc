// winsock_echo_baseline: the plain-Winsock reference for the Windows stress
// sweep. The same shape as one sweep echo point over TCP loopback (N
// connections, each sending M requests of S bytes one at a time and waiting
// for each echo) without the engine: one server thread and one client thread,
// each multiplexing its sockets with select() on non-blocking sockets, no
// framing beyond the fixed message size. Under Wine it tells how much of the
// sweep's cost is Wine's own (wineserver round trips, poll bookkeeping) and
// how much the engine's.
//
//   winsock_echo_baseline [connections [messages [size]]]
//
// Prints one line per run: connections, size, round trips per second, and
// the round-trip time p50 and p99. Exit status 1 on any socket error.

// Before winsock2.h: fd_set holds this many sockets (the default is 64).
#define FD_SETSIZE 2048
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
// clang-format on

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "winsock_echo_baseline: %s failed: error %d\n", what,
               WSAGetLastError());
  std::exit(1);
}

void NonBlocking(SOCKET s) {
  u_long one = 1;
  if (ioctlsocket(s, FIONBIO, &one) != 0) Fail("ioctlsocket");
  const BOOL nodelay = TRUE;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY,
             reinterpret_cast<const char*>(&nodelay), sizeof(nodelay));
}

// One connection's end: the bytes of the current message read and written.
// A message is being written while have == size and sent < size (a server
// echoing, a client sending its request), read otherwise.
struct Peer {
  SOCKET socket = INVALID_SOCKET;
  std::vector<char> buffer;
  size_t have = 0;   // bytes of the current message received
  size_t sent = 0;   // bytes of the current message written
  int64_t done = 0;  // client: round trips finished
  Clock::time_point started;
};

// Writes what is left of the message; false on a hard error.
bool WriteSome(Peer& p, size_t size) {
  while (p.sent < size) {
    const int n = send(p.socket, p.buffer.data() + p.sent,
                       static_cast<int>(size - p.sent), 0);
    if (n > 0) {
      p.sent += static_cast<size_t>(n);
      continue;
    }
    return n == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK;
  }
  return true;
}

// Reads what is left of the message; false on end of stream or an error.
bool ReadSome(Peer& p, size_t size) {
  while (p.have < size) {
    const int n = recv(p.socket, p.buffer.data() + p.have,
                       static_cast<int>(size - p.have), 0);
    if (n > 0) {
      p.have += static_cast<size_t>(n);
      continue;
    }
    return n == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK;
  }
  return true;
}

// Waits for any of `peers` to be readable (or writable, where a write is
// under way), then runs `step` on each that is.
template <typename Step>
void SelectRound(std::vector<Peer>& peers, size_t size, Step step) {
  fd_set readable;
  fd_set writable;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  for (const Peer& p : peers) {
    if (p.socket == INVALID_SOCKET) continue;
    FD_SET(p.socket, &readable);
    if (p.sent < size && p.have == size) FD_SET(p.socket, &writable);
  }
  if (readable.fd_count == 0) return;
  if (select(0, &readable, &writable, nullptr, nullptr) == SOCKET_ERROR) {
    Fail("select");
  }
  for (Peer& p : peers) {
    if (p.socket == INVALID_SOCKET) continue;
    if (FD_ISSET(p.socket, &readable) || FD_ISSET(p.socket, &writable)) {
      step(p);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int connections = argc > 1 ? std::atoi(argv[1]) : 100;
  const int64_t messages = argc > 2 ? std::atoll(argv[2]) : 200;
  const size_t size =
      argc > 3 ? static_cast<size_t>(std::atoll(argv[3])) : 1024;
  if (connections < 1 || connections > FD_SETSIZE || messages < 1 || size < 1) {
    std::fprintf(stderr, "usage: %s [connections<=%d [messages [size]]]\n",
                 argv[0], FD_SETSIZE);
    return 2;
  }
  WSADATA data;
  if (WSAStartup(MAKEWORD(2, 2), &data) != 0) Fail("WSAStartup");

  SOCKET listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int length = sizeof(address);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener, SOMAXCONN) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    Fail("listen");
  }

  std::vector<Peer> clients(connections);
  std::vector<Peer> servers(connections);
  for (int i = 0; i < connections; ++i) {
    clients[i].socket = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(clients[i].socket, reinterpret_cast<sockaddr*>(&address),
                sizeof(address)) != 0) {
      Fail("connect");
    }
    servers[i].socket = accept(listener, nullptr, nullptr);
    if (servers[i].socket == INVALID_SOCKET) Fail("accept");
    for (Peer* p : {&clients[i], &servers[i]}) {
      NonBlocking(p->socket);
      p->buffer.assign(size, 'x');
    }
  }
  closesocket(listener);

  // The server echoes each complete message; it stops when every client has
  // closed.
  std::thread server([&] {
    int open = connections;
    while (open > 0) {
      SelectRound(servers, size, [&](Peer& p) {
        if (p.have < size) {         // reading a request
          if (!ReadSome(p, size)) {  // the client is done (or failed)
            closesocket(p.socket);
            p.socket = INVALID_SOCKET;
            --open;
            return;
          }
          if (p.have < size) return;
          p.sent = 0;
        }
        // Echoing it back.
        if (!WriteSome(p, size)) Fail("server send");
        if (p.sent == size) p.have = 0;
      });
    }
  });

  std::vector<double> rtt_us;
  rtt_us.reserve(static_cast<size_t>(connections * messages));
  const Clock::time_point start = Clock::now();
  for (Peer& p : clients) {
    p.started = Clock::now();
    p.have = size;  // a request being written
    if (!WriteSome(p, size)) Fail("client send");
    if (p.sent == size) p.have = 0;  // now waiting for the echo
  }
  int running = connections;
  while (running > 0) {
    SelectRound(clients, size, [&](Peer& p) {
      if (p.have == size && p.sent < size) {
        if (!WriteSome(p, size)) Fail("client send");
        if (p.sent == size) p.have = 0;
        return;
      }
      if (!ReadSome(p, size)) Fail("client recv");
      if (p.have < size) return;
      const Clock::time_point now = Clock::now();
      rtt_us.push_back(
          std::chrono::duration<double, std::micro>(now - p.started).count());
      if (++p.done == messages) {
        closesocket(p.socket);
        p.socket = INVALID_SOCKET;
        --running;
        return;
      }
      p.started = now;
      p.sent = 0;
      if (!WriteSome(p, size)) Fail("client send");
      if (p.sent == size) p.have = 0;
    });
  }
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  server.join();
  std::sort(rtt_us.begin(), rtt_us.end());
  const auto at = [&](double q) {
    return rtt_us[std::min(rtt_us.size() - 1,
                           static_cast<size_t>(q * rtt_us.size()))];
  };
  std::printf(
      "winsock select echo: %d connections, %zu B, %lld round trips: %.0f "
      "msg/s, rtt p50 %.0f us, p99 %.0f us\n",
      connections, size, static_cast<long long>(rtt_us.size()),
      rtt_us.size() / seconds, at(0.5), at(0.99));
  WSACleanup();
  return 0;
}
