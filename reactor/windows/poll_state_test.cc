#include "reactor/windows/poll_state.h"

#include <cstdint>
#include <deque>
#include <vector>

#include "gtest/gtest.h"

namespace tofu::afd {
namespace {

using Kind = PollState::SubmitResult::Kind;
using Status = PollState::Status;

constexpr uint32_t kReadWrite = kInterestRead | kInterestWrite;
constexpr uint32_t kStatusUnsuccessful = 0xC0000001;
constexpr uint32_t kStatusInsufficientResources = 0xC000009A;

// Records every call and answers with scripted statuses (PENDING and SUCCESS
// by default). Like the kernel, it holds one outstanding poll per socket until
// its packet is delivered, and fails the test if a second one is submitted.
class FakeDriver : public PollDriver {
 public:
  uint32_t Submit(uint32_t afd_events) override {
    submits.push_back(afd_events);
    const uint32_t status = Next(submit_results, kStatusPending);
    if (status == kStatusPending || status == kStatusSuccess) {
      EXPECT_FALSE(outstanding) << "a second poll on one socket";
      outstanding = true;
    }
    return status;
  }
  uint32_t Cancel() override {
    EXPECT_TRUE(outstanding) << "cancel without an outstanding poll";
    ++cancels;
    return Next(cancel_results, kStatusSuccess);
  }

  // Dequeues the packet of the outstanding poll.
  PollState::CompletionResult Deliver(PollState& socket, uint32_t status,
                                      uint32_t handles, uint32_t events) {
    EXPECT_TRUE(outstanding) << "a packet without an outstanding poll";
    outstanding = false;
    return socket.OnCompletion(status, handles, events);
  }
  PollState::CompletionResult DeliverEvents(PollState& socket,
                                            uint32_t events) {
    return Deliver(socket, kStatusSuccess, 1, events);
  }

  std::vector<uint32_t> submits;
  int cancels = 0;
  bool outstanding = false;
  std::deque<uint32_t> submit_results;
  std::deque<uint32_t> cancel_results;

