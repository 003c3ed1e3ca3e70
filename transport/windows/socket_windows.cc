// Socket calls for Windows 10+ (Winsock 2; AF_UNIX through afunix.h where the
// system has it, detected at run time).
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#include <windows.h>
// clang-format on

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "message/status.h"
#include "transport/resolve_tcp.h"
#include "transport/socket.h"
#include "transport/windows/uds_path.h"

namespace tofu {
namespace {

constexpr int kListenBacklog = SOMAXCONN;
// WSASend takes at most this many buffers per call; a longer batch is sent in
// part and the caller continues from where it stopped.
constexpr size_t kMaxSendBuffers = 64;

std::string ErrorText(int err) {
  char text[256] = {};
  const DWORD n = FormatMessageA(
      FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
      static_cast<DWORD>(err), 0, text, sizeof(text), nullptr);
  std::string out(text, n);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' ||
                          out.back() == ' ' || out.back() == '.')) {
    out.pop_back();
  }
  return absl::StrCat(out.empty() ? "error" : out, " (", err, ")");
}

std::wstring Wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  const int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(),
                                    static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()),
                      out.data(), n);
  return out;
}

std::string Utf8(const wchar_t* wide) {
  const int n =
      WideCharToMultiByte(CP_UTF8, 0, wide, -1, nullptr, 0, nullptr, nullptr);
  if (n <= 1) return std::string();
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide, -1, out.data(), n, nullptr, nullptr);
  out.pop_back();  // the terminating NUL
  return out;
}

bool FileExists(const std::string& path) {
  return GetFileAttributesW(Wide(path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

using SockAddr = internal::ResolvedAddress<int>;

absl::StatusOr<SockAddr> ResolveTcp(const Address& address) {
  return internal::ResolveTcp<int>(address, ErrorText);
}

static_assert(windows_uds::kMaxPathBytes == kMaxUdsPathLength);

// Windows has no abstract names: a UDS address is a filesystem path.
absl::StatusOr<SockAddr> UdsAddress(const std::string& path, bool abstract) {
  if (abstract) {
    return ToAbslStatus(StatusCode::kInvalidAddress,
                        "abstract UDS names exist only on Linux");
  }
  if (absl::Status valid = windows_uds::CheckPath(path); !valid.ok()) {
    return ToAbslStatus(StatusCode::kInvalidAddress, valid.message());
  }
  SockAddr out;
  auto* un = reinterpret_cast<sockaddr_un*>(&out.storage);
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  out.length =
      static_cast<int>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
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

SOCKET NewSocket(int family) {
  SOCKET s = WSASocketW(family, SOCK_STREAM, 0, nullptr, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return s;
  u_long non_blocking = 1;
  if (ioctlsocket(s, FIONBIO, &non_blocking) != 0) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  return s;
}

// The reactor batches frames itself: Nagle's delay would only add latency.
// Set on connecting sockets and on listeners, whose accepted sockets inherit
// it (Linux and Windows alike).
void SetNoDelay(SOCKET s, int family) {
  if (family == AF_UNIX) return;
  const BOOL one = TRUE;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
             sizeof(one));
}

}  // namespace

absl::StatusOr<NetworkSession> NetworkSession::Start() {
  WSADATA data;
  const int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("WSAStartup: ", ErrorText(rc)));
  }
  NetworkSession session;
  session.active_ = true;
  return session;
}

NetworkSession::~NetworkSession() {
  if (active_) WSACleanup();
}

bool UnixSocketsSupported() {
  static const bool supported = [] {
    absl::StatusOr<NetworkSession> session = NetworkSession::Start();
    if (!session.ok()) return false;
    SOCKET s = socket(AF_UNIX, SOCK_STREAM, 0);
    const int error = s == INVALID_SOCKET ? WSAGetLastError() : 0;
    if (s != INVALID_SOCKET) closesocket(s);
    return windows_uds::AfUnixSupport(s != INVALID_SOCKET, error).ok();
  }();
  return supported;
}

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
  closesocket(static_cast<SOCKET>(handle_));
  handle_ = kInvalidSocket;
  if (!unlink_path_.empty()) {
    DeleteFileW(Wide(unlink_path_).c_str());
    unlink_path_.clear();
  }
}

