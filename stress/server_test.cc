#include "stress/server.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stress/stress_protocol.h"
#include "stress/testing/raw_peer.h"

namespace tofu::stress {
namespace {

using ::testing::HasSubstr;
using testing::Headers;
using testing::RawPeer;

constexpr size_t kSize = 100;
constexpr absl::Duration kWait = absl::Seconds(10);

Headers Hello(int conn, int window = 1) {
  return {{std::string(kConnHeader), absl::StrCat(conn)},
          {std::string(kCycleHeader), "1"},
          {std::string(kSizeHeader), absl::StrCat(kSize)},
          {std::string(kWindowHeader), absl::StrCat(window)}};
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Address listen;
    listen.role = Address::Role::kServer;
    listen.host = "127.0.0.1";
    absl::StatusOr<std::unique_ptr<StressServer>> server =
        StressServer::Start(listen, {}, kWait);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<Address> address =
        ParseAddressValue(server_->address(), Address::Role::kClient);
    ASSERT_TRUE(address.ok()) << address.status();
    address_ = *address;
    absl::StatusOr<std::unique_ptr<RawPeer>> peer = RawPeer::Create();
    ASSERT_TRUE(peer.ok()) << peer.status();
    peer_ = *std::move(peer);
  }

  // Sends the ByeRequest claiming `sent` messages; the ByeResponse.
  MessagePtr Bye(uint16_t channel, uint64_t sent) {
    EXPECT_TRUE(peer_
                    ->Send(OpCode::kByeRequest, channel, 0, 0,
                           {{std::string(kSentHeader), absl::StrCat(sent)}})
                    .ok());
    absl::StatusOr<MessagePtr> reply = peer_->Next();
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return nullptr;
    EXPECT_EQ((*reply)->header().op_code, OpCode::kByeResponse);
    absl::StatusOr<MessagePtr> closed = peer_->Next();
    EXPECT_TRUE(closed.ok()) << closed.status();
    if (closed.ok()) {
      EXPECT_EQ((*closed)->header().status, StatusCode::kChannelClosed);
    }
    return *std::move(reply);
  }

  std::unique_ptr<StressServer> server_;
  Address address_;
  std::unique_ptr<RawPeer> peer_;
};

TEST_F(ServerTest, EchoesVerifiesAndConfirmsACleanConnection) {
  absl::StatusOr<uint16_t> channel = peer_->Connect(address_, Hello(7));
  ASSERT_TRUE(channel.ok()) << channel.status();
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    ASSERT_TRUE(peer_->Send(OpCode::kRequest, *channel, seq, kSize).ok());
    absl::StatusOr<MessagePtr> r = peer_->Next();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->header().op_code, OpCode::kResponse);
    EXPECT_EQ((*r)->header().message_id, seq);
    EXPECT_EQ((*r)->body().size(), kSize);
  }
  MessagePtr bye = Bye(*channel, 3);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->FindTextHeader(kReceivedHeader), "3");
  EXPECT_FALSE(bye->FindTextHeader(kErrorHeader).has_value());
  ASSERT_TRUE(server_->WaitForClosed(1, kWait).ok());
  const ServerStats s = server_->stats();
  EXPECT_EQ(s.violations.count, 0u)
      << (s.violations.first.empty() ? "" : s.violations.first[0]);
  EXPECT_EQ(s.connections_opened, 1u);
  EXPECT_EQ(s.connections_closed, 1u);
  EXPECT_EQ(s.messages, 3u);
}

TEST_F(ServerTest, NamesTheConnectionAndSequenceOfAGap) {
  // A window of 100: no credit Signal comes back before the ByeResponse.
  absl::StatusOr<uint16_t> channel = peer_->Connect(address_, Hello(7, 100));
  ASSERT_TRUE(channel.ok()) << channel.status();
  ASSERT_TRUE(peer_->Send(OpCode::kSignal, *channel, 1, kSize).ok());
  ASSERT_TRUE(peer_->Send(OpCode::kSignal, *channel, 3, kSize).ok());
  MessagePtr bye = Bye(*channel, 3);
  ASSERT_NE(bye, nullptr);
  EXPECT_THAT(std::string(bye->FindTextHeader(kErrorHeader).value_or("")),
              HasSubstr("expected sequence 2, got 3"));
  ASSERT_TRUE(server_->WaitForClosed(1, kWait).ok());
  const ServerStats s = server_->stats();
  EXPECT_EQ(s.violations.count, 2u);  // the gap, then the loss at Bye
  ASSERT_EQ(s.violations.first.size(), 2u);
  EXPECT_THAT(s.violations.first[0],
              HasSubstr("server: connection 7 cycle 1 (server channel "));
  EXPECT_THAT(s.violations.first[0],
              HasSubstr("stream message expected sequence 2, got 3"));
  EXPECT_THAT(s.violations.first[1],
              HasSubstr("1 of 3 messages lost, the first is sequence 2"));
}