 private:
  static uint32_t Next(std::deque<uint32_t>& scripted, uint32_t otherwise) {
    if (scripted.empty()) return otherwise;
    const uint32_t status = scripted.front();
    scripted.pop_front();
    return status;
  }
};

Readiness Ready(bool readable, bool writable, bool error) {
  Readiness r;
  r.readable = readable;
  r.writable = writable;
  r.error = error;
  return r;
}

// A socket with `interest` and one poll pending for it.
void Arm(PollState& socket, FakeDriver& driver, uint32_t interest) {
  socket.SetInterest(interest, driver);
  ASSERT_EQ(socket.Submit(driver).kind, Kind::kSubmitted);
  ASSERT_EQ(socket.status(), Status::kPending);
}

TEST(AfdEventsForInterest, AlwaysWatchesCloseAbortAndConnectFailure) {
  const uint32_t always = kPollLocalClose | kPollAbort | kPollConnectFail;
  EXPECT_EQ(AfdEventsForInterest(0), always);
  EXPECT_EQ(AfdEventsForInterest(kInterestRead),
            always | kPollReceive | kPollAccept | kPollDisconnect);
  EXPECT_EQ(AfdEventsForInterest(kInterestWrite), always | kPollSend);
  EXPECT_EQ(AfdEventsForInterest(kReadWrite),
            always | kPollReceive | kPollAccept | kPollDisconnect | kPollSend);
}

TEST(AfdEventsForInterest, NeverAsksForConnect) {
  for (uint32_t interest = 0; interest <= kReadWrite; ++interest) {
    EXPECT_EQ(AfdEventsForInterest(interest) & kPollConnect, 0u) << interest;
    EXPECT_EQ(AfdEventsForInterest(interest) & ~kPollAllEvents, 0u);
  }
}

TEST(ReadinessFromAfdEvents, MapsLikeEpollAndFiltersByInterest) {
  for (uint32_t e : {kPollReceive, kPollAccept, kPollDisconnect}) {
    EXPECT_EQ(ReadinessFromAfdEvents(e, kReadWrite), Ready(true, false, false));
    EXPECT_EQ(ReadinessFromAfdEvents(e, kInterestWrite), Readiness{});
  }
  EXPECT_EQ(ReadinessFromAfdEvents(kPollSend, kReadWrite),
            Ready(false, true, false));
  EXPECT_EQ(ReadinessFromAfdEvents(kPollSend, kInterestRead), Readiness{});
  EXPECT_EQ(ReadinessFromAfdEvents(kPollAbort, kInterestRead),
            Ready(false, false, true));
  EXPECT_EQ(ReadinessFromAfdEvents(kPollConnectFail, kInterestWrite),
            Ready(false, true, true));
  EXPECT_EQ(ReadinessFromAfdEvents(kPollConnectFail, kReadWrite),
            Ready(true, true, true));
  EXPECT_EQ(ReadinessFromAfdEvents(kPollReceive | kPollSend, kReadWrite),
            Ready(true, true, false));
}

TEST(ReadinessFromAfdEvents, ReportsNothingForCloseConnectOrNoInterest) {
  EXPECT_EQ(ReadinessFromAfdEvents(kPollLocalClose, kReadWrite), Readiness{});
  EXPECT_EQ(ReadinessFromAfdEvents(kPollConnect, kReadWrite), Readiness{});
  EXPECT_EQ(ReadinessFromAfdEvents(kPollAllEvents, 0), Readiness{});
}

TEST(PollState, StartsIdleAndWantsNothingWithoutInterest) {
  FakeDriver driver;
  PollState socket;
  EXPECT_EQ(socket.status(), Status::kIdle);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  socket.SetInterest(0, driver);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_TRUE(driver.submits.empty());
}

TEST(PollState, SubmitsLazilyForTheCurrentInterest) {
  FakeDriver driver;
  PollState socket;
  EXPECT_EQ(socket.SetInterest(kInterestRead, driver), kStatusSuccess);
  // Setting the interest of an idle socket does not touch the system.
  EXPECT_TRUE(driver.submits.empty());
  EXPECT_TRUE(socket.WantsSubmit());
  socket.SetInterest(kReadWrite, driver);
  const PollState::SubmitResult r = socket.Submit(driver);
  EXPECT_EQ(r.kind, Kind::kSubmitted);
  EXPECT_EQ(r.status, kStatusPending);
  ASSERT_EQ(driver.submits.size(), 1u);
  EXPECT_EQ(driver.submits[0], AfdEventsForInterest(kReadWrite));
  EXPECT_EQ(socket.status(), Status::kPending);
  EXPECT_EQ(socket.pending_interest(), kReadWrite);
  EXPECT_FALSE(socket.WantsSubmit());
}

TEST(PollState, ImmediateSuccessIsPendingUntilItsPacket) {
  FakeDriver driver;
  PollState socket;
  driver.submit_results = {kStatusSuccess};
  socket.SetInterest(kInterestRead, driver);
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kSubmitted);
  EXPECT_EQ(socket.status(), Status::kPending);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(driver.DeliverEvents(socket, kPollReceive).readiness,
            Ready(true, false, false));
}

TEST(PollState, NeverSubmitsASecondPoll) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  socket.SetInterest(kInterestRead, driver);
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  EXPECT_EQ(driver.submits.size(), 1u);
  EXPECT_EQ(driver.cancels, 0);
}

TEST(PollState, InvalidHandleOnSubmitEndsTheSocket) {
  FakeDriver driver;
  PollState socket;
  driver.submit_results = {kStatusInvalidHandle};
  socket.SetInterest(kInterestRead, driver);
  const PollState::SubmitResult r = socket.Submit(driver);
  EXPECT_EQ(r.kind, Kind::kEnded);
  EXPECT_EQ(r.status, kStatusInvalidHandle);
  EXPECT_TRUE(socket.ended());
  EXPECT_EQ(socket.status(), Status::kIdle);
  EXPECT_FALSE(socket.WantsSubmit());
  socket.SetInterest(kReadWrite, driver);
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  EXPECT_EQ(driver.submits.size(), 1u);
  EXPECT_TRUE(socket.Unregister(driver));
}

TEST(PollState, FailedSubmitStaysIdleAndIsRetried) {
  FakeDriver driver;
  PollState socket;
  driver.submit_results = {kStatusInsufficientResources};
  socket.SetInterest(kInterestRead, driver);
  const PollState::SubmitResult r = socket.Submit(driver);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_EQ(r.status, kStatusInsufficientResources);
  EXPECT_EQ(socket.status(), Status::kIdle);
  EXPECT_FALSE(socket.ended());
  EXPECT_TRUE(socket.WantsSubmit());
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kSubmitted);
  EXPECT_EQ(driver.submits.size(), 2u);
}

