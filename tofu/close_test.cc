// Closing a channel whatever the peer does: crossing ByeRequests, a
// ByeRequest nobody answers (bye_timeout), and a peer's end of stream after
// frames. Every wait is bounded; a hang fails with what was seen so far.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tofu/testing/raw_peer.h"
#include "tofu/testing/scenarios.h"
#include "tofu/tofu.h"

namespace tofu {
namespace {

using namespace ::tofu::scenario;  // NOLINT(build/namespaces): test vocabulary

constexpr absl::Duration kBye = absl::Milliseconds(200);
// What the engine may take beyond a deadline before the test calls it late
// (sanitizers run the engine several times slower).
constexpr absl::Duration kSlack = absl::Seconds(3);

std::string Describe(const Message& m) {
  const BinaryHeader& h = m.header();
  return absl::StrCat("op ", static_cast<int>(h.op_code), " channel ",
                      h.channel_number, " id ", h.message_id, " status ",
                      StatusCodeName(h.status), " arrival ",
                      static_cast<int>(m.arrival()));
}

// A notification the engine may send at any time with the default pool; not
// an error.
bool IsPoolEmpty(const Message& m) {
  return m.arrival() == Arrival::kNotification &&
         m.header().status == StatusCode::kPoolEmpty;
}

// The next message that is not a pool_empty notification.
MessagePtr NextOfInterest(ChannelGroup& group) {
  MessagePtr m;
  do {
    m = Next(group);
  } while (m != nullptr && IsPoolEmpty(*m));
  return m;
}

class CloseTest : public testing::TestWithParam<Transport> {
 protected:
  void SetUp() override { TransportAvailable(GetParam()); }
};

std::string Name(const testing::TestParamInfo<Transport>& info) {
  return TransportName(info.param);
}

// One side of a crossing close: posts its ByeRequest, answers the peer's,
// and reads until channel_closed or `deadline`.
struct CrossingSide {
  bool got_peer_bye = false;
  bool answered = false;
  bool closed = false;
  std::vector<std::string> errors;
  std::vector<std::string> seen;

