// The example programs as separate processes, checked from outside: a raw
// peer written from docs/protocol.md's wire format (not with tofu's encoder)
// talks to echo_server, and echo_client talks to echo_server and to a raw
// server that corrupts an answer.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/testing/echo_server_process.h"
#include "examples/testing/subprocess.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);

// One frame as docs/protocol.md, Frames, lays it out (big-endian fields).
struct Frame {
  uint16_t channel = 0;
  uint8_t opcode = 0;
  uint8_t origin = 0;
  bool more = false;
  bool oob = false;
  uint8_t status = 0;
  uint64_t id = 0;
  std::string headers = {};
  std::string body = {};

  std::string Encode() const {
    std::string out(16, '\0');
    out[0] = static_cast<char>(channel >> 8);
    out[1] = static_cast<char>(channel);
    out[2] = static_cast<char>(opcode | origin << 4 | more << 5 | oob << 6);
    out[3] = static_cast<char>(status);
    for (int i = 0; i < 8; ++i)
      out[4 + i] = static_cast<char>(id >> (56 - 8 * i));
    out[12] = static_cast<char>(headers.size() >> 8);
    out[13] = static_cast<char>(headers.size());
    out[14] = static_cast<char>(body.size() >> 8);
    out[15] = static_cast<char>(body.size());
    return out + headers + body;
  }
};

// A blocking socket with a receive timeout; the raw peer.
class RawPeer {
 public:
  explicit RawPeer(int fd) : fd_(fd) {
    timeval tv{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  RawPeer(RawPeer&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Connects to an echo_server address: "tcp|host|port" or "uds|path".
  static RawPeer Connect(const std::string& address) {
    std::vector<std::string> parts = absl::StrSplit(address, '|');
    if (parts[0] == "tcp") {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(std::stoi(parts[2])));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0)
          << std::strerror(errno);
      return RawPeer(fd);
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, parts[1].data(), parts[1].size());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0)
        << std::strerror(errno);
    return RawPeer(fd);
  }

  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n =
          ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      sent += static_cast<size_t>(n);
    }
  }

  // Exactly `n` bytes; fewer at end of stream or on error/timeout.
  std::string Read(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }

  // The next frame; fails the test on a short read.
  Frame Receive() {
    Frame f;
    const std::string h = Read(16);
    EXPECT_EQ(h.size(), 16u) << "stream ended before a frame header";
    if (h.size() != 16) return f;
    auto u8 = [&](int i) { return static_cast<uint8_t>(h[i]); };
    f.channel = static_cast<uint16_t>(u8(0) << 8 | u8(1));
    f.opcode = u8(2) & 0x0f;
    f.origin = (u8(2) >> 4) & 1;
    f.more = (u8(2) >> 5) & 1;
    f.oob = (u8(2) >> 6) & 1;
    f.status = u8(3);
    for (int i = 0; i < 8; ++i) f.id = f.id << 8 | u8(4 + i);
    f.headers = Read(static_cast<size_t>(u8(12) << 8 | u8(13)));
    f.body = Read(static_cast<size_t>(u8(14) << 8 | u8(15)));
    return f;
  }

  // True once the peer closed (EOF or reset) within the receive timeout.
  bool ClosedByPeer() {
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0 && errno != EAGAIN;
  }

 private:
  int fd_;
};

enum Op : uint8_t {
  kRequest = 0,
  kResponse = 1,
  kSignal = 2,
  kHelloRequest = 3,
  kHelloResponse = 4,
  kByeRequest = 5,
  kByeResponse = 6,
};

// Sends a HelloRequest and checks the HelloResponse.
void Handshake(RawPeer& peer, uint16_t channel) {
  peer.Send(Frame{
      .channel = channel, .opcode = kHelloRequest, .id = 0x0102030405060708}
                .Encode());
  Frame r = peer.Receive();
  EXPECT_EQ(r.opcode, kHelloResponse);
  EXPECT_EQ(r.id, 0x0102030405060708u);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.origin, 0);
}

class EchoServerTest : public EchoServerFixture {};

