// The socket helpers that need no system calls of their own.
#include "transport/socket.h"

namespace tofu {

absl::StatusOr<uint16_t> FindFreeTcpPort() {
  absl::StatusOr<NetworkSession> session = NetworkSession::Start();
  if (!session.ok()) return session.status();
  Address any;
  any.role = Address::Role::kServer;
  any.host = "127.0.0.1";
  absl::StatusOr<Socket> s = Socket::Listen(any);
  if (!s.ok()) return s.status();
  absl::StatusOr<Address> bound = s->LocalAddress();
  if (!bound.ok()) return bound.status();
  return bound->port;
}

}  // namespace tofu
