// The public API's helpers, written as an application would: tofu/tofu.h only
// (and a raw socket for the one hostile peer).
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tofu/tofu.h"
#include "transport/socket.h"

namespace tofu {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);

struct Side {
  std::unique_ptr<Engine> engine = Engine::Create().value();
  std::unique_ptr<ChannelGroup> group = engine->CreateGroup().value();

  MessagePtr Next() {
    absl::StatusOr<MessagePtr> m = group->WaitReceive(kWait);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::move(*m) : nullptr;
  }
};

// Listens on 127.0.0.1 port 0; the bound address.
Address ListenLocally(Side& server) {
  absl::StatusOr<BinaryHeader> posted =
      server.group->Listen(Address::Tcp("127.0.0.1", 0));
  EXPECT_TRUE(posted.ok()) << posted.status();
  MessagePtr welcome = server.Next();
  EXPECT_NE(welcome, nullptr);
  if (welcome == nullptr) return Address();
  EXPECT_EQ(Classify(*welcome).kind, Received::Kind::kReturned);
  EXPECT_EQ(welcome->header().channel_number, posted->channel_number);
  absl::StatusOr<Address> bound = ListenAddressOf(*welcome);
  EXPECT_TRUE(bound.ok()) << bound.status();
  return bound.value_or(Address());
}

// Connects and has the server answer with Reply; the two channels.
std::pair<uint16_t, uint16_t> Handshake(Side& server, Side& client,
                                        const Address& at) {
  absl::StatusOr<BinaryHeader> hello = client.group->Connect(at);
  EXPECT_TRUE(hello.ok()) << hello.status();
  MessagePtr request = server.Next();
  EXPECT_NE(request, nullptr);
  if (request == nullptr) return {0, 0};
  EXPECT_EQ(request->header().op_code, OpCode::kHelloRequest);
  const uint16_t server_channel = request->header().channel_number;
  EXPECT_TRUE(server.group->Reply(std::move(request)).ok());
  MessagePtr response = client.Next();
  EXPECT_NE(response, nullptr);
  if (response == nullptr) return {0, 0};
  EXPECT_EQ(response->header().op_code, OpCode::kHelloResponse);
  EXPECT_EQ(response->header().message_id, hello->message_id);
  return {hello->channel_number, server_channel};
}

TEST(Api, WaitReceiveTimesOutWithDeadlineExceeded) {
  Side side;
  absl::StatusOr<MessagePtr> m = side.group->WaitReceive(absl::Milliseconds(1));
  EXPECT_TRUE(absl::IsDeadlineExceeded(m.status())) << m.status();
  EXPECT_NE(StatusCodeOf(m.status()), StatusCode::kShutdownStarted);
  side.group->Destroy();
  m = side.group->WaitReceive(absl::Milliseconds(1));
  EXPECT_EQ(StatusCodeOf(m.status()), StatusCode::kShutdownStarted);
}

TEST(Api, PostByMoveKeepsTheMessageOnFailure) {
  Side side;
  MessagePtr m = side.engine->Get(AllocationStrategy::kAlways);
  m->body().Append("kept");
  // Channel 0 is only for Hello/WelcomeRequests.
  absl::StatusOr<BinaryHeader> r = side.group->Post(std::move(m));
  EXPECT_EQ(StatusCodeOf(r.status()), StatusCode::kInvalidChannelNumber);
  ASSERT_NE(m, nullptr);  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(m->body().view(), "kept");
  EXPECT_EQ(m->header().status, StatusCode::kInvalidChannelNumber);

  ASSERT_TRUE(MakeHelloRequest(Address::Tcp("127.0.0.1", 1), *m).ok());
  r = side.group->Post(std::move(m));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(m, nullptr);  // NOLINT(bugprone-use-after-move): taken
  EXPECT_NE(r->channel_number, 0);
  // A temporary works too.
  EXPECT_TRUE(side.group->Post(side.engine->Get(AllocationStrategy::kAlways))
                  .status()
                  .code() == absl::StatusCode::kInvalidArgument);
}

TEST(Api, AddressHelpersShapeTheRequests) {
  MessagePtr m = Message::Create();
  ASSERT_TRUE(m->AddTextHeader("x-app", "kept").ok());
  ASSERT_TRUE(MakeHelloRequest(Address::Uds("/tmp/s"), *m).ok());
  EXPECT_EQ(m->header().op_code, OpCode::kHelloRequest);
  EXPECT_EQ(m->FindTextHeader("x-app"), "kept");
  EXPECT_EQ(m->FindTextHeader("~connect_to"), "uds|/tmp/s");
  MessagePtr w = Message::Create();
  ASSERT_TRUE(MakeWelcomeRequest(Address::Tcp("", 0), *w).ok());
  EXPECT_EQ(w->header().op_code, OpCode::kWelcomeRequest);
  EXPECT_EQ(w->FindTextHeader("~listen_on"), "tcp||0");
  // A client needs a host; the message is left alone.
  MessagePtr bad = Message::Create();
  EXPECT_EQ(StatusCodeOf(MakeHelloRequest(Address::Tcp("", 80), *bad)),
            StatusCode::kInvalidAddress);
  EXPECT_TRUE(bad->text_headers().empty());
  // Only a successful WelcomeResponse has a listen address.
  EXPECT_EQ(StatusCodeOf(ListenAddressOf(*w).status()),
            StatusCode::kInvalidAddress);
}

