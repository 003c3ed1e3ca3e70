#include "transport/socket.h"

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "message/status.h"
#include "transport/testing/platform_support.h"

namespace tofu {
namespace {

bool PathExists(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored);
}

#define SKIP_WITHOUT_UDS()                                                   \
  if (!UnixSocketsSupported())                                               \
  GTEST_SKIP() << "AF_UNIX stream sockets are not available on this system " \
                  "(Wine 8.0 has none)"

Address Server(Address::Transport t, const std::string& host_or_path) {
  Address a;
  a.role = Address::Role::kServer;
  a.transport = t;
  (t == Address::Transport::kTcp ? a.host : a.path) = host_or_path;
  return a;
}

Address Server(Address a) {
  a.role = Address::Role::kServer;
  return a;
}

Address ClientOf(const Address& bound) {
  Address a = bound;
  a.role = Address::Role::kClient;
  return a;
}

// Accepts within a bounded number of attempts (the connect may still be in
// flight).
Socket AcceptOne(Socket& listener) {
  for (int i = 0; i < 1000000; ++i) {
    absl::StatusOr<Socket> s = listener.Accept();
    EXPECT_TRUE(s.ok());
    if (s.ok() && s->valid()) return std::move(*s);
  }
  ADD_FAILURE() << "no connection to accept";
  return Socket();
}

void WriteAll(Socket& s, const std::string& data) {
  size_t sent = 0;
  for (int i = 0; i < 1000000 && sent < data.size(); ++i) {
    IoSlice slice{data.data() + sent, data.size() - sent};
    IoResult r = s.WriteV(absl::MakeConstSpan(&slice, 1));
    ASSERT_NE(r.kind, IoResult::Kind::kError);
    if (r.kind == IoResult::Kind::kDone) sent += r.bytes;
  }
  ASSERT_EQ(sent, data.size());
}

std::string ReadExactly(Socket& s, size_t n) {
  std::string out;
  uint8_t buf[4096];
  for (int i = 0; i < 1000000 && out.size() < n; ++i) {
    IoResult r =
        s.ReadSome(absl::MakeSpan(buf, std::min(sizeof(buf), n - out.size())));
    if (r.kind == IoResult::Kind::kDone)
      out.append(reinterpret_cast<char*>(buf), r.bytes);
    if (r.kind == IoResult::Kind::kClosed || r.kind == IoResult::Kind::kError)
      break;
  }
  return out;
}

void RoundTrip(const Address& at) {
  absl::StatusOr<Socket> listener = Socket::Listen(Server(at));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<Address> bound = listener->LocalAddress();
  ASSERT_TRUE(bound.ok());
  // Accept before any client: nothing yet.
  absl::StatusOr<Socket> early = listener->Accept();
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->valid());
  bool connected = false;
  absl::StatusOr<Socket> client = Socket::Connect(ClientOf(*bound), &connected);
  ASSERT_TRUE(client.ok()) << client.status();
  Socket server = AcceptOne(*listener);
  uint8_t byte;
  EXPECT_EQ(server.ReadSome(absl::MakeSpan(&byte, 1)).kind,
            IoResult::Kind::kWouldBlock);
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  WriteAll(*client, data);
  EXPECT_EQ(ReadExactly(server, data.size()), data);
  WriteAll(server, data);
  EXPECT_EQ(ReadExactly(*client, data.size()), data);

  // One read into two buffers: the first fills before the second gets a byte.
  WriteAll(*client, data);
  uint8_t first[10];
  uint8_t second[2000];
  IoResult r;
  for (int i = 0; i < 1000000; ++i) {
    r = server.ReadSome(absl::MakeSpan(first), absl::MakeSpan(second));
    if (r.kind != IoResult::Kind::kWouldBlock) break;
  }
  ASSERT_EQ(r.kind, IoResult::Kind::kDone);
  std::string got(reinterpret_cast<char*>(first),
                  std::min(r.bytes, sizeof(first)));
  if (r.bytes > sizeof(first)) {
    got.append(reinterpret_cast<char*>(second), r.bytes - sizeof(first));
  }
  got += ReadExactly(server, data.size() - got.size());
  EXPECT_EQ(got, data);
  client->Close();
  EXPECT_EQ(ReadExactly(server, 1), "");
}

