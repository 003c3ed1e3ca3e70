#include "reactor/windows/afd_poll_set.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/windows/helper_pool.h"
#include "reactor/windows/poll_state.h"
#include "reactor/windows/testing/fake_afd_system.h"

namespace tofu::afd {
namespace {

using ::testing::IsEmpty;

constexpr uint32_t kRead = kInterestRead;
constexpr uint32_t kWrite = kInterestWrite;
constexpr absl::Duration kNoWait = absl::ZeroDuration();

SocketEvent Event(uint64_t token, bool readable, bool writable, bool error) {
  return SocketEvent{token, readable, writable, error};
}

class AfdPollSetTest : public ::testing::Test {
 protected:
  ~AfdPollSetTest() override {
    set_.reset();
    EXPECT_THAT(system_.violations(), IsEmpty());
    EXPECT_EQ(system_.open_helpers(), 0u);
    EXPECT_TRUE(system_.polls().empty());
    EXPECT_TRUE(system_.popped().empty());
  }

  std::vector<SocketEvent> Wait() {
    std::vector<SocketEvent> events;
    EXPECT_TRUE(set_->Wait(kNoWait, events).ok());
    return events;
  }

  // The outstanding poll's PolledSocket for `base`, or null.
  const PolledSocket* PollFor(Handle base) const {
    for (const auto& [socket, poll] : system_.polls()) {
      if (poll.base == base) return socket;
    }
    return nullptr;
  }

  FakeAfdSystem system_;
  std::unique_ptr<AfdPollSet> set_ = std::make_unique<AfdPollSet>(system_);
};

TEST_F(AfdPollSetTest, ReportsReadinessWithTheRegisteredToken) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  ASSERT_EQ(system_.polls().size(), 1u);
  EXPECT_EQ(system_.polls().begin()->second.base, 110u);
  system_.SetReady(110, kPollReceive);
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(7, true, false, false)});
}

TEST_F(AfdPollSetTest, PollsAreIssuedLazilyOncePerWait) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  ASSERT_TRUE(set_->Modify(10, 8, kRead).ok());
  EXPECT_EQ(system_.submits(), 0);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.submits(), 1);
  // A narrower or equal interest keeps the outstanding poll.
  ASSERT_TRUE(set_->Modify(10, 8, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.submits(), 1);
  EXPECT_EQ(system_.cancels(), 0);
}

TEST_F(AfdPollSetTest, RejectsDoubleRegistrationAndUnknownSockets) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(set_->Register(10, 110, 8, kRead)));
  EXPECT_TRUE(absl::IsNotFound(set_->Modify(11, 8, kRead)));
  set_->Unregister(11);
  EXPECT_EQ(set_->registered(), 1u);
}

TEST_F(AfdPollSetTest, ReportsWakeUpsWithTheWakeToken) {
  set_->SetWakeToken(99);
  system_.Wake();
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(99, true, false, false)});
}

TEST_F(AfdPollSetTest, SocketClosedWhilePolledEnds) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead | kWrite).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.CloseSocket(110);
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(7, true, false, true)});
  // Ended: no poll is issued for it again.
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.submits(), 1);
  set_->Unregister(10);
}

TEST_F(AfdPollSetTest, ClosedBeforeItsFirstPollIsReported) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  system_.CloseSocket(110);
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(7, true, false, true)});
}

TEST_F(AfdPollSetTest, UnregisteredSocketReportsNothingAndIsFreedByItsPacket) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  set_->Unregister(10);
  EXPECT_EQ(system_.cancels(), 1);
  EXPECT_EQ(set_->unregistering(), 1u);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(set_->unregistering(), 0u);
}

TEST_F(AfdPollSetTest, CancelRacingACompletionReportsNothing) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.RaceNextCancel(kPollReceive);
  set_->Unregister(10);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(set_->unregistering(), 0u);
}

TEST_F(AfdPollSetTest, CompletedPollIsNotCancelled) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  // The poll completes, its packet queued but not dequeued: the cancel finds
  // nothing (NOT_FOUND) and the packet still frees the socket.
  system_.SetReady(110, kPollReceive);
  set_->Unregister(10);
  EXPECT_EQ(set_->unregistering(), 1u);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(set_->unregistering(), 0u);
}

TEST_F(AfdPollSetTest, ReusedHandleWaitsForThePreviousPollsPacket) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  // The old poll's cancel fails: its packet is still to come when the handle
  // is closed and reused by a new socket.
  system_.FailNextCancel(0xC0000001);
  set_->Unregister(10);
  system_.ReuseSocket(110);
  ASSERT_TRUE(set_->Register(10, 110, 8, kRead).ok());
  system_.SetReady(110, kPollReceive);
  // The old poll completes with events; they are not the new socket's.
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(set_->unregistering(), 0u);
  // Only now is the new socket polled, and its readiness reported.
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(8, true, false, false)});
  EXPECT_EQ(system_.submits(), 2);
}