TEST(Api, ReplyTurnsEachRequestIntoItsAnswer) {
  const std::pair<OpCode, OpCode> pairs[] = {
      {OpCode::kRequest, OpCode::kResponse},
      {OpCode::kHelloRequest, OpCode::kHelloResponse},
      {OpCode::kByeRequest, OpCode::kByeResponse},
  };
  for (const auto& [request, answer] : pairs) {
    MessagePtr m = Message::Create();
    m->header().op_code = request;
    m->header().channel_number = 7;
    m->header().message_id = 42;
    m->header().status = StatusCode::kPoolEmpty;
    m->header().more = true;
    m->body().Append("body");
    ASSERT_TRUE(MakeReply(*m).ok());
    EXPECT_EQ(m->header().op_code, answer);
    EXPECT_EQ(m->header().channel_number, 7);
    EXPECT_EQ(m->header().message_id, 42u);
    EXPECT_EQ(m->header().status, StatusCode::kSuccess);
    EXPECT_FALSE(m->header().more);
    EXPECT_EQ(m->body().view(), "body");
  }
  MessagePtr signal = Message::Create();
  signal->header().op_code = OpCode::kSignal;
  EXPECT_EQ(StatusCodeOf(MakeReply(*signal)), StatusCode::kInvalidOpCode);
  EXPECT_EQ(signal->header().op_code, OpCode::kSignal);
}

TEST(Api, EchoGracefulCloseAndWhatEachMessageIs) {
  Side server;
  Side client;
  const Address at = ListenLocally(server);
  const auto [client_channel, server_channel] = Handshake(server, client, at);
  ASSERT_NE(client_channel, 0);

  MessagePtr request = client.engine->Get(AllocationStrategy::kAlways);
  request->header().op_code = OpCode::kRequest;
  request->header().channel_number = client_channel;
  ASSERT_TRUE(request->AddTextHeader("a", "1").ok());
  ASSERT_TRUE(request->AddTextHeader("b", "2").ok());
  request->body().Append("ping");
  absl::StatusOr<BinaryHeader> sent = client.group->Post(std::move(request));
  ASSERT_TRUE(sent.ok());

  MessagePtr got = server.Next();
  ASSERT_NE(got, nullptr);
  Received r = Classify(*got);
  EXPECT_EQ(r.kind, Received::Kind::kFrame);
  EXPECT_EQ(r.op_code, OpCode::kRequest);
  EXPECT_EQ(r.channel_number, server_channel);
  std::string headers;
  for (const TextHeader& h : got->AllTextHeaders()) {
    headers += std::string(h.name) + "=" + std::string(h.value) + ";";
  }
  EXPECT_EQ(headers, "a=1;b=2;");
  // A Signal has no answer: the caller keeps it.
  got->header().op_code = OpCode::kSignal;
  EXPECT_EQ(StatusCodeOf(server.group->Reply(got).status()),
            StatusCode::kInvalidOpCode);
  ASSERT_NE(got, nullptr);
  got->header().op_code = OpCode::kRequest;
  ASSERT_TRUE(server.group->Reply(got).ok());

  MessagePtr echo = client.Next();
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->header().op_code, OpCode::kResponse);
  EXPECT_EQ(echo->header().message_id, sent->message_id);
  EXPECT_EQ(echo->body().view(), "ping");

  // Graceful close: the server answers the ByeRequest; both sides close
  // without an error status.
  ASSERT_TRUE(
      client.group->Close(client_channel, ChannelGroup::CloseMode::kGraceful)
          .ok());
  MessagePtr bye = server.Next();
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->header().op_code, OpCode::kByeRequest);
  ASSERT_TRUE(server.group->Reply(bye).ok());
  for (Side* side : {&client, &server}) {
    MessagePtr m = side->Next();
    ASSERT_NE(m, nullptr);
    if (side == &client) {
      EXPECT_EQ(m->header().op_code, OpCode::kByeResponse);
      m = side->Next();
      ASSERT_NE(m, nullptr);
    }
    r = Classify(*m);
    EXPECT_EQ(r.kind, Received::Kind::kNotification);
    EXPECT_EQ(r.notification, Received::Notification::kChannelClosed);
  }

  // The engine counted it all.
  const EngineStats c = client.engine->stats();
  EXPECT_EQ(c.frames_out, 3u);  // HelloRequest, Request, ByeRequest
  EXPECT_EQ(c.frames_in, 3u);
  EXPECT_GT(c.bytes_out, 3u * 16);
  EXPECT_EQ(c.channels_open, 0u);
  const EngineStats s = server.engine->stats();
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.channels_open, 1u);  // the listener
  EXPECT_EQ(s.bytes_in, c.bytes_out);
  EXPECT_GT(s.pool.gets, 0u);
}

