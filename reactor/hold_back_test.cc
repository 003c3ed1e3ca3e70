// The engine holding reading back, driven on the simulated network: the group
// reserve, the partial-frame cap and its queue, the deadlines' clocks while
// the engine itself holds a channel, and the crossed Bye's answer behind an
// oob post. Each test failed on the engine before the fix it covers.
#include <atomic>
#include <chrono>
#include <thread>

#include "reactor/deadlines.h"
#include "reactor/testing/driven_reactor_fixture.h"

namespace tofu {
namespace driven_testing {
namespace {

class HoldBackTest : public DrivenReactorTest {
 protected:
  // Runs the loop until the application's thread sets `done` (bounded: the
  // waiting thread's own timeout ends it).
  void RunUntil(const std::atomic<bool>& done) {
    while (!done.load()) {
      reactor_->RunOnce(absl::ZeroDuration());
      std::this_thread::yield();
    }
  }

  // Group A's channel leaves frames unread until the pool {2, 2} is dry;
  // returns a second group's connected channel, whose application then
  // blocks on an empty inbox.
  struct Blocked {
    std::shared_ptr<GroupInbox> group;
    NativeSocket stream;
  };
  Blocked DryPoolAndSecondGroup() {
    MakeReactor(PoolOptions{2, 2});
    const Client a = Connected();
    Deliver(a.stream, Frame(OpCode::kRequest, 1, "a1"));
    Deliver(a.stream, Frame(OpCode::kRequest, 2, "a2"));
    Run(2);
    Blocked b{reactor_->CreateGroup().value(), 0};
    MessagePtr hello = NewMessage(OpCode::kHelloRequest, 0, "hi");
    EXPECT_TRUE(hello->AddTextHeader(kConnectToHeader, "tcp|server|80").ok());
    const BinaryHeader hb = reactor_->Post(*b.group, hello).value();
    Run(2);
    b.stream = StreamOf(hb.channel_number);
    sim_.TakeWritten(b.stream);
    // The HelloRequest came back to the pool once written: A takes it too.
    Deliver(a.stream, Frame(OpCode::kRequest, 3, "a3"));
    Run(2);
    EXPECT_EQ(reactor_->pool().stats().idle, 0u);
    return b;
  }