TEST_P(EchoServerTest, EchoesEveryShapeOfMessage) {
  RawPeer peer = RawPeer::Connect(address_);
  Handshake(peer, 7);
  for (size_t size : {0, 1, 1000, 65535}) {
    Frame req{.channel = 7,
              .opcode = kRequest,
              .id = 1000 + size,
              .headers = "name:value\r\nsize:" + std::to_string(size) + "\r\n",
              .body = std::string(size, static_cast<char>('a' + size % 26))};
    peer.Send(req.Encode());
    Frame r = peer.Receive();
    EXPECT_EQ(r.opcode, kResponse);
    EXPECT_EQ(r.id, req.id);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.headers, req.headers);
    EXPECT_EQ(r.body, req.body);
  }
  peer.Send(
      Frame{.channel = 7, .opcode = kSignal, .id = 5, .body = "sig"}.Encode());
  Frame s = peer.Receive();
  EXPECT_EQ(s.opcode, kSignal);
  EXPECT_EQ(s.id, 5u);
  EXPECT_EQ(s.body, "sig");

  // 1000 pipelined requests, answered in order.
  std::string batch;
  for (uint64_t id = 1; id <= 1000; ++id) {
    batch += Frame{.channel = 7,
                   .opcode = kRequest,
                   .id = id,
                   .body = std::to_string(id)}
                 .Encode();
  }
  peer.Send(batch);
  for (uint64_t id = 1; id <= 1000; ++id) {
    Frame r = peer.Receive();
    ASSERT_EQ(r.id, id);
    ASSERT_EQ(r.body, std::to_string(id));
  }

  peer.Send(Frame{.channel = 7, .opcode = kByeRequest, .id = 9}.Encode());
  Frame bye = peer.Receive();
  EXPECT_EQ(bye.opcode, kByeResponse);
  EXPECT_EQ(bye.id, 9u);
  EXPECT_TRUE(peer.ClosedByPeer());
}

TEST_P(EchoServerTest, HostileConnectionsDoNotDisturbOthers) {
  RawPeer good = RawPeer::Connect(address_);
  Handshake(good, 1);

  RawPeer garbage = RawPeer::Connect(address_);
  garbage.Send(std::string(64, '\xAB'));
  RawPeer opcode = RawPeer::Connect(address_);
  std::string invalid = Frame{.opcode = kRequest}.Encode();
  invalid[2] = 12;  // opcode 12 does not exist
  opcode.Send(invalid);
  {
    RawPeer truncated = RawPeer::Connect(address_);
    Handshake(truncated, 2);
    truncated.Send(Frame{.channel = 2,
                         .opcode = kRequest,
                         .id = 3,
                         .body = std::string(100, 'x')}
                       .Encode()
                       .substr(0, 60));
  }  // then EOF
  EXPECT_TRUE(garbage.ClosedByPeer());
  EXPECT_TRUE(opcode.ClosedByPeer());

  good.Send(Frame{.channel = 1, .opcode = kRequest, .id = 77, .body = "fine"}
                .Encode());
  Frame r = good.Receive();
  EXPECT_EQ(r.id, 77u);
  EXPECT_EQ(r.body, "fine");
  RawPeer later = RawPeer::Connect(address_);
  Handshake(later, 3);
}

TEST_P(EchoServerTest, EchoClientPassesAgainstIt) {
  absl::StatusOr<Subprocess> client =
      Subprocess::Start({ProgramPath("echo_client"), "--connect=" + address_,
                         "--count=2000", "--size=1000", "--pipeline=16"});
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::string> output = client->ReadRest(kWait * 3);
  ASSERT_TRUE(output.ok()) << output.status();
  absl::StatusOr<int> code = client->Wait();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << *output;
  EXPECT_TRUE(absl::StrContains(*output, "2000 requests of 1000 bytes"))
      << *output;
}

INSTANTIATE_TEST_SUITE_P(Transports, EchoServerTest,
                         testing::Values("tcp", "uds"));

// echo_client against a raw server whose second Response is corrupted.
TEST(EchoClient, ExitsNonZeroOnAMismatch) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof(a);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  RawPeer keep_listener(listener);

  absl::StatusOr<Subprocess> client = Subprocess::Start(
      {ProgramPath("echo_client"),
       absl::StrCat("--connect=tcp|127.0.0.1|", ntohs(a.sin_port)), "--count=5",
       "--size=100"});
  ASSERT_TRUE(client.ok()) << client.status();
  RawPeer peer(::accept(listener, nullptr, nullptr));
  Frame hello = peer.Receive();
  ASSERT_EQ(hello.opcode, kHelloRequest);
  hello.opcode = kHelloResponse;
  peer.Send(hello.Encode());
  for (int i = 1; i <= 2; ++i) {
    Frame req = peer.Receive();
    ASSERT_EQ(req.opcode, kRequest);
    req.opcode = kResponse;
    if (i == 2) req.body[50] ^= 1;
    peer.Send(req.Encode());
  }
  absl::StatusOr<std::string> output = client->ReadRest(kWait);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(client->Wait().value_or(-1), 1) << *output;
  EXPECT_TRUE(absl::StrContains(*output, "response 2")) << *output;
}

}  // namespace
}  // namespace tofu