TEST(Api, ReturnedMessagesAndReceiverUpdates) {
  Side side;
  // A connect that fails comes back with the reason, then channel_closed.
  MessagePtr hello = side.engine->Get(AllocationStrategy::kAlways);
  ASSERT_TRUE(
      MakeHelloRequest(Address::Tcp("tofu.server.invalid", 7), *hello).ok());
  ASSERT_TRUE(side.group->Post(hello).ok());
  MessagePtr back = side.Next();
  ASSERT_NE(back, nullptr);
  Received r = Classify(*back);
  EXPECT_EQ(r.kind, Received::Kind::kReturned);
  EXPECT_EQ(r.status, StatusCode::kInvalidAddress);
  EXPECT_EQ(r.op_code, OpCode::kHelloRequest);
  MessagePtr closed = side.Next();
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(Classify(*closed).notification,
            Received::Notification::kChannelClosed);
  EXPECT_EQ(side.engine->stats().messages_returned, 1u);

  ASSERT_TRUE(side.group->UpdateReceiver(nullptr).ok());
  MessagePtr wake = side.Next();
  ASSERT_NE(wake, nullptr);
  EXPECT_EQ(Classify(*wake).kind, Received::Kind::kReceiverUpdate);
  // A frame-looking message of the application's own is still its own.
  wake->header().origin = Origin::kApplication;
  ASSERT_TRUE(side.group->UpdateReceiver(std::move(wake)).ok());
  wake = side.Next();
  ASSERT_NE(wake, nullptr);
  EXPECT_EQ(Classify(*wake).kind, Received::Kind::kReceiverUpdate);
  EXPECT_EQ(Classify(*Message::Create()).kind, Received::Kind::kNone);
}

TEST(Api, AbortiveCloseOfAListener) {
  Side server;
  const Address at = ListenLocally(server);
  ASSERT_EQ(server.engine->stats().channels_open, 1u);
  absl::StatusOr<BinaryHeader> posted =
      server.group->Listen(Address::Tcp("127.0.0.1", 0));
  ASSERT_TRUE(posted.ok());
  ASSERT_NE(server.Next(), nullptr);  // its WelcomeResponse
  ASSERT_TRUE(
      server.group
          ->Close(posted->channel_number, ChannelGroup::CloseMode::kAbort)
          .ok());
  MessagePtr signal = server.Next();
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->header().op_code, OpCode::kByeSignal);
  EXPECT_EQ(Classify(*signal).kind, Received::Kind::kReturned);
  EXPECT_EQ(Classify(*signal).status, StatusCode::kChannelClosed);
  MessagePtr closed = server.Next();
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(Classify(*closed).notification,
            Received::Notification::kChannelClosed);
  EXPECT_EQ(closed->header().channel_number, posted->channel_number);
  EXPECT_EQ(server.engine->stats().channels_open, 1u);
  EXPECT_EQ(
      StatusCodeOf(server.group->Close(0, ChannelGroup::CloseMode::kGraceful)),
      StatusCode::kInvalidChannelNumber);
  (void)at;
}

TEST(Api, ProtocolViolationIsCountedAndNamed) {
  Side server;
  const Address at = ListenLocally(server);
  bool connected = false;
  absl::StatusOr<Socket> raw = Socket::Connect(at, &connected);
  ASSERT_TRUE(raw.ok()) << raw.status();
  // A header whose opcode (12) no peer may send.
  uint8_t frame[16] = {};
  frame[2] = 12;
  IoSlice slice{reinterpret_cast<const char*>(frame), sizeof(frame)};
  size_t sent = 0;
  for (int i = 0; i < 1000000 && sent < sizeof(frame); ++i) {
    IoResult w = raw->WriteV(absl::MakeConstSpan(&slice, 1));
    ASSERT_NE(w.kind, IoResult::Kind::kError);
    if (w.kind == IoResult::Kind::kDone) sent += w.bytes;
  }
  MessagePtr failed = server.Next();
  ASSERT_NE(failed, nullptr);
  Received r = Classify(*failed);
  EXPECT_EQ(r.kind, Received::Kind::kNotification);
  EXPECT_EQ(r.notification, Received::Notification::kChannelFailed);
  EXPECT_EQ(r.status, StatusCode::kInvalidMessage);
  MessagePtr closed = server.Next();
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(Classify(*closed).notification,
            Received::Notification::kChannelClosed);
  EXPECT_EQ(server.engine->stats().protocol_violations, 1u);
  EXPECT_EQ(server.engine->stats().connections_accepted, 1u);
}

}  // namespace
}  // namespace tofu