  void Run(Env& env, uint16_t channel, absl::Time deadline) {
    MessagePtr bye = Make(*env.engine, OpCode::kByeRequest, channel);
    if (!env.group->Post(bye).ok()) {
      errors.push_back("posting the ByeRequest failed");
      return;
    }
    while (!closed && absl::Now() < deadline) {
      absl::StatusOr<MessagePtr> m =
          env.group->WaitReceive(deadline - absl::Now());
      if (absl::IsDeadlineExceeded(m.status())) break;
      if (!m.ok()) {
        errors.push_back(m.status().ToString());
        return;
      }
      if (*m == nullptr) break;
      seen.push_back(Describe(**m));
      const BinaryHeader& h = (*m)->header();
      if ((*m)->arrival() == Arrival::kFrame &&
          h.op_code == OpCode::kByeRequest) {
        got_peer_bye = true;
        answered = Answer(*env.group, *m);
        continue;
      }
      if ((*m)->arrival() == Arrival::kNotification &&
          h.status == StatusCode::kChannelClosed) {
        closed = h.channel_number == channel;
        continue;
      }
      if (h.status != StatusCode::kSuccess && !IsPoolEmpty(**m)) {
        errors.push_back(seen.back());
      }
    }
  }
};

// Both applications post a ByeRequest on one channel at once; each answers
// the other's. Both channels close cleanly within 1 s, rounds after rounds.
TEST_P(CloseTest, CrossingByeRequestsCloseBothSidesCleanly) {
  Env server = NewEnv();
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  for (int round = 0; round < 10; ++round) {
    Connection c = Handshake(server, client, l);
    ASSERT_NE(c.client, 0);
    CrossingSide client_side;
    CrossingSide server_side;
    const absl::Time deadline = absl::Now() + absl::Seconds(1);
    std::thread server_thread(
        [&] { server_side.Run(server, c.server, deadline); });
    client_side.Run(client, c.client, deadline);
    server_thread.join();
    for (const CrossingSide* side : {&client_side, &server_side}) {
      const char* who = side == &client_side ? "client" : "server";
      SCOPED_TRACE(absl::StrCat("round ", round, ", ", who,
                                " saw: ", absl::StrJoin(side->seen, "; ")));
      EXPECT_TRUE(side->got_peer_bye) << who << ": no ByeRequest from the peer";
      EXPECT_TRUE(side->answered) << who << ": its ByeResponse was refused";
      EXPECT_TRUE(side->closed) << who << ": no channel_closed within 1 s";
      EXPECT_TRUE(side->errors.empty())
          << who << ": " << absl::StrJoin(side->errors, "; ");
    }
    if (HasFailure()) return;  // the channels are stuck; the engines abort them
  }
}

// Reads `group` until `channel`'s channel_closed or `deadline`, collecting the
// returned messages on the way. False (with a failure) on timeout.
bool CollectUntilClosed(ChannelGroup& group, uint16_t channel,
                        absl::Time deadline, std::vector<MessagePtr>& returned,
                        absl::Time* closed_at) {
  std::vector<std::string> seen;
  while (absl::Now() < deadline) {
    absl::StatusOr<MessagePtr> m = group.WaitReceive(deadline - absl::Now());
    if (!m.ok() || *m == nullptr) break;
    seen.push_back(Describe(**m));
    if ((*m)->arrival() == Arrival::kNotification &&
        (*m)->header().status == StatusCode::kChannelClosed &&
        (*m)->header().channel_number == channel) {
      *closed_at = absl::Now();
      return true;
    }
    if ((*m)->arrival() == Arrival::kReturned)
      returned.push_back(std::move(*m));
  }
  ADD_FAILURE() << "no channel_closed for channel " << channel
                << " in time; saw: " << absl::StrJoin(seen, "; ");
  return false;
}

// The peer application reads the ByeRequest and never answers: after
// bye_timeout the channel is aborted, what was posted after the ByeRequest
// comes back, then channel_closed; the peer sees its channel close too.
TEST_P(CloseTest, UnansweredByeRequestEndsAfterByeTimeout) {
  Env server = NewEnv();
  Env client = NewEnv({.bye_timeout = kBye});
  Listener l = Listen(server, GetParam());
  Connection c = Handshake(server, client, l);
  ASSERT_NE(c.client, 0);

  const absl::Time start = absl::Now();
  MessagePtr bye = Make(*client.engine, OpCode::kByeRequest, c.client);
  ASSERT_TRUE(client.group->Post(bye).ok());
  MessagePtr after = Make(*client.engine, OpCode::kRequest, c.client, "after");
  ASSERT_TRUE(client.group->Post(after).ok());
  MessagePtr held = Next(*server.group);  // the ByeRequest, never answered
  ASSERT_NE(held, nullptr);
  ASSERT_EQ(held->header().op_code, OpCode::kByeRequest);

  std::vector<MessagePtr> returned;
  absl::Time closed_at;
  ASSERT_TRUE(CollectUntilClosed(*client.group, c.client, start + kBye + kSlack,
                                 returned, &closed_at));
  EXPECT_GE(closed_at - start, kBye - absl::Milliseconds(10))
      << "aborted before bye_timeout";
  ASSERT_EQ(returned.size(), 1u) << "the Request posted after the ByeRequest "
                                    "must come back, once";
  EXPECT_EQ(returned[0]->body().view(), "after");
  EXPECT_NE(returned[0]->header().status, StatusCode::kSuccess);
  ExpectClosed(*server.group, c.server);
}

// The same against a raw peer that reads and never answers: the ByeRequest is
// the last frame written, and the engine drops the connection after
// bye_timeout.
TEST_P(CloseTest, ByeRequestToASilentRawPeerEndsAfterByeTimeout) {
  Env server = NewEnv({.bye_timeout = kBye});
  Listener l = Listen(server, GetParam());
  absl::StatusOr<RawPeer> peer = RawPeer::Connect(l.address);
  ASSERT_TRUE(peer.ok()) << peer.status();
  ASSERT_TRUE(peer->Send(
      RawFrame{.channel = 9, .opcode = kRawHelloRequest, .id = 1}.Encode(),
      kWait));
  MessagePtr hello = Next(*server.group);
  ASSERT_NE(hello, nullptr);
  const uint16_t channel = hello->header().channel_number;
  ASSERT_TRUE(Answer(*server.group, hello));
  std::optional<RawFrame> response = peer->Receive(kWait);
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->opcode, kRawHelloResponse);

  const absl::Time start = absl::Now();
  MessagePtr bye = Make(*server.engine, OpCode::kByeRequest, channel, "", 77);
  ASSERT_TRUE(server.group->Post(bye).ok());
  MessagePtr after = Make(*server.engine, OpCode::kSignal, channel, "after");
  ASSERT_TRUE(server.group->Post(after).ok());
  std::optional<RawFrame> frame = peer->Receive(kWait);
  ASSERT_TRUE(frame.has_value()) << "the ByeRequest never arrived";
  EXPECT_EQ(frame->opcode, kRawByeRequest);
  EXPECT_EQ(frame->id, 77u);

