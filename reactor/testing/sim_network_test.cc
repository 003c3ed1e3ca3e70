#include "reactor/testing/sim_network.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "message/status.h"
#include "reactor/notifier.h"
#include "reactor/poller.h"
#include "transport/address.h"
#include "transport/stream.h"

namespace tofu::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

Address Server(absl::string_view value) {
  return ParseAddressValue(value, Address::Role::kServer).value();
}

Address Client(absl::string_view value) {
  return ParseAddressValue(value, Address::Role::kClient).value();
}

std::string Read(Stream& stream, size_t max = 1024) {
  std::vector<uint8_t> buffer(max);
  const IoResult r = stream.ReadSome(absl::MakeSpan(buffer));
  if (r.kind != IoResult::Kind::kDone) return "<not done>";
  return std::string(buffer.begin(), buffer.begin() + r.bytes);
}

IoResult Write(Stream& stream, std::vector<std::string> parts) {
  std::vector<IoSlice> slices;
  for (const std::string& p : parts) slices.push_back({p.data(), p.size()});
  return stream.WriteV(absl::MakeConstSpan(slices));
}

std::vector<PollEvent> Wait(Poller& poller) {
  std::vector<PollEvent> events;
  EXPECT_TRUE(poller.Wait(absl::InfiniteDuration(), events).ok());
  return events;
}

class SimNetworkTest : public ::testing::Test {
 protected:
  // A connected stream (the engine's end) and its handle.
  std::unique_ptr<Stream> Connected() {
    bool connected = false;
    std::unique_ptr<Stream> s =
        std::move(network_->Connect(Client("tcp|peer|1"), &connected)).value();
    EXPECT_TRUE(connected);
    return s;
  }

  SimNetwork sim_;
  std::unique_ptr<Network> network_ = sim_.NewNetwork();
  std::unique_ptr<Poller> poller_ = sim_.NewPoller();
};

TEST_F(SimNetworkTest, ListenersGetFakeAddresses) {
  std::unique_ptr<Stream> a =
      std::move(network_->Listen(Server("tcp||0"))).value();
  std::unique_ptr<Stream> b =
      std::move(network_->Listen(Server("tcp|127.0.0.1|0"))).value();
  std::unique_ptr<Stream> c =
      std::move(network_->Listen(Server("tcp||7000"))).value();
  std::unique_ptr<Stream> d =
      std::move(network_->Listen(Server("uds|"))).value();
  std::unique_ptr<Stream> e =
      std::move(network_->Listen(Server("uds|/tmp/x"))).value();
  EXPECT_EQ(a->LocalAddress()->Value(), "tcp|sim|1");
  EXPECT_EQ(b->LocalAddress()->Value(), "tcp|sim|2");
  EXPECT_EQ(c->LocalAddress()->Value(), "tcp|sim|7000");
  EXPECT_EQ(d->LocalAddress()->Value(), absl::StrCat("uds|sim-", d->handle()));
  EXPECT_EQ(e->LocalAddress()->Value(), "uds|/tmp/x");
  EXPECT_EQ(a->LocalAddress()->role, Address::Role::kServer);
  EXPECT_THAT(sim_.streams(), ElementsAre(a->handle(), b->handle(), c->handle(),
                                          d->handle(), e->handle()));
  EXPECT_EQ(sim_.Info(a->handle())->kind, StreamInfo::Kind::kListener);
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, FailNextListenFailsOnce) {
  sim_.FailNextListen(StatusCode::kListenFailed);
  EXPECT_EQ(StatusCodeOf(network_->Listen(Server("tcp||0")).status()),
            StatusCode::kListenFailed);
  EXPECT_TRUE(network_->Listen(Server("tcp||0")).ok());
}