void Socket::Abort() {
  if (handle_ != kInvalidSocket) {
    const linger l{1, 0};
    setsockopt(static_cast<SOCKET>(handle_), SOL_SOCKET, SO_LINGER,
               reinterpret_cast<const char*>(&l), sizeof(l));
  }
  Close();
}

absl::StatusOr<Socket> Socket::Listen(const Address& address) {
  const bool uds = address.transport == Address::Transport::kUds;
  const std::string path =
      uds && address.path.empty() ? TemporaryUdsPath() : address.path;
  absl::StatusOr<SockAddr> resolved = SocketAddressOf(address, path);
  if (!resolved.ok()) return resolved.status();
  const SockAddr& sa = *resolved;
  const windows_uds::FileDuties duties =
      windows_uds::DutiesOf(windows_uds::Role::kListener);
  std::string unlink_path = uds && duties.delete_on_close ? path : "";
  Socket s(NewSocket(sa.family));
  if (!s.valid()) {
    return ToAbslStatus(StatusCode::kListenFailed,
                        absl::StrCat("socket: ", ErrorText(WSAGetLastError())));
  }
  const auto h = static_cast<SOCKET>(s.handle_);
  if (sa.family != AF_UNIX) {
    // Windows' SO_REUSEADDR lets a second listener bind the same port, which
    // docs/protocol.md, Addresses, asks for (Linux needs SO_REUSEPORT for
    // that).
    const BOOL one = TRUE;
    setsockopt(h, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&one),
               sizeof(one));
    SetNoDelay(h, sa.family);  // accepted sockets inherit it
  } else if (duties.delete_before_bind) {
    DeleteFileW(Wide(path).c_str());  // a stale file of a listener
  }
  if (bind(h, sa.get(), sa.length) != 0) {
    return ToAbslStatus(StatusCode::kListenFailed,
                        absl::StrCat("bind ", address.Value(), ": ",
                                     ErrorText(WSAGetLastError())));
  }
  s.unlink_path_ = std::move(unlink_path);
  if (listen(h, kListenBacklog) != 0) {
    return ToAbslStatus(StatusCode::kListenFailed,
                        absl::StrCat("listen ", address.Value(), ": ",
                                     ErrorText(WSAGetLastError())));
  }
  return s;
}

absl::StatusOr<Address> Socket::LocalAddress() const {
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (getsockname(static_cast<SOCKET>(handle_),
                  reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return ToAbslStatus(StatusCode::kListenFailed,
                        ErrorText(WSAGetLastError()));
  }
  Address a;
  a.role = Address::Role::kServer;
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    a.host = host;
    a.port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    a.host = host;
    a.port = ntohs(in6->sin6_port);
  } else {
    a.transport = Address::Transport::kUds;
    a.path = unlink_path_;  // getsockname may not report the path
    if (a.path.empty()) {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
      a.path = std::string(un->sun_path, strnlen(un->sun_path, UNIX_PATH_MAX));
    }
  }
  return a;
}

absl::StatusOr<Socket> Socket::Connect(const Address& address,
                                       bool* connected) {
  absl::StatusOr<SockAddr> resolved = SocketAddressOf(address, address.path);
  if (!resolved.ok()) return resolved.status();
  const SockAddr& sa = *resolved;
  // Winsock reports a missing socket file as a refusal: look first.
  if (address.transport == Address::Transport::kUds &&
      !FileExists(address.path)) {
    return ToAbslStatus(StatusCode::kUdsPathNotFound, address.path);
  }
  Socket s(NewSocket(sa.family));
  if (!s.valid()) {
    return ToAbslStatus(StatusCode::kConnectFailed,
                        absl::StrCat("socket: ", ErrorText(WSAGetLastError())));
  }
  const auto h = static_cast<SOCKET>(s.handle_);
  SetNoDelay(h, sa.family);
  *connected = false;
  if (connect(h, sa.get(), sa.length) == 0) {
    *connected = true;
    return s;
  }
  const int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK || err == WSAEINPROGRESS) return s;
  return ToAbslStatus(
      StatusCode::kConnectFailed,
      absl::StrCat("connect ", address.Value(), ": ", ErrorText(err)));
}