TEST_F(AfdPollSetTest, ReusedHandleIsNotPolledBeforeTheOldPacket) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  // Cancelled, its packet queued but not dequeued, when the socket is closed
  // and its handle reused.
  set_->Unregister(10);
  system_.CloseSocket(110);
  system_.ReuseSocket(110);
  ASSERT_TRUE(set_->Register(10, 110, 8, kRead).ok());
  EXPECT_EQ(set_->unregistering(), 1u);
  EXPECT_THAT(Wait(), IsEmpty());
  // The old packet was dequeued in that wait, before any poll for the new
  // socket; the new one goes out before the next wait.
  EXPECT_EQ(system_.submits(), 1);
  EXPECT_EQ(set_->unregistering(), 0u);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.submits(), 2);
}

TEST_F(AfdPollSetTest, WiderInterestCancelsAndReissues) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.SetReady(110, kPollSend);
  ASSERT_TRUE(set_->Modify(10, 7, kRead | kWrite).ok());
  EXPECT_EQ(system_.cancels(), 1);
  // The cancelled packet, the re-issued poll completing at once, then its
  // packet.
  std::vector<SocketEvent> events = Wait();
  if (events.empty()) events = Wait();
  EXPECT_EQ(events, std::vector<SocketEvent>{Event(7, false, true, false)});
}

TEST_F(AfdPollSetTest, RefusedPollIsReportedAsAnError) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  system_.FailNextSubmit(0xC000009A);
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(7, true, false, true)});
}

TEST_F(AfdPollSetTest, HelperOpenFailureFailsRegister) {
  system_.FailNextOpen();
  EXPECT_FALSE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_EQ(set_->registered(), 0u);
  EXPECT_TRUE(set_->Register(10, 110, 7, kRead).ok());
}

TEST_F(AfdPollSetTest, HelpersHoldAtMostTheirShareAndAreBounded) {
  const int n = 3 * kSocketsPerHelper + 1;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(set_->Register(1000 + i, 2000 + i, i, kRead).ok());
  }
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(set_->helpers(), 4u);  // ceil(97 / 32)
  for (int i = 0; i < n; ++i) set_->Unregister(1000 + i);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(set_->unregistering(), 0u);
  // Emptied helpers are closed; one is kept for the next socket.
  EXPECT_EQ(set_->helpers(), 1u);
  EXPECT_EQ(system_.max_open_helpers(), 4u);
}

TEST_F(AfdPollSetTest, FreedRoomIsReusedBeforeOpeningAHelper) {
  for (int i = 0; i < 2 * kSocketsPerHelper; ++i) {
    ASSERT_TRUE(set_->Register(1000 + i, 2000 + i, i, kRead).ok());
  }
  EXPECT_EQ(set_->helpers(), 2u);
  // Churn: one socket leaves, another comes, many times over.
  for (int round = 0; round < 100; ++round) {
    set_->Unregister(1000 + round % 5);
    EXPECT_THAT(Wait(), IsEmpty());
    ASSERT_TRUE(
        set_->Register(1000 + round % 5, 2000 + round % 5, 0, kRead).ok());
  }
  EXPECT_EQ(set_->helpers(), 2u);
  EXPECT_EQ(system_.max_open_helpers(), 2u);
}

TEST_F(AfdPollSetTest, DestructionDrainsOutstandingPolls) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(set_->Register(1000 + i, 2000 + i, i, kRead).ok());
  }
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.polls().size(), 40u);
  // The fixture's destructor checks that every poll's packet was dequeued and
  // every helper closed.
}

TEST_F(AfdPollSetTest, DrainRetriesAFailedCancel) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.FailNextCancel(0xC0000001);
  EXPECT_TRUE(set_->Drain(absl::Seconds(1)));
  EXPECT_EQ(system_.cancels(), 2);
  EXPECT_EQ(set_->unregistering(), 0u);
}

TEST_F(AfdPollSetTest, UnregisterRetriesAFailedCancelAtTheNextWait) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.FailNextCancel(0xC0000001);
  set_->Unregister(10);
  EXPECT_EQ(set_->unregistering(), 1u);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.cancels(), 2);
  EXPECT_EQ(set_->unregistering(), 0u);
}