TEST(Socket, TcpRoundTrip) { RoundTrip(Address::Tcp("127.0.0.1", 0)); }
TEST(Socket, UdsRoundTrip) {
  SKIP_WITHOUT_UDS();
  RoundTrip(Address::Uds(TemporaryUdsPath()));
}
#ifdef __linux__
TEST(Socket, AbstractUdsRoundTrip) {
  // The temporary path's unique name, as an abstract one.
  const std::string name =
      std::filesystem::path(TemporaryUdsPath()).filename().string();
  RoundTrip(Address::AbstractUds(name));
  // LocalAddress reports it as abstract, under the same name.
  absl::StatusOr<Socket> listener =
      Socket::Listen(Server(Address::AbstractUds(name)));
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ(listener->LocalAddress()->ToString(), "uds-abstract|" + name);
}
#else
TEST(Socket, AbstractUdsNamesAreRejected) {
  EXPECT_EQ(
      StatusCodeOf(
          Socket::Listen(Server(Address::AbstractUds("tofu_test"))).status()),
      StatusCode::kInvalidAddress);
}
#endif

TEST(Socket, UdsPathStartingWithAtIsAFile) {
  SKIP_WITHOUT_UDS();
  // As in the reference: "uds|@name" names a file "@name", not an abstract
  // socket. A relative path, taken from inside the temporary directory.
  const std::filesystem::path temporary(TemporaryUdsPath());
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(temporary.parent_path());
  const std::string path = "@" + temporary.filename().string();
  absl::StatusOr<Address> parsed = Address::Parse("uds|" + path);
  ASSERT_TRUE(parsed.ok());
  ASSERT_FALSE(parsed->abstract);
  absl::StatusOr<Socket> listener = Socket::Listen(Server(*parsed));
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(std::filesystem::exists(path));
  listener->Close();
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::current_path(cwd);
}

TEST(Socket, ClosingUdsListenerRemovesItsFile) {
  SKIP_WITHOUT_UDS();
  const std::string path = TemporaryUdsPath();
  {
    absl::StatusOr<Socket> listener =
        Socket::Listen(Server(Address::Transport::kUds, path));
    ASSERT_TRUE(listener.ok());
    EXPECT_TRUE(PathExists(path));
  }
  EXPECT_FALSE(PathExists(path));
}

TEST(Socket, EmptyUdsPathPicksATemporaryOne) {
  SKIP_WITHOUT_UDS();
  absl::StatusOr<Socket> listener =
      Socket::Listen(Server(Address::Transport::kUds, ""));
  ASSERT_TRUE(listener.ok());
  absl::StatusOr<Address> bound = listener->LocalAddress();
  ASSERT_TRUE(bound.ok());
  EXPECT_FALSE(bound->path.empty());
}

TEST(Socket, UdsConnectToMissingPath) {
  bool connected = false;
  Address a = ClientOf(Server(Address::Transport::kUds, TemporaryUdsPath()));
  EXPECT_EQ(StatusCodeOf(Socket::Connect(a, &connected).status()),
            StatusCode::kUdsPathNotFound);
}

TEST(Socket, WrongAddresses) {
  bool connected = false;
  Address unresolvable =
      ClientOf(Server(Address::Transport::kTcp, "no.such.host.invalid"));
  unresolvable.port = 1;
  EXPECT_EQ(StatusCodeOf(Socket::Connect(unresolvable, &connected).status()),
            StatusCode::kInvalidAddress);
  EXPECT_EQ(
      StatusCodeOf(Socket::Listen(Server(Address::Transport::kTcp, "192.0.2.1"))
                       .status()),
      StatusCode::kListenFailed);
}

TEST(Socket, FreePortIsBindableAndConnectDoesNotFailAtOnce) {
  absl::StatusOr<uint16_t> port = FindFreeTcpPort();
  ASSERT_TRUE(port.ok());
  Address a = Server(Address::Transport::kTcp, "127.0.0.1");
  a.port = *port;
  absl::StatusOr<Socket> listener = Socket::Listen(a);
  ASSERT_TRUE(listener.ok()) << listener.status();
  bool connected = false;
  absl::StatusOr<Socket> client = Socket::Connect(ClientOf(a), &connected);
  ASSERT_TRUE(client.ok());
  // A second listener on the same port succeeds (SO_REUSEPORT on Linux,
  // SO_REUSEADDR on Windows).
  if (RunningUnderWine()) GTEST_SKIP() << kWineReuseAddrReason;
  EXPECT_TRUE(Socket::Listen(a).ok());
}

}  // namespace
}  // namespace tofu