TEST_F(ServerTest, ReportsACorruptBody) {
  absl::StatusOr<uint16_t> channel = peer_->Connect(address_, Hello(3));
  ASSERT_TRUE(channel.ok()) << channel.status();
  MessagePtr m = peer_->engine().Get(AllocationStrategy::kAlways);
  m->header().op_code = OpCode::kRequest;
  m->header().channel_number = *channel;
  m->header().message_id = 1;
  m->body().Assign(std::string(kSize, 'x'));
  ASSERT_TRUE(peer_->group().Post(m).ok());
  ASSERT_TRUE(peer_->Next().ok());  // echoed all the same
  MessagePtr bye = Bye(*channel, 1);
  ASSERT_NE(bye, nullptr);
  EXPECT_THAT(std::string(bye->FindTextHeader(kErrorHeader).value_or("")),
              HasSubstr("connection 3 cycle 1"));
  ASSERT_TRUE(server_->WaitForClosed(1, kWait).ok());
  const ServerStats s = server_->stats();
  ASSERT_FALSE(s.violations.first.empty());
  EXPECT_THAT(s.violations.first[0], HasSubstr("request sequence 1: "));
  EXPECT_THAT(s.violations.first[0], HasSubstr("fails its header check"));
}

TEST_F(ServerTest, ReportsAConnectionThatEndsWithoutBye) {
  absl::StatusOr<uint16_t> channel = peer_->Connect(address_, Hello(9, 100));
  ASSERT_TRUE(channel.ok()) << channel.status();
  ASSERT_TRUE(peer_->Send(OpCode::kSignal, *channel, 1, kSize).ok());
  ASSERT_TRUE(
      peer_->group().Close(*channel, ChannelGroup::CloseMode::kAbort).ok());
  ASSERT_TRUE(server_->WaitForClosed(1, kWait).ok());
  const ServerStats s = server_->stats();
  ASSERT_EQ(s.violations.first.size(), 1u);
  EXPECT_THAT(s.violations.first[0], HasSubstr("connection 9 cycle 1"));
  EXPECT_THAT(s.violations.first[0], HasSubstr("closed without a Bye"));
}

TEST_F(ServerTest, CreditsStreamsEveryHalfWindow) {
  absl::StatusOr<uint16_t> channel =
      peer_->Connect(address_, Hello(1, /*window=*/4));
  ASSERT_TRUE(channel.ok()) << channel.status();
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(peer_->Send(OpCode::kSignal, *channel, seq, kSize).ok());
  }
  for (const char* expected : {"2", "4"}) {
    absl::StatusOr<MessagePtr> credit = peer_->Next();
    ASSERT_TRUE(credit.ok()) << credit.status();
    EXPECT_EQ((*credit)->header().op_code, OpCode::kSignal);
    EXPECT_EQ((*credit)->FindTextHeader(kAckHeader), expected);
  }
  MessagePtr bye = Bye(*channel, 5);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->FindTextHeader(kReceivedHeader), "5");
  ASSERT_TRUE(server_->WaitForClosed(1, kWait).ok());
  EXPECT_EQ(server_->stats().violations.count, 0u);
}

TEST_F(ServerTest, WaitForClosedTimesOutNamingTheCounts) {
  absl::StatusOr<uint16_t> channel = peer_->Connect(address_, Hello(1));
  ASSERT_TRUE(channel.ok()) << channel.status();
  const absl::Status s = server_->WaitForClosed(1, absl::Milliseconds(50));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("answered 1 HelloRequests and saw 0 closed"));
}

}  // namespace
}  // namespace tofu::stress