TEST_F(SimNetworkTest, ConnectAtOnceRefusedOrInvalid) {
  std::unique_ptr<Stream> s = Connected();
  EXPECT_TRUE(s->FinishConnect().ok());
  EXPECT_EQ(sim_.Info(s->handle())->address.Value(), "tcp|peer|1");
  EXPECT_EQ(sim_.Info(s->handle())->kind, StreamInfo::Kind::kConnected);

  bool connected = true;
  sim_.set_connect_behavior(ConnectBehavior::kRefuse);
  EXPECT_EQ(StatusCodeOf(
                network_->Connect(Client("tcp|peer|1"), &connected).status()),
            StatusCode::kConnectFailed);
  sim_.set_connect_behavior(ConnectBehavior::kInvalidAddress);
  EXPECT_EQ(StatusCodeOf(
                network_->Connect(Client("tcp|peer|1"), &connected).status()),
            StatusCode::kInvalidAddress);
  EXPECT_THAT(sim_.streams(), SizeIs(1));
}

TEST_F(SimNetworkTest, PendingConnectCompletes) {
  sim_.set_connect_behavior(ConnectBehavior::kPending);
  bool connected = true;
  std::unique_ptr<Stream> s =
      std::move(network_->Connect(Client("tcp|peer|1"), &connected)).value();
  EXPECT_FALSE(connected);
  ASSERT_TRUE(poller_->Register(s->handle(), 5, kInterestWrite).ok());
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  // Not a pending connect any more once completed.
  ASSERT_TRUE(sim_.CompleteConnect(s->handle()).ok());
  EXPECT_FALSE(sim_.CompleteConnect(s->handle()).ok());
  const std::vector<PollEvent> events = Wait(*poller_);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].token, 5u);
  EXPECT_TRUE(events[0].writable);
  EXPECT_FALSE(events[0].error);
  EXPECT_TRUE(s->FinishConnect().ok());
  poller_->Unregister(s->handle());
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, PendingConnectFails) {
  sim_.set_connect_behavior(ConnectBehavior::kPending);
  bool connected = true;
  std::unique_ptr<Stream> s =
      std::move(network_->Connect(Client("tcp|peer|1"), &connected)).value();
  ASSERT_TRUE(poller_->Register(s->handle(), 5, kInterestWrite).ok());
  ASSERT_TRUE(sim_.FailConnect(s->handle()).ok());
  const std::vector<PollEvent> events = Wait(*poller_);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_TRUE(events[0].writable);
  EXPECT_TRUE(events[0].error);
  EXPECT_EQ(StatusCodeOf(s->FinishConnect()), StatusCode::kConnectFailed);
  poller_->Unregister(s->handle());
  s->Abort();
  EXPECT_EQ(sim_.Info(s->handle())->end, StreamInfo::End::kAborted);
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, EarlyUseOfAConnectingStreamIsAViolation) {
  sim_.set_connect_behavior(ConnectBehavior::kPending);
  bool connected = true;
  std::unique_ptr<Stream> s =
      std::move(network_->Connect(Client("tcp|peer|1"), &connected)).value();
  EXPECT_FALSE(s->FinishConnect().ok());
  EXPECT_EQ(Write(*s, {"x"}).kind, IoResult::Kind::kWouldBlock);
  EXPECT_THAT(sim_.violations(),
              ElementsAre(HasSubstr("FinishConnect"), HasSubstr("WriteV")));
}