  // B's application drains its inbox, then waits (up to 10 s) while the
  // loop runs here; returns what it got.
  MessagePtr WaitBlocked(GroupInbox& group) {
    while (true) {
      absl::StatusOr<MessagePtr> m = group.Wait(absl::ZeroDuration());
      if (!m.ok() || *m == nullptr) break;
    }
    std::atomic<bool> done{false};
    MessagePtr got;
    std::thread app([&] {
      absl::StatusOr<MessagePtr> m = group.Wait(absl::Seconds(10));
      if (m.ok()) got = std::move(*m);
      done.store(true);
    });
    RunUntil(done);
    app.join();
    return got;
  }
};

TEST_F(HoldBackTest, ABlockedGroupGetsItsReserveForAWholeFrame) {
  Blocked b = DryPoolAndSecondGroup();
  Deliver(b.stream, Frame(OpCode::kRequest, 7, std::string(200, 'b')));
  Run(2);
  MessagePtr got = WaitBlocked(*b.group);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->header().message_id, 7u);
}

TEST_F(HoldBackTest, ABlockedGroupGetsItsReserveForAFrameSplitAcrossReads) {
  Blocked b = DryPoolAndSecondGroup();
  const std::string f = Frame(OpCode::kRequest, 7, std::string(200, 'b'));
  Deliver(b.stream, f.substr(0, kBinaryHeaderSize + 50));
  Run(2);
  Deliver(b.stream, f.substr(kBinaryHeaderSize + 50));
  MessagePtr got = WaitBlocked(*b.group);
  ASSERT_NE(got, nullptr) << "the blocked group never got its reserve frame";
  EXPECT_EQ(got->header().message_id, 7u);
  EXPECT_EQ(got->body().size(), 200u);
}

// A peer that always keeps a frame incomplete (each one completes well
// within the frame deadline, the next starting in the same read) cannot keep
// the only partial-frame slot from a channel waiting for it, and the waiting
// channel, whose frame came whole, is neither starved nor timed out.
TEST_F(HoldBackTest, APartialSlotGoesToTheChannelsWaitingForItInTurn) {
  MakeReactor(PoolOptions{2, 2});  // one partial-frame slot
  SteadyTime now{};
  reactor_->SetTimeoutsForTesting(
      Timeouts{absl::ZeroDuration(), absl::ZeroDuration(), absl::Seconds(30)},
      [&now] { return now; });
  const Client hostile = Connected();
  const Client honest = Connected();
  const std::string body(100, 'x');
  uint64_t id = 1;
  std::string hf = Frame(OpCode::kRequest, id, body);
  Deliver(hostile.stream, hf.substr(0, kBinaryHeaderSize + 1));
  Run();
  const std::string cf = Frame(OpCode::kRequest, 500, body);
  Deliver(honest.stream, cf.substr(0, kBinaryHeaderSize + 10));
  Run();
  Deliver(honest.stream, cf.substr(kBinaryHeaderSize + 10));
  bool honest_frame = false;
  bool honest_failed = false;
  for (int step = 0; step < 20; ++step) {
    now += std::chrono::seconds(5);
    const std::string next = Frame(OpCode::kRequest, id + 1, body);
    Deliver(hostile.stream, hf.substr(kBinaryHeaderSize + 1) +
                                next.substr(0, kBinaryHeaderSize + 1));
    hf = next;
    ++id;
    Run(2);
    for (MessagePtr& m : Received()) {
      if (m->header().channel_number != honest.channel) continue;
      honest_frame |=
          m->arrival() == Arrival::kFrame && m->header().message_id == 500;
      honest_failed |= m->header().status == StatusCode::kCommunicationFailed;
    }
  }
  EXPECT_TRUE(honest_frame) << "the waiting channel never got its frame";
  EXPECT_FALSE(honest_failed) << "a channel whose frame came whole timed out";
}

// While the engine holds a channel back for want of pool messages, its
// deadlines stand still: the peer answered the ByeRequest at once.
TEST_F(HoldBackTest, DeadlinesStandStillWhileThePoolHoldsAChannel) {
  MakeReactor(PoolOptions{2, 2});
  SteadyTime now{};
  reactor_->SetTimeoutsForTesting(
      Timeouts{absl::Seconds(5), absl::ZeroDuration(), absl::ZeroDuration()},
      [&now] { return now; });
  const Client c = Connected();
  const BinaryHeader bye =
      Post(NewMessage(OpCode::kByeRequest, c.channel, "bye"));
  Run(2);
  ASSERT_THAT(PeerReads(c.stream), SizeIs(1));
  std::vector<MessagePtr> held;
  for (uint64_t id = 1; id <= 4; ++id) {
    Deliver(c.stream, Frame(OpCode::kRequest, id, "x"));
    Run();
    for (MessagePtr& m : Received()) held.push_back(std::move(m));
  }
  ASSERT_EQ(reactor_->pool().stats().idle, 0u);
  Deliver(c.stream, Frame(OpCode::kByeResponse, bye.message_id));
  for (int i = 0; i < 4; ++i) {
    now += std::chrono::seconds(2);
    Run();
    for (MessagePtr& m : Received()) {
      EXPECT_NE(m->header().status, StatusCode::kCommunicationFailed)
          << "the bye deadline ran while the engine held the channel";
      held.push_back(std::move(m));
    }
  }
}

// Crossed Byes: our ByeResponse, then an oob post before the loop runs. The
// ByeResponse still goes out (the oob one may not, after our ByeRequest).
TEST_F(HoldBackTest, AnOobPostDoesNotBlockACrossedByesAnswer) {
  const Client c = Connected();
  Post(NewMessage(OpCode::kByeRequest, c.channel, "bye"));
  Run();
  ASSERT_THAT(PeerReads(c.stream), SizeIs(1));
  Deliver(c.stream, Frame(OpCode::kByeRequest, 9, "bye"));
  Run();
  Received();
  Post(NewMessage(OpCode::kByeResponse, c.channel, "", 9));
  MessagePtr urgent = NewMessage(OpCode::kSignal, c.channel, "urgent");
  urgent->header().oob = true;
  Post(std::move(urgent));
  Run(3);
  std::vector<MessagePtr> frames = PeerReads(c.stream);
  ASSERT_THAT(frames, SizeIs(1)) << "our ByeResponse was never written";
  EXPECT_EQ(frames[0]->header().op_code, OpCode::kByeResponse);
}

}  // namespace
}  // namespace driven_testing
}  // namespace tofu
