// echo_server as a process against a raw peer that sends, after a handshake,
// every status byte and every proto byte (opcode, origin, more, oob and the
// reserved bit in all combinations). A frame the protocol rejects may close
// its own connection; the server must stay up and serve the next one.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "examples/testing/echo_server_process.h"
#include "examples/testing/subprocess.h"
#include "gtest/gtest.h"
#include "tofu/testing/raw_peer.h"

namespace tofu {
namespace {

using scenario::kRawHelloRequest;
using scenario::kRawHelloResponse;
using scenario::kRawRequest;
using scenario::kRawResponse;
using scenario::RawFrame;
using scenario::RawPeer;

constexpr absl::Duration kWait = absl::Seconds(10);
// How long one probe may take to be echoed or to have its connection closed.
constexpr absl::Duration kProbe = absl::Seconds(3);
constexpr uint64_t kFollowUpId = 1000;

class HostileStatusTest : public EchoServerFixture {
 protected:
  // A connected raw peer with a completed handshake, or nullopt (with a
  // failure recorded).
  std::optional<RawPeer> Handshaken() {
    absl::StatusOr<RawPeer> peer = RawPeer::Connect(address_);
    EXPECT_TRUE(peer.ok()) << peer.status();
    if (!peer.ok()) return std::nullopt;
    EXPECT_TRUE(peer->Send(
        RawFrame{.channel = 5, .opcode = kRawHelloRequest, .id = 1}.Encode(),
        kWait));
    std::optional<RawFrame> r = peer->Receive(kWait);
    EXPECT_TRUE(r.has_value() && r->opcode == kRawHelloResponse)
        << "echo_server did not answer a fresh HelloRequest";
    if (!r.has_value() || r->opcode != kRawHelloResponse) return std::nullopt;
    return std::move(*peer);
  }

  // Sends `probe` then a normal Request. True when the Request is echoed;
  // false when the server closed the connection instead. A failure when
  // neither happens within kProbe.
  bool ProbeThenEcho(RawPeer& peer, const RawFrame& probe,
                     const std::string& what) {
    EXPECT_TRUE(peer.Send(probe.Encode() + RawFrame{.channel = 5,
                                                    .opcode = kRawRequest,
                                                    .id = kFollowUpId,
                                                    .body = "after"}
                                               .Encode(),
                          kProbe))
        << what;
    const absl::Time deadline = absl::Now() + kProbe;
    while (absl::Now() < deadline) {
      std::optional<RawFrame> f = peer.Receive(deadline - absl::Now());
      if (!f.has_value()) break;
      if (f->opcode == kRawResponse && f->id == kFollowUpId) {
        EXPECT_EQ(f->body, "after") << what;
        return true;
      }
    }
    EXPECT_TRUE(peer.ClosedByPeerNow())
        << what << ": neither echoed the next Request nor closed within "
        << kProbe;
    return false;
  }
};

// Requests and Signals with every status byte, on one connection: each is
// answered (the status is the peer's, never the application's own cue).
TEST_P(HostileStatusTest, EveryStatusByteIsServed) {
  std::optional<RawPeer> peer = Handshaken();
  ASSERT_TRUE(peer.has_value());
  for (int status = 0; status <= 255; ++status) {
    for (uint8_t op : {kRawRequest, scenario::kRawSignal}) {
      const RawFrame probe{.channel = 5,
                           .opcode = op,
                           .status = static_cast<uint8_t>(status),
                           .id = 7,
                           .body = "probe"};
      ASSERT_TRUE(ProbeThenEcho(
          *peer, probe,
          absl::StrCat("status ", status, " opcode ", static_cast<int>(op))))
          << "status " << status << " closed a healthy connection";
    }
  }
}

// Every proto byte (all 16 opcodes with every origin/more/oob/reserved
// combination), each with a few status bytes, each on a fresh connection:
// the server echoes what follows or closes that connection, and always
// serves the next connection.
TEST_P(HostileStatusTest, EveryProtoByteLeavesTheServerServing) {
  int closed = 0;
  for (int proto = 0; proto <= 255; ++proto) {
    for (int status : {0, 21, 22, 23, 255}) {
      const std::string what =
          absl::StrCat("proto 0x", absl::Hex(proto), " status ", status);
      std::optional<RawPeer> peer = Handshaken();
      ASSERT_TRUE(peer.has_value()) << "before " << what;
      const RawFrame probe{.channel = 5,
                           .opcode = static_cast<uint8_t>(proto & 0x0f),
                           .origin = (proto >> 4 & 1) != 0,
                           .more = (proto >> 5 & 1) != 0,
                           .oob = (proto >> 6 & 1) != 0,
                           .reserved = (proto >> 7 & 1) != 0,
                           .status = static_cast<uint8_t>(status),
                           .id = 7,
                           .body = "probe"};
      if (!ProbeThenEcho(*peer, probe, what)) ++closed;
      ASSERT_FALSE(HasFailure()) << what;
    }
  }
  std::printf("[  NOTE    ] %d of %d probes closed their connection\n", closed,
              256 * 5);
  // Still serving.
  std::optional<RawPeer> last = Handshaken();
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(ProbeThenEcho(
      *last, RawFrame{.channel = 5, .opcode = kRawRequest, .id = 8}, "last"));
}

INSTANTIATE_TEST_SUITE_P(Transports, HostileStatusTest,
                         testing::Values("tcp", "uds"));

}  // namespace
}  // namespace tofu