absl::Status Socket::FinishConnect() {
  int err = 0;
  int len = sizeof(err);
  if (getsockopt(static_cast<SOCKET>(handle_), SOL_SOCKET, SO_ERROR,
                 reinterpret_cast<char*>(&err), &len) != 0) {
    err = WSAGetLastError();
  }
  if (err == 0) return absl::OkStatus();
  return ToAbslStatus(StatusCode::kConnectFailed, ErrorText(err));
}

absl::StatusOr<Socket> Socket::Accept() {
  SOCKET s = accept(static_cast<SOCKET>(handle_), nullptr, nullptr);
  if (s != INVALID_SOCKET) {
    u_long non_blocking = 1;
    ioctlsocket(s, FIONBIO, &non_blocking);
    return Socket(static_cast<NativeSocket>(s));
  }
  const int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK || err == WSAECONNRESET || err == WSAEINTR) {
    return Socket();
  }
  return ToAbslStatus(StatusCode::kAcceptFailed, ErrorText(err));
}

IoResult Socket::ReadSome(absl::Span<uint8_t> first,
                          absl::Span<uint8_t> second) {
  WSABUF buffers[2];
  const absl::Span<uint8_t> spans[2] = {first, second};
  for (int i = 0; i < 2; ++i) {
    buffers[i].buf = reinterpret_cast<char*>(spans[i].data());
    buffers[i].len =
        static_cast<ULONG>(std::min<size_t>(spans[i].size(), 1u << 30));
  }
  DWORD received = 0;
  DWORD flags = 0;
  if (WSARecv(static_cast<SOCKET>(handle_), buffers, second.empty() ? 1 : 2,
              &received, &flags, nullptr, nullptr) == 0) {
    if (received > 0) return IoResult::Done(received);
    return {IoResult::Kind::kClosed, 0, 0};
  }
  const int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK) return {IoResult::Kind::kWouldBlock, 0, 0};
  return {IoResult::Kind::kError, 0, err};
}

IoResult Socket::WriteV(absl::Span<const IoSlice> slices) {
  WSABUF buffers[kMaxSendBuffers];
  const size_t count = std::min(slices.size(), kMaxSendBuffers);
  for (size_t i = 0; i < count; ++i) {
    buffers[i].buf = static_cast<char*>(const_cast<void*>(slices[i].data));
    buffers[i].len = static_cast<ULONG>(slices[i].size);
  }
  DWORD sent = 0;
  if (WSASend(static_cast<SOCKET>(handle_), buffers, static_cast<DWORD>(count),
              &sent, 0, nullptr, nullptr) == 0) {
    return IoResult::Done(sent);
  }
  const int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK) return {IoResult::Kind::kWouldBlock, 0, 0};
  if (err == WSAECONNRESET || err == WSAECONNABORTED || err == WSAESHUTDOWN) {
    return {IoResult::Kind::kClosed, 0, err};
  }
  return {IoResult::Kind::kError, 0, err};
}

std::string TemporaryUdsPath() {
  static std::atomic<uint64_t> counter{0};
  static const uint32_t tag = std::random_device{}();
  wchar_t dir[MAX_PATH + 1] = {};
  const std::string temp = GetTempPathW(MAX_PATH + 1, dir) > 0 ? Utf8(dir) : "";
  while (true) {
    const windows_uds::NameParts parts{
        static_cast<uint32_t>(GetCurrentProcessId()), tag,
        counter.fetch_add(1)};
    absl::StatusOr<std::string> path =
        windows_uds::TemporaryPath(temp, "C:\\", parts);
    // Nothing fits: the bind fails on the over-long path and says why.
    if (!path.ok()) return temp + windows_uds::GeneratedName(parts);
    if (!FileExists(*path)) return *std::move(path);
  }
}

}  // namespace tofu