TEST_F(SimNetworkTest, AcceptsIncomingConnectionsInOrder) {
  std::unique_ptr<Stream> listener =
      std::move(network_->Listen(Server("tcp||0"))).value();
  ASSERT_TRUE(poller_->Register(listener->handle(), 9, kInterestRead).ok());
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  const NativeSocket first = sim_.AddIncoming(listener->handle()).value();
  const NativeSocket second = sim_.AddIncoming(listener->handle()).value();
  EXPECT_FALSE(sim_.Info(first)->handed_out);
  EXPECT_EQ(sim_.Info(listener->handle())->backlog, 2u);
  ASSERT_THAT(Wait(*poller_), SizeIs(1));
  EXPECT_TRUE(Wait(*poller_)[0].readable);

  ASSERT_TRUE(sim_.FailNextAccept(listener->handle()).ok());
  EXPECT_EQ(StatusCodeOf(listener->Accept().status()),
            StatusCode::kAcceptFailed);
  std::unique_ptr<Stream> a = std::move(listener->Accept()).value();
  std::unique_ptr<Stream> b = std::move(listener->Accept()).value();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->handle(), first);
  EXPECT_EQ(b->handle(), second);
  EXPECT_EQ(listener->Accept().value(), nullptr);
  EXPECT_TRUE(sim_.Info(first)->handed_out);
  EXPECT_EQ(sim_.Info(first)->kind, StreamInfo::Kind::kAccepted);
  EXPECT_EQ(sim_.Info(first)->listener, listener->handle());
  EXPECT_EQ(sim_.Info(first)->address.Value(), "tcp|sim|1");
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  poller_->Unregister(listener->handle());
  listener->Close();
  EXPECT_FALSE(sim_.AddIncoming(listener->handle()).ok());
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, ReadsInChunksThenEndOfStream) {
  std::unique_ptr<Stream> s = Connected();
  ASSERT_TRUE(sim_.Deliver(s->handle(), "hello world").ok());
  ASSERT_TRUE(sim_.SetReadChunk(s->handle(), 4).ok());
  EXPECT_FALSE(sim_.SetReadChunk(s->handle(), 0).ok());
  EXPECT_EQ(sim_.Info(s->handle())->unread, 11u);
  EXPECT_EQ(Read(*s), "hell");
  EXPECT_EQ(Read(*s, 2), "o ");
  EXPECT_EQ(Read(*s), "worl");
  EXPECT_EQ(Read(*s), "d");
  std::vector<uint8_t> buffer(8);
  EXPECT_EQ(s->ReadSome(absl::MakeSpan(buffer)).kind,
            IoResult::Kind::kWouldBlock);
  ASSERT_TRUE(sim_.Deliver(s->handle(), "!").ok());
  ASSERT_TRUE(sim_.PeerClose(s->handle()).ok());
  EXPECT_FALSE(sim_.Deliver(s->handle(), "late").ok());
  EXPECT_EQ(Read(*s), "!");
  EXPECT_EQ(s->ReadSome(absl::MakeSpan(buffer)).kind, IoResult::Kind::kClosed);
  // Half-closed: writing still works.
  EXPECT_EQ(Write(*s, {"ok"}).bytes, 2u);
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, ReadIntoTwoBuffersFillsTheFirstFirstWithinTheChunk) {
  std::unique_ptr<Stream> s = Connected();
  ASSERT_TRUE(sim_.Deliver(s->handle(), "0123456789abcdef").ok());
  ASSERT_TRUE(sim_.SetReadChunk(s->handle(), 7).ok());
  std::string first(3, '.');
  std::string second(10, '.');
  const auto span = [](std::string& b) {
    return absl::MakeSpan(reinterpret_cast<uint8_t*>(b.data()), b.size());
  };
  IoResult r = s->ReadSome(span(first), span(second));
  ASSERT_EQ(r.kind, IoResult::Kind::kDone);
  EXPECT_EQ(r.bytes, 7u);  // the chunk limits both buffers together
  EXPECT_EQ(first, "012");
  EXPECT_EQ(second, "3456......");
  ASSERT_TRUE(sim_.SetReadChunk(s->handle(), sim::kUnlimited).ok());
  r = s->ReadSome(span(first), span(second));
  EXPECT_EQ(r.bytes, 9u);
  EXPECT_EQ(first, "789");
  EXPECT_EQ(second, "abcdef....");
  EXPECT_EQ(s->ReadSome(span(first), span(second)).kind,
            IoResult::Kind::kWouldBlock);
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, WriteBudgetMakesPartialWritesAndWouldBlock) {
  std::unique_ptr<Stream> s = Connected();
  IoResult r = Write(*s, {"abc", "defgh"});
  EXPECT_EQ(r.kind, IoResult::Kind::kDone);
  EXPECT_EQ(r.bytes, 8u);
  EXPECT_EQ(sim_.TakeWritten(s->handle()), "abcdefgh");
  EXPECT_EQ(sim_.TakeWritten(s->handle()), "");

  ASSERT_TRUE(sim_.SetWriteBudget(s->handle(), 0).ok());
  EXPECT_EQ(Write(*s, {"abc"}).kind, IoResult::Kind::kWouldBlock);
  ASSERT_TRUE(sim_.SetWriteBudget(s->handle(), 5).ok());
  r = Write(*s, {"abc", "defgh"});
  EXPECT_EQ(r.kind, IoResult::Kind::kDone);
  EXPECT_EQ(r.bytes, 5u);
  EXPECT_EQ(Write(*s, {"fgh"}).kind, IoResult::Kind::kWouldBlock);
  EXPECT_EQ(sim_.Info(s->handle())->written, 13u);
  EXPECT_EQ(sim_.Info(s->handle())->untaken, 5u);
  EXPECT_EQ(sim_.TakeWritten(s->handle()), "abcde");
  ASSERT_TRUE(sim_.SetWriteBudget(s->handle(), kUnlimited).ok());
  EXPECT_EQ(Write(*s, {"fgh"}).bytes, 3u);
  EXPECT_EQ(sim_.TakeWritten(s->handle()), "fgh");
}