TEST(PollState, NarrowerInterestKeepsThePollAndFiltersItsResult) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kReadWrite);
  EXPECT_EQ(socket.SetInterest(kInterestRead, driver), kStatusSuccess);
  EXPECT_EQ(driver.cancels, 0);
  EXPECT_EQ(socket.status(), Status::kPending);
  EXPECT_EQ(socket.pending_interest(), kReadWrite);
  EXPECT_FALSE(socket.WantsSubmit());
  // The poll was for read and write; only read is wanted now.
  const PollState::CompletionResult c =
      driver.DeliverEvents(socket, kPollSend | kPollReceive);
  EXPECT_EQ(c.readiness, Ready(true, false, false));
  EXPECT_FALSE(c.ended);
  EXPECT_FALSE(c.free_now);
  // Re-armed for the narrower interest only.
  ASSERT_TRUE(socket.WantsSubmit());
  socket.Submit(driver);
  EXPECT_EQ(driver.submits.back(), AfdEventsForInterest(kInterestRead));
}

TEST(PollState, SameOrEmptyInterestKeepsThePoll) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestWrite);
  socket.SetInterest(kInterestWrite, driver);
  socket.SetInterest(0, driver);
  EXPECT_EQ(driver.cancels, 0);
  EXPECT_EQ(socket.status(), Status::kPending);
  // Nothing is wanted: even an abort is not reported, and nothing is re-armed.
  const PollState::CompletionResult c =
      driver.DeliverEvents(socket, kPollSend | kPollAbort);
  EXPECT_EQ(c.readiness, Readiness{});
  EXPECT_FALSE(socket.WantsSubmit());
  // Back to interest: a fresh poll, no stale state.
  socket.SetInterest(kInterestWrite, driver);
  EXPECT_TRUE(socket.WantsSubmit());
}

TEST(PollState, WiderInterestCancelsAndResubmitsAfterThePacket) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  EXPECT_EQ(socket.SetInterest(kReadWrite, driver), kStatusSuccess);
  EXPECT_EQ(driver.cancels, 1);
  EXPECT_EQ(socket.status(), Status::kCancelled);
  EXPECT_EQ(socket.pending_interest(), 0u);
  // While cancelled: nothing until the packet arrives.
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  socket.SetInterest(kInterestWrite, driver);
  socket.SetInterest(kReadWrite, driver);
  EXPECT_EQ(driver.cancels, 1);
  EXPECT_EQ(driver.submits.size(), 1u);
  const PollState::CompletionResult c =
      driver.Deliver(socket, kStatusCancelled, 0, 0);
  EXPECT_EQ(c.readiness, Readiness{});
  EXPECT_FALSE(c.ended);
  EXPECT_EQ(socket.status(), Status::kIdle);
  ASSERT_TRUE(socket.WantsSubmit());
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kSubmitted);
  EXPECT_EQ(driver.submits.back(), AfdEventsForInterest(kReadWrite));
  EXPECT_EQ(socket.pending_interest(), kReadWrite);
}

TEST(PollState, CancelNotFoundWaitsForTheCompletedPacket) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.cancel_results = {kStatusNotFound};
  EXPECT_EQ(socket.SetInterest(kReadWrite, driver), kStatusSuccess);
  EXPECT_EQ(socket.status(), Status::kCancelled);
  EXPECT_FALSE(socket.WantsSubmit());
  // The poll had completed with data: reported, then re-armed wider.
  const PollState::CompletionResult c =
      driver.DeliverEvents(socket, kPollReceive);
  EXPECT_EQ(c.readiness, Ready(true, false, false));
  ASSERT_TRUE(socket.WantsSubmit());
  socket.Submit(driver);
  EXPECT_EQ(driver.submits.back(), AfdEventsForInterest(kReadWrite));
}

TEST(PollState, EventsThatBeatTheCancelAreReportedForTheCurrentInterest) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestWrite);
  socket.SetInterest(kInterestRead, driver);  // adds read: cancel
  EXPECT_EQ(driver.cancels, 1);
  // The cancel succeeded, but the poll fired first: SEND is no longer wanted.
  EXPECT_EQ(driver.DeliverEvents(socket, kPollSend).readiness, Readiness{});
  EXPECT_TRUE(socket.WantsSubmit());
}

TEST(PollState, FailedCancelKeepsThePollAndIsRetriedBySubmit) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.cancel_results = {kStatusUnsuccessful, kStatusUnsuccessful};
  EXPECT_EQ(socket.SetInterest(kReadWrite, driver), kStatusUnsuccessful);
  EXPECT_EQ(socket.status(), Status::kPending);
  EXPECT_EQ(socket.pending_interest(), kInterestRead);
  ASSERT_TRUE(socket.WantsSubmit());
  PollState::SubmitResult r = socket.Submit(driver);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_EQ(r.status, kStatusUnsuccessful);
  EXPECT_EQ(socket.status(), Status::kPending);
  r = socket.Submit(driver);
  EXPECT_EQ(r.kind, Kind::kCancelRequested);
  EXPECT_EQ(socket.status(), Status::kCancelled);
  EXPECT_EQ(driver.cancels, 3);
  // Never a second poll while the first was live.
  EXPECT_EQ(driver.submits.size(), 1u);
}

