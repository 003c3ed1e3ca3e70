// Socket calls for Linux (and other POSIX systems).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "message/status.h"
#include "transport/resolve_tcp.h"
#include "transport/socket.h"

namespace tofu {
namespace {

constexpr int kListenBacklog = 1024;

std::string ErrnoText(int err) { return std::strerror(err); }

using SockAddr = internal::ResolvedAddress<socklen_t>;

absl::StatusOr<SockAddr> ResolveTcp(const Address& address) {
  return internal::ResolveTcp<socklen_t>(
      address, [](int rc) { return std::string(gai_strerror(rc)); });
}

// A filesystem path, or with `abstract` a Linux abstract name (a leading NUL,
// no terminator).
absl::StatusOr<SockAddr> UdsAddress(const std::string& path, bool abstract) {
  SockAddr out;
  sockaddr_un* un = reinterpret_cast<sockaddr_un*>(&out.storage);
  un->sun_family = AF_UNIX;
  const size_t max = abstract ? kMaxAbstractNameLength : kMaxUdsPathLength;
  if (path.size() > max || path.empty()) {
    return ToAbslStatus(StatusCode::kInvalidAddress, "bad UDS path length");
  }
  const size_t offset = abstract ? 1 : 0;
  if (abstract) un->sun_path[0] = '\0';
  std::memcpy(un->sun_path + offset, path.data(), path.size());
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset +
                                      path.size() + (abstract ? 0 : 1));
  out.family = AF_UNIX;
  return out;
}

// TCP addresses are resolved; an AF_UNIX one is `path` (the listener may have
// picked a temporary one).
absl::StatusOr<SockAddr> SocketAddressOf(const Address& address,
                                         const std::string& path) {
  if (address.transport == Address::Transport::kTcp) return ResolveTcp(address);
  return UdsAddress(path, address.abstract);
}

// An AF_UNIX stream's queue toward its peer is bounded by the sender's send
// buffer (its receive buffer plays no part). The default (~208 KiB) holds
// three 64 KiB frames, so a busy sender keeps stalling on a full socket; 1 MiB
// (capped by net.core.wmem_max) lets each vectored write carry more. TCP
// sockets keep the kernel's autotuning.
void SetUdsSendBuffer(int fd) {
  const int bytes = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

int NewSocket(int family) {
  const int fd =
      ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0 && family == AF_UNIX) SetUdsSendBuffer(fd);
  return fd;
}

// The reactor batches frames itself: Nagle's delay would only add latency.
// Set on connecting sockets and on listeners, whose accepted sockets inherit
// it (Linux and Windows alike).
void SetNoDelay(int fd, int family) {
  if (family == AF_UNIX) return;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void SetLingerZero(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

}  // namespace

absl::StatusOr<NetworkSession> NetworkSession::Start() {
  NetworkSession session;
  session.active_ = true;
  return session;
}

NetworkSession::~NetworkSession() = default;

bool UnixSocketsSupported() { return true; }

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = std::exchange(other.handle_, kInvalidSocket);
    unlink_path_ = std::move(other.unlink_path_);
    other.unlink_path_.clear();
  }
  return *this;
}

void Socket::Close() {
  if (handle_ == kInvalidSocket) return;
  ::close(handle_);
  handle_ = kInvalidSocket;
  if (!unlink_path_.empty()) {
    ::unlink(unlink_path_.c_str());
    unlink_path_.clear();
  }
}

void Socket::Abort() {
  if (handle_ != kInvalidSocket) SetLingerZero(handle_);
  Close();
}

absl::StatusOr<Socket> Socket::Listen(const Address& address) {
  const bool uds = address.transport == Address::Transport::kUds;
  const std::string path =
      uds && address.path.empty() ? TemporaryUdsPath() : address.path;
  absl::StatusOr<SockAddr> resolved = SocketAddressOf(address, path);
  if (!resolved.ok()) return resolved.status();
  const SockAddr& sa = *resolved;
  std::string unlink_path;
  if (uds && !address.abstract) {
    ::unlink(path.c_str());  // a stale file from an earlier listener
    unlink_path = path;
  }
  Socket s(NewSocket(sa.family));
  if (!s.valid()) {
    return ToAbslStatus(StatusCode::kListenFailed,
                        absl::StrCat("socket: ", ErrnoText(errno)));
  }
  if (sa.family != AF_UNIX) {
    const int one = 1;
    ::setsockopt(s.handle_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ::setsockopt(s.handle_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    SetNoDelay(s.handle_, sa.family);  // accepted sockets inherit it
  }
  if (::bind(s.handle_, sa.get(), sa.length) != 0) {
    return ToAbslStatus(
        StatusCode::kListenFailed,
        absl::StrCat("bind ", address.Value(), ": ", ErrnoText(errno)));
  }
  s.unlink_path_ = std::move(unlink_path);
  if (::listen(s.handle_, kListenBacklog) != 0) {
    return ToAbslStatus(
        StatusCode::kListenFailed,
        absl::StrCat("listen ", address.Value(), ": ", ErrnoText(errno)));
  }
  return s;
}

absl::StatusOr<Address> Socket::LocalAddress() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(handle_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return ToAbslStatus(StatusCode::kListenFailed, ErrnoText(errno));
  }
  Address a;
  a.role = Address::Role::kServer;
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    a.host = host;
    a.port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    a.host = host;
    a.port = ntohs(in6->sin6_port);
  } else {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    a.transport = Address::Transport::kUds;
    const size_t n = len - offsetof(sockaddr_un, sun_path);
    if (n > 0 && un->sun_path[0] == '\0') {
      a.abstract = true;
      a.path = std::string(un->sun_path + 1, n - 1);
    } else {
      a.path = std::string(un->sun_path, strnlen(un->sun_path, n));
    }
  }
  return a;
}