TEST_F(SimNetworkTest, PollerHonoursInterestAndIsLevelTriggered) {
  std::unique_ptr<Stream> s = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(s->handle(), 0).ok());
  ASSERT_TRUE(poller_->Register(s->handle(), 42, kInterestRead).ok());
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  ASSERT_TRUE(sim_.Deliver(s->handle(), "x").ok());
  for (int i = 0; i < 2; ++i) {  // level-triggered: reported until read
    const std::vector<PollEvent> events = Wait(*poller_);
    ASSERT_THAT(events, SizeIs(1));
    EXPECT_EQ(events[0].token, 42u);
    EXPECT_TRUE(events[0].readable);
    EXPECT_FALSE(events[0].writable);
  }
  ASSERT_TRUE(poller_->Modify(s->handle(), 43, kInterestWrite).ok());
  EXPECT_THAT(Wait(*poller_), IsEmpty());  // data, but no read interest
  ASSERT_TRUE(sim_.SetWriteBudget(s->handle(), 1).ok());
  std::vector<PollEvent> events = Wait(*poller_);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].token, 43u);
  EXPECT_TRUE(events[0].writable);
  EXPECT_FALSE(events[0].readable);
  ASSERT_TRUE(poller_->Modify(s->handle(), 43, kInterestNone).ok());
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  EXPECT_EQ(sim_.Info(s->handle())->token, 43u);
  EXPECT_EQ(sim_.Info(s->handle())->interest, kInterestNone);
  EXPECT_TRUE(sim_.Info(s->handle())->registered);
  poller_->Unregister(s->handle());
  EXPECT_FALSE(sim_.Info(s->handle())->registered);
  EXPECT_EQ(sim_.Info(s->handle())->token, 43u);  // kept
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