TEST(PollState, FailedCancelIsRetriedByTheNextInterestChange) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.cancel_results = {kStatusUnsuccessful};
  EXPECT_EQ(socket.SetInterest(kReadWrite, driver), kStatusUnsuccessful);
  EXPECT_EQ(socket.SetInterest(kReadWrite, driver), kStatusSuccess);
  EXPECT_EQ(socket.status(), Status::kCancelled);
  EXPECT_EQ(driver.cancels, 2);
}

TEST(PollState, FailedCancelIsForgottenWhenTheInterestNarrowsAgain) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.cancel_results = {kStatusUnsuccessful};
  socket.SetInterest(kReadWrite, driver);
  socket.SetInterest(kInterestRead, driver);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(socket.status(), Status::kPending);
  EXPECT_EQ(driver.cancels, 1);
}

TEST(PollState, ZeroHandleCompletionIsNormal) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  // Events are not looked at when no handle reported anything.
  const PollState::CompletionResult c =
      driver.Deliver(socket, kStatusSuccess, 0, kPollReceive);
  EXPECT_EQ(c.readiness, Readiness{});
  EXPECT_FALSE(c.ended);
  EXPECT_FALSE(c.free_now);
  EXPECT_EQ(socket.status(), Status::kIdle);
  EXPECT_TRUE(socket.WantsSubmit());
}

TEST(PollState, UnaskedCancellationIsNormal) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  // E.g. a directly polled socket being closed: no events, re-armed; the
  // closed handle then ends the socket at the next submit.
  const PollState::CompletionResult c =
      driver.Deliver(socket, kStatusCancelled, 0, 0);
  EXPECT_EQ(c.readiness, Readiness{});
  EXPECT_FALSE(c.ended);
  ASSERT_TRUE(socket.WantsSubmit());
  driver.submit_results = {kStatusInvalidHandle};
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kEnded);
  EXPECT_TRUE(socket.ended());
}

TEST(PollState, LocalCloseEndsTheSocketSilently) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kReadWrite);
  const PollState::CompletionResult c = driver.DeliverEvents(
      socket, kPollLocalClose | kPollReceive | kPollSend | kPollAbort);
  EXPECT_EQ(c.readiness, Readiness{});
  EXPECT_TRUE(c.ended);
  EXPECT_FALSE(c.free_now);
  EXPECT_TRUE(socket.ended());
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(socket.SetInterest(kReadWrite, driver), kStatusSuccess);
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  EXPECT_EQ(driver.submits.size(), 1u);
  EXPECT_EQ(driver.cancels, 0);
  EXPECT_TRUE(socket.Unregister(driver));
}

TEST(PollState, InvalidHandleCompletionEndsTheSocket) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  const PollState::CompletionResult c =
      driver.Deliver(socket, kStatusInvalidHandle, 1, kPollReceive);
  EXPECT_EQ(c.readiness, Readiness{});
  EXPECT_TRUE(c.ended);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_TRUE(socket.Unregister(driver));
}

TEST(PollState, FailedPollReportsAnErrorAndIsRearmed) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  const PollState::CompletionResult c =
      driver.Deliver(socket, kStatusUnsuccessful, 1, kPollReceive);
  EXPECT_EQ(c.readiness, Ready(false, false, true));
  EXPECT_FALSE(c.ended);
  EXPECT_TRUE(socket.WantsSubmit());
}

TEST(PollState, InformationalStatusIsASuccess) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  EXPECT_EQ(driver.Deliver(socket, 0x40000000, 1, kPollReceive).readiness,
            Ready(true, false, false));
}

TEST(PollState, ConnectCompletesOnSendAndFailsOnConnectFail) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestWrite);  // a connect in progress
  EXPECT_EQ(driver.submits[0] & kPollConnect, 0u);
  EXPECT_NE(driver.submits[0] & kPollSend, 0u);
  EXPECT_NE(driver.submits[0] & kPollConnectFail, 0u);
  EXPECT_EQ(driver.DeliverEvents(socket, kPollSend).readiness,
            Ready(false, true, false));

  PollState failing;
  FakeDriver driver2;
  Arm(failing, driver2, kInterestWrite);
  const PollState::CompletionResult c =
      driver2.DeliverEvents(failing, kPollConnectFail);
  EXPECT_TRUE(c.readiness.error);
  EXPECT_TRUE(c.readiness.writable);
  EXPECT_FALSE(c.ended);
}