absl::StatusOr<Socket> Socket::Connect(const Address& address,
                                       bool* connected) {
  absl::StatusOr<SockAddr> resolved = SocketAddressOf(address, address.path);
  if (!resolved.ok()) return resolved.status();
  const SockAddr& sa = *resolved;
  Socket s(NewSocket(sa.family));
  if (!s.valid()) {
    return ToAbslStatus(StatusCode::kConnectFailed,
                        absl::StrCat("socket: ", ErrnoText(errno)));
  }
  SetNoDelay(s.handle_, sa.family);
  *connected = false;
  if (::connect(s.handle_, sa.get(), sa.length) == 0) {
    *connected = true;
    return s;
  }
  const int err = errno;
  // Only EINPROGRESS is a connect under way. EAGAIN is a failure: an AF_UNIX
  // listener's backlog is full, or TCP has no local port left.
  if (err == EINPROGRESS) return s;
  if (address.transport == Address::Transport::kUds && err == ENOENT) {
    return ToAbslStatus(StatusCode::kUdsPathNotFound, address.path);
  }
  if (address.transport == Address::Transport::kUds && err == EAGAIN) {
    return ToAbslStatus(
        StatusCode::kConnectFailed,
        absl::StrCat("connect ", address.Value(),
                     ": the listener's backlog is full (not accepting)"));
  }
  return ToAbslStatus(
      StatusCode::kConnectFailed,
      absl::StrCat("connect ", address.Value(), ": ", ErrnoText(err)));
}

absl::Status Socket::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(handle_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) return absl::OkStatus();
  return ToAbslStatus(StatusCode::kConnectFailed, ErrnoText(err));
}

absl::StatusOr<Socket> Socket::Accept() {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  const int fd = ::accept4(handle_, reinterpret_cast<sockaddr*>(&peer), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    // Accepted AF_UNIX sockets do not inherit the listener's buffer sizes.
    if (peer.ss_family == AF_UNIX) SetUdsSendBuffer(fd);
    return Socket(fd);
  }
  const int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED ||
      err == EINTR) {
    return Socket();
  }
  return ToAbslStatus(StatusCode::kAcceptFailed, ErrnoText(err));
}

IoResult Socket::ReadSome(absl::Span<uint8_t> first,
                          absl::Span<uint8_t> second) {
  iovec iov[2] = {{first.data(), first.size()}, {second.data(), second.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = second.empty() ? 1 : 2;
  while (true) {
    const ssize_t n = ::recvmsg(handle_, &msg, 0);
    if (n > 0) return IoResult::Done(static_cast<size_t>(n));
    if (n == 0) return {IoResult::Kind::kClosed, 0, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return {IoResult::Kind::kWouldBlock, 0, 0};
    return {IoResult::Kind::kError, 0, errno};
  }
}

IoResult Socket::WriteV(absl::Span<const IoSlice> slices) {
  static_assert(sizeof(IoSlice) == sizeof(iovec));
  msghdr msg{};
  msg.msg_iov =
      const_cast<iovec*>(reinterpret_cast<const iovec*>(slices.data()));
  msg.msg_iovlen = slices.size();
  while (true) {
    const ssize_t n = ::sendmsg(handle_, &msg, MSG_NOSIGNAL);
    if (n >= 0) return IoResult::Done(static_cast<size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return {IoResult::Kind::kWouldBlock, 0, 0};
    if (errno == EPIPE || errno == ECONNRESET)
      return {IoResult::Kind::kClosed, 0, errno};
    return {IoResult::Kind::kError, 0, errno};
  }
}

std::string TemporaryUdsPath() {
  // pid alone is not unique: processes in different PID namespaces (sandboxes,
  // containers) share /tmp, so a random tag is part of the name too.
  static std::atomic<uint64_t> counter{0};
  static const uint32_t tag = std::random_device{}();
  const char* dir = std::getenv("TMPDIR");
  std::string base = (dir != nullptr && *dir != '\0') ? dir : "/tmp";
  while (true) {
    std::string path =
        absl::StrCat(base, "/tofu_", ::getpid(), "_", absl::Hex(tag), "_",
                     counter.fetch_add(1), ".sock");
    if (path.size() > kMaxUdsPathLength) {
      base = "/tmp";
      continue;
    }
    if (::access(path.c_str(), F_OK) != 0) return path;
  }
}

}  // namespace tofu
