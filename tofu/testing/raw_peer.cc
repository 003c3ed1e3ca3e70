#include "tofu/testing/raw_peer.h"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <poll.h>
#include <sys/socket.h>
#endif

#include <algorithm>

#include "absl/time/clock.h"
#include "transport/address.h"

namespace tofu::scenario {
namespace {

// Blocks until `socket` may be read (or written) or `deadline` passes;
// returning early is harmless, the callers try again.
void AwaitReady(const Socket& socket, bool write, absl::Time deadline) {
  const int ms = static_cast<int>(std::clamp<int64_t>(
      absl::ToInt64Milliseconds(deadline - absl::Now()) + 1, 0, 100));
#ifdef _WIN32
  WSAPOLLFD p{socket.handle(), static_cast<SHORT>(write ? POLLOUT : POLLIN), 0};
  ::WSAPoll(&p, 1, ms);
#else
  pollfd p{socket.handle(), static_cast<short>(write ? POLLOUT : POLLIN), 0};
  ::poll(&p, 1, ms);
#endif
}

}  // namespace

uint8_t RawFrame::Proto() const {
  return static_cast<uint8_t>((opcode & 0x0f) | origin << 4 | more << 5 |
                              oob << 6 | reserved << 7);
}

std::string RawFrame::Header(const RawFrame& f, uint16_t headers_length,
                             uint16_t body_length) {
  std::string out(16, '\0');
  out[0] = static_cast<char>(f.channel >> 8);
  out[1] = static_cast<char>(f.channel);
  out[2] = static_cast<char>(f.Proto());
  out[3] = static_cast<char>(f.status);
  for (int i = 0; i < 8; ++i)
    out[4 + i] = static_cast<char>(f.id >> (56 - 8 * i));
  out[12] = static_cast<char>(headers_length >> 8);
  out[13] = static_cast<char>(headers_length);
  out[14] = static_cast<char>(body_length >> 8);
  out[15] = static_cast<char>(body_length);
  return out;
}

std::string RawFrame::Encode() const {
  return Header(*this, static_cast<uint16_t>(headers.size()),
                static_cast<uint16_t>(body.size())) +
         headers + body;
}

absl::StatusOr<RawPeer> RawPeer::Connect(absl::string_view address) {
  absl::StatusOr<Address> a =
      ParseAddressValue(address, Address::Role::kClient);
  if (!a.ok()) return a.status();
  bool connected = false;
  absl::StatusOr<Socket> s = Socket::Connect(*a, &connected);
  if (!s.ok()) return s.status();
  // A connect still under way finishes by itself on loopback; reads and
  // writes meanwhile would block, which every wait below tolerates.
  return RawPeer(std::move(*s));
}

bool RawPeer::Send(absl::string_view bytes, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    IoSlice slice{bytes.data() + sent, bytes.size() - sent};
    IoResult r = socket_.WriteV(absl::MakeConstSpan(&slice, 1));
    if (r.kind == IoResult::Kind::kDone) {
      sent += r.bytes;
    } else if (r.kind != IoResult::Kind::kWouldBlock ||
               absl::Now() >= deadline) {
      return false;
    } else {
      AwaitReady(socket_, /*write=*/true, deadline);
    }
  }
  return true;
}

std::string RawPeer::Read(size_t n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    IoResult r = socket_.ReadSome(
        absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()) + got, n - got));
    if (r.kind == IoResult::Kind::kDone) {
      got += r.bytes;
    } else if (r.kind != IoResult::Kind::kWouldBlock) {
      closed_by_peer_ = true;
      break;
    } else if (absl::Now() >= deadline) {
      break;
    } else {
      AwaitReady(socket_, /*write=*/false, deadline);
    }
  }
  out.resize(got);
  return out;
}

std::optional<RawFrame> RawPeer::Receive(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const std::string h = Read(16, timeout);
  if (h.size() != 16) return std::nullopt;
  auto u8 = [&](int i) { return static_cast<uint8_t>(h[i]); };
  RawFrame f;
  f.channel = static_cast<uint16_t>(u8(0) << 8 | u8(1));
  f.opcode = u8(2) & 0x0f;
  f.origin = (u8(2) >> 4) & 1;
  f.more = (u8(2) >> 5) & 1;
  f.oob = (u8(2) >> 6) & 1;
  f.reserved = (u8(2) >> 7) & 1;
  f.status = u8(3);
  for (int i = 0; i < 8; ++i) f.id = f.id << 8 | u8(4 + i);
  const size_t thl = static_cast<size_t>(u8(12) << 8 | u8(13));
  const size_t bl = static_cast<size_t>(u8(14) << 8 | u8(15));
  f.headers = Read(thl, deadline - absl::Now());
  f.body = Read(bl, deadline - absl::Now());
  if (f.headers.size() != thl || f.body.size() != bl) return std::nullopt;
  return f;
}

bool RawPeer::ShutdownWrite() {
#ifdef _WIN32
  return ::shutdown(socket_.handle(), SD_SEND) == 0;
#else
  return ::shutdown(socket_.handle(), SHUT_WR) == 0;
#endif
}

bool RawPeer::ClosedByPeerNow() {
  uint8_t sink[4096];
  while (!closed_by_peer_) {
    IoResult r = socket_.ReadSome(absl::MakeSpan(sink));
    if (r.kind == IoResult::Kind::kWouldBlock) break;
    if (r.kind != IoResult::Kind::kDone) closed_by_peer_ = true;
  }
  return closed_by_peer_;
}

bool RawPeer::WaitClosedByPeer(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!ClosedByPeerNow()) {
    if (absl::Now() >= deadline) return false;
    AwaitReady(socket_, /*write=*/false, deadline);
  }
  return true;
}

}  // namespace tofu::scenario