TEST(PollState, AbortIsAnError) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  EXPECT_EQ(driver.DeliverEvents(socket, kPollAbort).readiness,
            Ready(false, false, true));
}

TEST(PollState, LazyRearmWaitsForSubmit) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.DeliverEvents(socket, kPollReceive);
  // The completion itself never resubmits: the poller does, before waiting,
  // once the reactor has done its I/O.
  EXPECT_EQ(driver.submits.size(), 1u);
  EXPECT_TRUE(socket.WantsSubmit());
  socket.SetInterest(kInterestWrite, driver);
  EXPECT_EQ(driver.submits.size(), 1u);
  socket.Submit(driver);
  ASSERT_EQ(driver.submits.size(), 2u);
  EXPECT_EQ(driver.submits[1], AfdEventsForInterest(kInterestWrite));
}

TEST(PollState, UnregisterWhenIdleFreesAtOnce) {
  FakeDriver driver;
  PollState socket;
  socket.SetInterest(kInterestRead, driver);
  EXPECT_TRUE(socket.Unregister(driver));
  EXPECT_TRUE(socket.delete_pending());
  EXPECT_EQ(driver.cancels, 0);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kNothing);
  EXPECT_TRUE(driver.submits.empty());
}

TEST(PollState, UnregisterWhilePendingCancelsAndFreesOnTheFinalPacket) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  EXPECT_FALSE(socket.Unregister(driver));
  EXPECT_EQ(driver.cancels, 1);
  EXPECT_TRUE(socket.delete_pending());
  EXPECT_EQ(socket.status(), Status::kCancelled);
  EXPECT_FALSE(socket.WantsSubmit());
  const PollState::CompletionResult c =
      driver.Deliver(socket, kStatusCancelled, 0, 0);
  EXPECT_TRUE(c.free_now);
  EXPECT_FALSE(c.ended);
  EXPECT_EQ(c.readiness, Readiness{});
}

TEST(PollState, NoEventAfterUnregisterEvenIfThePollFired) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kReadWrite);
  driver.cancel_results = {kStatusNotFound};
  EXPECT_FALSE(socket.Unregister(driver));
  EXPECT_EQ(socket.status(), Status::kCancelled);
  const PollState::CompletionResult c =
      driver.DeliverEvents(socket, kPollReceive | kPollSend | kPollAbort);
  EXPECT_TRUE(c.free_now);
  EXPECT_EQ(c.readiness, Readiness{});
}

TEST(PollState, UnregisterWhileCancelledDoesNotCancelTwice) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  socket.SetInterest(kReadWrite, driver);
  ASSERT_EQ(socket.status(), Status::kCancelled);
  EXPECT_FALSE(socket.Unregister(driver));
  EXPECT_EQ(driver.cancels, 1);
  EXPECT_TRUE(driver.Deliver(socket, kStatusCancelled, 0, 0).free_now);
}

TEST(PollState, UnregisterWithFailedCancelFreesOnTheLocalClosePacket) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.cancel_results = {kStatusUnsuccessful};
  EXPECT_FALSE(socket.Unregister(driver));
  EXPECT_EQ(socket.status(), Status::kPending);
  // Closing the socket completes the poll.
  const PollState::CompletionResult c =
      driver.DeliverEvents(socket, kPollLocalClose);
  EXPECT_TRUE(c.free_now);
  EXPECT_EQ(c.readiness, Readiness{});
}

TEST(PollState, UnregisterWithFailedCancelRetriesItAtTheNextPass) {
  FakeDriver driver;
  PollState socket;
  Arm(socket, driver, kInterestRead);
  driver.cancel_results = {kStatusUnsuccessful};
  EXPECT_FALSE(socket.Unregister(driver));
  EXPECT_EQ(socket.status(), Status::kPending);
  EXPECT_TRUE(socket.WantsSubmit());
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kCancelRequested);
  EXPECT_EQ(driver.cancels, 2);
  EXPECT_EQ(socket.status(), Status::kCancelled);
  EXPECT_FALSE(socket.WantsSubmit());
  EXPECT_EQ(driver.submits.size(), 1u);
  EXPECT_TRUE(driver.Deliver(socket, kStatusCancelled, 0, 0).free_now);
}

TEST(PollState, UnregisterAfterAFailedSubmitFreesAtOnce) {
  FakeDriver driver;
  PollState socket;
  driver.submit_results = {kStatusUnsuccessful};
  socket.SetInterest(kInterestRead, driver);
  EXPECT_EQ(socket.Submit(driver).kind, Kind::kFailed);
  EXPECT_TRUE(socket.Unregister(driver));
}

}  // namespace
}  // namespace tofu::afd