  std::vector<MessagePtr> returned;
  absl::Time closed_at;
  ASSERT_TRUE(CollectUntilClosed(*server.group, channel, start + kBye + kSlack,
                                 returned, &closed_at));
  EXPECT_GE(closed_at - start, kBye - absl::Milliseconds(10));
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0]->body().view(), "after");
  // Nothing follows the ByeRequest but the end of the connection.
  std::optional<RawFrame> extra = peer->Receive(kSlack);
  EXPECT_FALSE(extra.has_value())
      << "a frame was written after the ByeRequest: opcode "
      << static_cast<int>(extra->opcode) << " body " << extra->body;
  EXPECT_TRUE(peer->WaitClosedByPeer(kSlack))
      << "the connection stayed open after the abort";
}

// A raw peer sends 100 Requests and half-closes. They are delivered in order,
// then channel_closed; the application's answers are each either written or
// returned (before channel_closed if posted before the close, after it
// otherwise), never lost; a post after channel_closed comes back.
TEST_P(CloseTest, PeerEndOfStreamAfterFramesDeliversThemThenCloses) {
  Env server = NewEnv();
  Listener l = Listen(server, GetParam());
  absl::StatusOr<RawPeer> peer = RawPeer::Connect(l.address);
  ASSERT_TRUE(peer.ok()) << peer.status();
  std::string burst =
      RawFrame{.channel = 3, .opcode = kRawHelloRequest, .id = 1000}.Encode();
  constexpr int kFrames = 100;
  for (int i = 1; i <= kFrames; ++i) {
    burst += RawFrame{.channel = 3,
                      .opcode = kRawRequest,
                      .id = static_cast<uint64_t>(i),
                      .body = absl::StrCat("request ", i)}
                 .Encode();
  }
  ASSERT_TRUE(peer->Send(burst, kWait));
  ASSERT_TRUE(peer->ShutdownWrite());

  MessagePtr hello = Next(*server.group);
  ASSERT_NE(hello, nullptr);
  ASSERT_EQ(hello->header().op_code, OpCode::kHelloRequest);
  const uint16_t channel = hello->header().channel_number;
  ASSERT_TRUE(Answer(*server.group, hello));
  for (int i = 1; i <= kFrames; ++i) {
    MessagePtr m = NextOfInterest(*server.group);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->arrival(), Arrival::kFrame)
        << "frame " << i << ": " << Describe(*m);
    ASSERT_EQ(m->header().message_id, static_cast<uint64_t>(i));
    ASSERT_EQ(m->body().view(), absl::StrCat("request ", i));
    ASSERT_TRUE(Answer(*server.group, m));
  }
  std::vector<MessagePtr> returned;
  absl::Time closed_at;
  ASSERT_TRUE(CollectUntilClosed(*server.group, channel, absl::Now() + kSlack,
                                 returned, &closed_at));
  // A post after channel_closed comes back. So may answers posted just
  // before it, which the engine took after it had closed the channel.
  MessagePtr late = Make(*server.engine, OpCode::kSignal, channel, "late");
  ASSERT_TRUE(server.group->Post(late).ok());
  while (true) {
    MessagePtr back = NextOfInterest(*server.group);
    ASSERT_NE(back, nullptr) << "the post after channel_closed never came back";
    ASSERT_EQ(back->arrival(), Arrival::kReturned) << Describe(*back);
    if (back->body().view() == "late") break;
    returned.push_back(std::move(back));
  }

  // Every answer was written (the peer reads it) or came back, in order.
  std::optional<RawFrame> f = peer->Receive(kWait);
  ASSERT_TRUE(f.has_value() && f->opcode == kRawHelloResponse);
  int written = 0;
  while ((f = peer->Receive(absl::Seconds(1))).has_value()) {
    EXPECT_EQ(f->opcode, kRawResponse);
    EXPECT_EQ(f->id, static_cast<uint64_t>(written + 1));
    ++written;
  }
  // Answers posted after the close come back after channel_closed.
  while (written + static_cast<int>(returned.size()) < kFrames) {
    MessagePtr m = NextOfInterest(*server.group);
    if (m == nullptr) break;
    ASSERT_EQ(m->arrival(), Arrival::kReturned) << Describe(*m);
    returned.push_back(std::move(m));
  }
  EXPECT_EQ(written + static_cast<int>(returned.size()), kFrames)
      << written << " answers written, " << returned.size() << " returned";
  for (size_t i = 0; i < returned.size(); ++i) {
    EXPECT_EQ(returned[i]->header().message_id,
              static_cast<uint64_t>(written + 1 + static_cast<int>(i)));
  }
  EXPECT_TRUE(peer->WaitClosedByPeer(kSlack));
}

INSTANTIATE_TEST_SUITE_P(Transports, CloseTest,
                         testing::Values(Transport::kTcp, Transport::kUds),
                         Name);

}  // namespace
}  // namespace tofu
