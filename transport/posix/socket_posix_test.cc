// POSIX-only socket behaviour: what the shared socket_test cannot see through
// the Socket API.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "message/status.h"
#include "transport/address.h"
#include "transport/socket.h"

namespace tofu {
namespace {

int SendBuffer(NativeSocket fd) {
  int bytes = 0;
  socklen_t length = sizeof(bytes);
  EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, &length), 0);
  return bytes;
}

// Both ends of an AF_UNIX connection, the connecting one and the accepted
// one, ask for a 1 MiB send buffer; Linux grants twice the request, capped by
// net.core.wmem_max.
TEST(SocketPosix, UdsEndsGetALargerSendBuffer) {
  std::ifstream sysctl("/proc/sys/net/core/wmem_max");
  long wmem_max = 0;
  if (!(sysctl >> wmem_max)) {
    GTEST_SKIP() << "cannot read /proc/sys/net/core/wmem_max";
  }
  const int expected = 2 * static_cast<int>(std::min(wmem_max, 1L << 20));
  Address where;
  where.role = Address::Role::kServer;
  where.transport = Address::Transport::kUds;
  absl::StatusOr<Socket> listener = Socket::Listen(where);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<Address> bound = listener->LocalAddress();
  ASSERT_TRUE(bound.ok()) << bound.status();
  bound->role = Address::Role::kClient;
  bool connected = false;
  absl::StatusOr<Socket> client = Socket::Connect(*bound, &connected);
  ASSERT_TRUE(client.ok()) << client.status();
  Socket server;
  for (int i = 0; i < 1000000 && !server.valid(); ++i) {
    absl::StatusOr<Socket> s = listener->Accept();
    ASSERT_TRUE(s.ok()) << s.status();
    server = *std::move(s);
  }
  ASSERT_TRUE(server.valid());
  EXPECT_EQ(SendBuffer(client->handle()), expected);
  EXPECT_EQ(SendBuffer(server.handle()), expected);
}

// A non-blocking AF_UNIX connect to a listener whose backlog is full fails at
// once with EAGAIN (it is not in progress): connect_failed, not a socket
// that later fails its first write.
TEST(SocketPosix, UdsConnectToAFullBacklogFails) {
  const std::string path = TemporaryUdsPath();
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(sun.sun_path));
  std::memcpy(sun.sun_path, path.data(), path.size());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)),
            0);
  ASSERT_EQ(::listen(listener, 0), 0);  // one waiting connection at most
  Address to;
  to.role = Address::Role::kClient;
  to.transport = Address::Transport::kUds;
  to.path = path;
  std::vector<Socket> waiting;
  absl::Status failed;
  for (int i = 0; i < 8 && failed.ok(); ++i) {
    bool connected = false;
    absl::StatusOr<Socket> s = Socket::Connect(to, &connected);
    if (s.ok()) {
      waiting.push_back(*std::move(s));
    } else {
      failed = s.status();
    }
  }
  EXPECT_FALSE(waiting.empty());
  EXPECT_EQ(StatusCodeOf(failed), StatusCode::kConnectFailed) << failed;
  ::close(listener);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace tofu