// Control calls made while Wait dequeues (as another thread's would be, on
// the engine's inline post path): FakeAfdSystem runs them inside its Dequeue,
// where the set's lock is not held, before it pops any packet or after.
class AfdPollSetConcurrentTest : public AfdPollSetTest {
 protected:
  // Runs `call` once, at the start of the next Dequeue.
  void DuringNextDequeue(std::function<void()> call) {
    system_.RunOnNextDequeue(std::move(call));
  }
  // Runs `call` once, inside the next Dequeue after it popped its packets:
  // Wait has them but has not handled them (it has not re-taken the lock).
  void AfterNextPop(std::function<void()> call) {
    system_.RunOnNextDequeue(std::move(call),
                             FakeAfdSystem::HookPoint::kAfterPop);
  }

  std::vector<SocketEvent> WaitUpTo(absl::Duration timeout) {
    std::vector<SocketEvent> events;
    EXPECT_TRUE(set_->Wait(timeout, events).ok());
    return events;
  }
};

TEST_F(AfdPollSetConcurrentTest, RegisterWhileDequeuingWakesWaitToPoll) {
  system_.SetReady(110, kPollReceive);
  DuringNextDequeue(
      [&] { ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok()); });
  // The wake-up packet brings Wait back to issue the poll, which completes at
  // once: the event comes within the same Wait.
  EXPECT_EQ(WaitUpTo(absl::Seconds(5)),
            std::vector<SocketEvent>{Event(7, true, false, false)});
  EXPECT_EQ(set_->update_wakes(), 1u);
}

TEST_F(AfdPollSetConcurrentTest, InterestFromNoneWhileDequeuingWakesWait) {
  ASSERT_TRUE(set_->Register(10, 110, 7, 0).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_TRUE(system_.polls().empty());
  system_.SetReady(110, kPollReceive);
  DuringNextDequeue([&] { ASSERT_TRUE(set_->Modify(10, 7, kRead).ok()); });
  EXPECT_EQ(WaitUpTo(absl::Seconds(5)),
            std::vector<SocketEvent>{Event(7, true, false, false)});
  EXPECT_EQ(set_->update_wakes(), 1u);
}

TEST_F(AfdPollSetConcurrentTest, WakeUpsCoalesceUntilDequeued) {
  DuringNextDequeue([&] {
    ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
    ASSERT_TRUE(set_->Register(11, 111, 8, kRead).ok());
  });
  EXPECT_THAT(WaitUpTo(absl::ZeroDuration()), IsEmpty());
  EXPECT_EQ(set_->update_wakes(), 1u);
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.polls().size(), 2u);
}

TEST_F(AfdPollSetConcurrentTest, NarrowingWhileDequeuingCostsNoWakeUp) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead | kWrite).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  DuringNextDequeue([&] { ASSERT_TRUE(set_->Modify(10, 7, kRead).ok()); });
  EXPECT_THAT(WaitUpTo(absl::ZeroDuration()), IsEmpty());
  EXPECT_EQ(set_->update_wakes(), 0u);
  EXPECT_EQ(system_.cancels(), 0);
}

TEST_F(AfdPollSetConcurrentTest, WideningWhileDequeuingIsCarriedByTheCancel) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.SetReady(110, kPollSend);
  DuringNextDequeue(
      [&] { ASSERT_TRUE(set_->Modify(10, 7, kRead | kWrite).ok()); });
  // The cancelled poll's packet wakes Wait, which asks again, wider.
  EXPECT_EQ(WaitUpTo(absl::Seconds(5)),
            std::vector<SocketEvent>{Event(7, false, true, false)});
  EXPECT_EQ(set_->update_wakes(), 0u);
  EXPECT_EQ(system_.cancels(), 1);
}

TEST_F(AfdPollSetConcurrentTest, UnregisterWhileDequeuingFreesAtItsPacket) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  DuringNextDequeue([&] { set_->Unregister(10); });
  EXPECT_THAT(WaitUpTo(absl::ZeroDuration()), IsEmpty());
  EXPECT_EQ(set_->unregistering(), 0u);
  EXPECT_EQ(set_->update_wakes(), 0u);
}