// A reset is an error the poller reports only once the socket has an
// interest again (Poller's contract for kInterestNone).
TEST_F(SimNetworkTest, ResetFailsReadsAndWritesAndIsReportedOnceAsked) {
  std::unique_ptr<Stream> s = Connected();
  ASSERT_TRUE(sim_.Deliver(s->handle(), "unread").ok());
  ASSERT_TRUE(poller_->Register(s->handle(), 1, kInterestNone).ok());
  ASSERT_TRUE(sim_.PeerReset(s->handle()).ok());
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  ASSERT_TRUE(poller_->Modify(s->handle(), 1, kInterestWrite).ok());
  const std::vector<PollEvent> events = Wait(*poller_);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_TRUE(events[0].error);
  EXPECT_FALSE(events[0].readable);
  std::vector<uint8_t> buffer(8);
  IoResult r = s->ReadSome(absl::MakeSpan(buffer));
  EXPECT_EQ(r.kind, IoResult::Kind::kError);
  EXPECT_EQ(r.error, kResetError);
  EXPECT_EQ(Write(*s, {"x"}).kind, IoResult::Kind::kError);
  EXPECT_FALSE(sim_.Deliver(s->handle(), "more").ok());
  poller_->Unregister(s->handle());
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST_F(SimNetworkTest, NotifierIsReportedUntilDrained) {
  std::unique_ptr<Notifier> n = std::move(poller_->CreateNotifier(0)).value();
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  n->Notify();
  n->Notify();
  for (int i = 0; i < 2; ++i) {
    const std::vector<PollEvent> events = Wait(*poller_);
    ASSERT_THAT(events, SizeIs(1));  // coalesced
    EXPECT_EQ(events[0].token, 0u);
    EXPECT_TRUE(events[0].readable);
  }
  n->Drain();
  EXPECT_THAT(Wait(*poller_), IsEmpty());
  EXPECT_EQ(sim_.wait_calls(), 4u);
}

TEST_F(SimNetworkTest, FailNextWaitFailsOnce) {
  sim_.FailNextWait();
  std::vector<PollEvent> events{PollEvent{}};
  EXPECT_FALSE(poller_->Wait(absl::ZeroDuration(), events).ok());
  EXPECT_THAT(events, IsEmpty());
  EXPECT_TRUE(poller_->Wait(absl::ZeroDuration(), events).ok());
}

TEST_F(SimNetworkTest, RecordsContractViolations) {
  std::unique_ptr<Stream> s = Connected();
  const NativeSocket h = s->handle();
  ASSERT_TRUE(poller_->Register(h, 1, kInterestRead).ok());
  EXPECT_FALSE(poller_->Register(h, 1, kInterestRead).ok());
  s->Close();  // still registered
  std::vector<uint8_t> buffer(8);
  EXPECT_EQ(s->ReadSome(absl::MakeSpan(buffer)).kind, IoResult::Kind::kError);
  s->Abort();
  poller_->Unregister(h);
  poller_->Unregister(h);
  EXPECT_FALSE(poller_->Modify(h, 1, kInterestRead).ok());
  EXPECT_FALSE(poller_->Register(12345, 1, kInterestRead).ok());
  EXPECT_THAT(
      sim_.violations(),
      ElementsAre(HasSubstr("twice"), HasSubstr("while it is registered"),
                  HasSubstr("ReadSome on stream"), HasSubstr("Abort on stream"),
                  HasSubstr("Unregister"), HasSubstr("Modify"),
                  HasSubstr("unknown handle")));
  // Closed once, gracefully: the later Abort did not count.
  EXPECT_EQ(sim_.Info(h)->end, StreamInfo::End::kClosed);
}

TEST_F(SimNetworkTest, DestroyingAStreamClosesItGracefully) {
  NativeSocket h;
  {
    std::unique_ptr<Stream> s = Connected();
    h = s->handle();
  }
  EXPECT_EQ(sim_.Info(h)->end, StreamInfo::End::kClosed);
  {
    std::unique_ptr<Stream> s = Connected();
    s->Abort();
    h = s->handle();
  }
  EXPECT_EQ(sim_.Info(h)->end, StreamInfo::End::kAborted);
  EXPECT_THAT(sim_.violations(), IsEmpty());
}

TEST(SimNetwork, ObjectsMayOutliveIt) {
  std::unique_ptr<Network> network;
  std::unique_ptr<Poller> poller;
  std::unique_ptr<Stream> stream;
  {
    SimNetwork sim;
    network = sim.NewNetwork();
    poller = sim.NewPoller();
    bool connected = false;
    stream = std::move(network->Connect(Client("tcp|a|1"), &connected)).value();
    ASSERT_TRUE(sim.Deliver(stream->handle(), "x").ok());
    ASSERT_TRUE(poller->Register(stream->handle(), 3, kInterestRead).ok());
  }
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::ZeroDuration(), events).ok());
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(Read(*stream), "x");
  poller->Unregister(stream->handle());
  stream.reset();
  poller.reset();
  network.reset();
}

}  // namespace
}  // namespace tofu::sim
