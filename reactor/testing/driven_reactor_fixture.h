#ifndef TOFU_REACTOR_TESTING_DRIVEN_REACTOR_FIXTURE_H_
#define TOFU_REACTOR_TESTING_DRIVEN_REACTOR_FIXTURE_H_

// The test fixture for the engine core driven on the simulated network
// (reactor/testing/sim_network.h): one thread, no sockets, every step chosen
// by the test, which plays the remote peers byte by byte. Tests only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "message/binary_header.h"
#include "message/frame_decoder.h"
#include "message/message.h"
#include "message/opcode.h"
#include "message/status.h"
#include "message/testing/decode_frames.h"
#include "pool/channel_table.h"
#include "pool/message_pool.h"
#include "reactor/group_inbox.h"
#include "reactor/reactor.h"
#include "reactor/testing/sim_network.h"
#include "transport/address.h"

namespace tofu {
namespace driven_testing {

using sim::ConnectBehavior;
using sim::SimNetwork;
using sim::StreamInfo;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A frame as a peer writes it.
inline std::string Frame(OpCode op, uint64_t id, absl::string_view body = "",
                         Origin origin = Origin::kApplication) {
  BinaryHeader h;
  h.channel_number = 999;  // the peer's own number: never seen by our app
  h.op_code = op;
  h.origin = origin;
  h.message_id = id;
  h.body_length = static_cast<uint16_t>(body.size());
  const WireHeader wire = EncodeBinaryHeader(h);
  return std::string(wire.begin(), wire.end()) + std::string(body);
}

// A 16-byte header with opcode 12: never valid.
inline std::string Garbage() {
  std::string g = Frame(OpCode::kRequest, 1);
  g[2] = 12;
  return g;
}

class DrivenReactorTest : public ::testing::Test {
 protected:
  DrivenReactorTest() { MakeReactor(PoolOptions{}); }

  void MakeReactor(PoolOptions options) {
    group_.reset();
    reactor_.reset();
    reactor_ = std::move(Reactor::CreateDriven(options, sim_.NewPoller(),
                                               sim_.NewNetwork()))
                   .value();
    group_ = reactor_->CreateGroup().value();
  }

  void TearDown() override {
    reactor_.reset();
    EXPECT_THAT(sim_.violations(), IsEmpty());
  }

  void Run(int rounds = 1) {
    for (int i = 0; i < rounds; ++i) {
      ASSERT_TRUE(reactor_->RunOnce(absl::ZeroDuration()));
    }
  }

  // Everything the group has received, oldest first.
  std::vector<MessagePtr> Received() {
    std::vector<MessagePtr> out;
    while (true) {
      absl::StatusOr<MessagePtr> m = group_->Wait(absl::ZeroDuration());
      if (!m.ok() || *m == nullptr) return out;
      out.push_back(std::move(*m));
    }
  }

  // Runs the loop until `count` messages have arrived or `rounds` iterations
  // have passed; everything that arrived, oldest first.
  std::vector<MessagePtr> RunUntilReceived(size_t count, size_t rounds) {
    std::vector<MessagePtr> got;
    for (size_t i = 0; i < rounds && got.size() < count; ++i) {
      Run();
      for (MessagePtr& m : Received()) got.push_back(std::move(m));
    }
    return got;
  }

  MessagePtr NewMessage(OpCode op, uint16_t channel, absl::string_view body,
                        uint64_t id = 0) {
    MessagePtr m = reactor_->pool().Get(AllocationStrategy::kAlways);
    m->header().op_code = op;
    m->header().channel_number = channel;
    m->header().message_id = id;
    m->body().Append(body);
    return m;
  }

  BinaryHeader Post(MessagePtr m) {
    absl::StatusOr<BinaryHeader> h = reactor_->Post(*group_, m);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *h : BinaryHeader();
  }

  // The stream the engine registered for `channel`.
  NativeSocket StreamOf(uint16_t channel) {
    for (NativeSocket s : sim_.streams()) {
      const std::optional<uint64_t> token = sim_.Info(s)->token;
      if (token.has_value() && ChannelToken::Unpack(*token).number == channel) {
        return s;
      }
    }
    ADD_FAILURE() << "no stream for channel " << channel;
    return kInvalidSocket;
  }

  struct Client {
    uint16_t channel;
    uint64_t hello_id;
    NativeSocket stream;
  };

  // Posts a HelloRequest and runs the loop once.
  Client Connect(absl::string_view address = "tcp|server|80") {
    MessagePtr hello = NewMessage(OpCode::kHelloRequest, 0, "hi");
    EXPECT_TRUE(hello->AddTextHeader(kConnectToHeader, address).ok());
    const BinaryHeader h = Post(std::move(hello));
    Run();
    return Client{h.channel_number, h.message_id, StreamOf(h.channel_number)};
  }

  // Connects and lets the peer read the HelloRequest.
  Client Connected() {
    Client c = Connect();
    std::vector<MessagePtr> hello = PeerReads(c.stream);
    EXPECT_THAT(hello, SizeIs(1));
    return c;
  }

  // The frames the engine wrote to `stream` since the last call.
  std::vector<MessagePtr> PeerReads(NativeSocket stream) {
    const std::string bytes = sim_.TakeWritten(stream);
    std::vector<MessagePtr> frames;
    if (!DecodeFrames(
            decoders_[stream],
            absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()),
            [&frames](MessagePtr m) { frames.push_back(std::move(m)); })) {
      ADD_FAILURE() << "the engine wrote an invalid frame";
    }
    return frames;
  }

  void Deliver(NativeSocket stream, absl::string_view bytes) {
    ASSERT_TRUE(sim_.Deliver(stream, bytes).ok());
  }

  static void ExpectClosed(const MessagePtr& m, uint16_t channel,
                           uint64_t opening_id) {
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->header().op_code, OpCode::kSignal);
    EXPECT_EQ(m->header().origin, Origin::kEngine);
    EXPECT_EQ(m->header().status, StatusCode::kChannelClosed);
    EXPECT_EQ(m->header().channel_number, channel);
    EXPECT_EQ(m->header().message_id, opening_id);
  }

  static void ExpectReturned(const MessagePtr& m, absl::string_view body,
                             StatusCode status) {
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->body().view(), body);
    EXPECT_EQ(m->header().origin, Origin::kEngine);
    EXPECT_EQ(m->header().status, status);
  }

  SimNetwork sim_;
  std::unique_ptr<Reactor> reactor_;
  std::shared_ptr<GroupInbox> group_;
  std::map<NativeSocket, FrameDecoder> decoders_;
};

}  // namespace driven_testing
}  // namespace tofu

#endif  // TOFU_REACTOR_TESTING_DRIVEN_REACTOR_FIXTURE_H_