TEST_F(AfdPollSetConcurrentTest, WideningAfterItsPacketWasPoppedPollsAgain) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  const PolledSocket* polled = PollFor(110);
  ASSERT_NE(polled, nullptr);
  system_.SetReady(110, kPollReceive | kPollSend);
  bool ran = false;
  AfterNextPop([&] {
    ran = true;
    // The packet is Wait's now: the cancel finds the poll completed.
    EXPECT_EQ(system_.popped().count(polled), 1u);
    ASSERT_TRUE(set_->Modify(10, 7, kRead | kWrite).ok());
    EXPECT_EQ(system_.cancels(), 1);
    EXPECT_THAT(system_.violations(), IsEmpty());
  });
  // The popped packet carries what the read poll asked for, reported under
  // the new interest; the cancel's NOT_FOUND costs no packet or wake-up.
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(7, true, false, false)});
  EXPECT_TRUE(ran);
  EXPECT_TRUE(system_.popped().empty());
  EXPECT_EQ(system_.queued(), 0u);
  EXPECT_EQ(set_->update_wakes(), 0u);
  // Polled again, for both: the send condition is reported.
  EXPECT_EQ(Wait(), std::vector<SocketEvent>{Event(7, true, true, false)});
  EXPECT_EQ(system_.submits(), 2);
  EXPECT_EQ(system_.cancels(), 1);
  EXPECT_THAT(system_.violations(), IsEmpty());
}

TEST_F(AfdPollSetConcurrentTest, UnregisterAfterItsPacketWasPoppedFreesIt) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.SetReady(110, kPollReceive);
  bool ran = false;
  AfterNextPop([&] {
    ran = true;
    EXPECT_EQ(system_.popped().size(), 1u);
    set_->Unregister(10);
    // Kept until Wait handles the packet it holds.
    EXPECT_EQ(set_->unregistering(), 1u);
    EXPECT_EQ(system_.cancels(), 1);
    EXPECT_THAT(system_.violations(), IsEmpty());
  });
  // The packet had events, but the socket is unregistered: nothing reported,
  // and the packet frees it (twice would be a double free under ASan; never
  // would be a leak).
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_TRUE(ran);
  EXPECT_EQ(set_->unregistering(), 0u);
  EXPECT_EQ(set_->registered(), 0u);
  EXPECT_TRUE(system_.popped().empty());
  EXPECT_TRUE(system_.polls().empty());
  // Not polled again.
  EXPECT_THAT(Wait(), IsEmpty());
  EXPECT_EQ(system_.submits(), 1);
  EXPECT_THAT(system_.violations(), IsEmpty());
}

TEST_F(AfdPollSetConcurrentTest, ReusedHandleAfterThePacketWasPoppedIsPolled) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  system_.SetReady(110, kPollReceive);
  bool ran = false;
  AfterNextPop([&] {
    ran = true;
    set_->Unregister(10);
    // Closed and its handle reused by a new socket, readable at once.
    system_.CloseSocket(110);
    system_.ReuseSocket(110);
    system_.SetReady(110, kPollReceive);
    ASSERT_TRUE(set_->Register(10, 110, 8, kRead).ok());
    EXPECT_EQ(set_->unregistering(), 1u);
    EXPECT_EQ(system_.cancels(), 1);
    EXPECT_THAT(system_.violations(), IsEmpty());
  });
  // The old owner's packet is handled first (its events are not the new
  // socket's, and it frees the old owner), then the new socket is polled
  // and its poll's packet reported, within the same Wait. No wake-up packet:
  // the old owner's packet, already in Wait's hands, is what lets the new
  // socket be polled.
  EXPECT_EQ(WaitUpTo(absl::Seconds(5)),
            std::vector<SocketEvent>{Event(8, true, false, false)});
  EXPECT_TRUE(ran);
  EXPECT_EQ(set_->unregistering(), 0u);
  EXPECT_EQ(set_->registered(), 1u);
  EXPECT_EQ(system_.submits(), 2);
  EXPECT_EQ(set_->update_wakes(), 0u);
  EXPECT_EQ(system_.update_wakes(), 0);
  EXPECT_THAT(system_.violations(), IsEmpty());
}

TEST_F(AfdPollSetConcurrentTest, ReusedHandleWhileDequeuingCostsNoWakeUp) {
  ASSERT_TRUE(set_->Register(10, 110, 7, kRead).ok());
  EXPECT_THAT(Wait(), IsEmpty());
  DuringNextDequeue([&] {
    // The cancel queues the old owner's final packet; the new socket under
    // the same handle waits for it, and it wakes Wait.
    set_->Unregister(10);
    system_.CloseSocket(110);
    system_.ReuseSocket(110);
    system_.SetReady(110, kPollReceive);
    ASSERT_TRUE(set_->Register(10, 110, 8, kRead).ok());
  });
  EXPECT_EQ(WaitUpTo(absl::Seconds(5)),
            std::vector<SocketEvent>{Event(8, true, false, false)});
  EXPECT_EQ(set_->update_wakes(), 0u);
  EXPECT_EQ(system_.update_wakes(), 0);
  EXPECT_EQ(system_.submits(), 2);
  EXPECT_EQ(set_->unregistering(), 0u);
}

}  // namespace
}  // namespace tofu::afd
