#include "reactor/deadlines.h"

#include "gtest/gtest.h"

namespace tofu {
namespace {

using Deadline = ChannelState::Deadline;

SteadyTime At(int ms) { return SteadyTime() + std::chrono::milliseconds(ms); }

TEST(Timeouts, SweepsAtAQuarterOfTheShortestWithinBounds) {
  EXPECT_EQ(Timeouts{}.SweepInterval(), absl::Seconds(1));
  EXPECT_EQ((Timeouts{.bye = absl::Milliseconds(400)}.SweepInterval()),
            absl::Milliseconds(100));
  EXPECT_EQ(
      (Timeouts{.bye = absl::Milliseconds(1), .handshake = absl::ZeroDuration()}
           .SweepInterval()),
      absl::Milliseconds(10));
  const Timeouts off{.bye = absl::ZeroDuration(),
                     .handshake = absl::ZeroDuration(),
                     .frame = absl::ZeroDuration()};
  EXPECT_FALSE(off.any());
  EXPECT_EQ(off.SweepInterval(), absl::InfiniteDuration());
}

TEST(ChannelClock, PhaseDeadlinesRunFromTheirStart) {
  const Timeouts t{.bye = absl::Milliseconds(100),
                   .handshake = absl::Milliseconds(200)};
  ChannelClock clock;
  clock.Start(Deadline::kHandshake, At(0));
  EXPECT_FALSE(clock.Overdue(t, 0, false, false, At(199)));
  EXPECT_TRUE(clock.Overdue(t, 0, false, false, At(200)));
  clock.Start(Deadline::kBye, At(500));
  EXPECT_FALSE(clock.Overdue(t, 0, false, false, At(599)));
  EXPECT_TRUE(clock.Overdue(t, 0, false, false, At(600)));
  clock.Start(Deadline::kNone, At(700));
  EXPECT_FALSE(clock.Overdue(t, 0, false, false, At(100000)));
}

TEST(ChannelClock, AFrameIsOverdueOnlyWhenTheSameOneStaysIncomplete) {
  const Timeouts t{.frame = absl::Milliseconds(100)};
  ChannelClock clock;
  // First seen incomplete at 0: its clock starts there.
  EXPECT_FALSE(clock.Overdue(t, 5, true, false, At(0)));
  EXPECT_FALSE(clock.Overdue(t, 5, true, false, At(99)));
  // Frames completed meanwhile: a new incomplete frame, a new clock.
  EXPECT_FALSE(clock.Overdue(t, 6, true, false, At(150)));
  EXPECT_FALSE(clock.Overdue(t, 6, true, false, At(249)));
  EXPECT_TRUE(clock.Overdue(t, 6, true, false, At(250)));
  // Between frames (or held back by the engine): never overdue, and the
  // next incomplete frame starts afresh.
  EXPECT_FALSE(clock.Overdue(t, 6, false, false, At(1000)));
  EXPECT_FALSE(clock.Overdue(t, 6, true, false, At(1001)));
  EXPECT_TRUE(clock.Overdue(t, 6, true, false, At(1101)));
}

TEST(ChannelClock, ZeroTurnsADeadlineOff) {
  const Timeouts off{.bye = absl::ZeroDuration(),
                     .handshake = absl::ZeroDuration(),
                     .frame = absl::ZeroDuration()};
  ChannelClock clock;
  clock.Start(Deadline::kBye, At(0));
  EXPECT_FALSE(clock.Overdue(off, 1, true, false, At(0)));
  EXPECT_FALSE(clock.Overdue(off, 1, true, false, At(1000000)));
}

}  // namespace
}  // namespace tofu

namespace tofu {
namespace {

TEST(ChannelClock, EveryClockStandsStillWhileTheEngineHoldsReading) {
  const Timeouts t{.bye = absl::Milliseconds(100),
                   .frame = absl::Milliseconds(100)};
  ChannelClock clock;
  clock.Start(ChannelState::Deadline::kBye, At(0));
  // The pool is empty from 50 ms to 1000 ms: not the peer's delay.
  EXPECT_FALSE(clock.Overdue(t, 0, true, false, At(50)));
  EXPECT_FALSE(clock.Overdue(t, 0, true, true, At(500)));
  EXPECT_FALSE(clock.Overdue(t, 0, true, true, At(1000)));
  // Reading again: the clocks restart from there.
  EXPECT_FALSE(clock.Overdue(t, 0, true, false, At(1050)));
  EXPECT_TRUE(clock.Overdue(t, 0, true, false, At(1100)));
}

}  // namespace
}  // namespace tofu
