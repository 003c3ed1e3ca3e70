#include "reactor/channel_state.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

using Close = ChannelState::Close;
using Deadline = ChannelState::Deadline;
using Event = ChannelState::Event;
using Phase = ChannelState::Phase;

constexpr int kEventCount = static_cast<int>(Event::kShutdown) + 1;

Event EventAt(int i) { return static_cast<Event>(i); }

std::string Describe(const std::vector<Event>& events, bool accepted) {
  std::string s = accepted ? "accepted:" : "client:";
  for (Event e : events) absl::StrAppend(&s, " ", EventName(e));
  return s;
}

// Calls `visit` with every sequence of `length` events (kEventCount^length).
template <typename Visit>
void ForEachSequence(int length, Visit visit) {
  std::vector<int> digits(length, 0);
  std::vector<Event> events(length);
  while (true) {
    for (int i = 0; i < length; ++i) events[i] = EventAt(digits[i]);
    visit(events);
    int i = length - 1;
    while (i >= 0 && ++digits[i] == kEventCount) digits[i--] = 0;
    if (i < 0) return;
  }
}

// Phases that wait for the peer to finish a close must run a deadline, so
// that no peer can keep a channel open by going quiet after a Bye.
bool WaitsForThePeerToClose(Phase p) {
  return p == Phase::kByeSent || p == Phase::kByeCrossed ||
         p == Phase::kCrossedAnswered || p == Phase::kCrossedPeerDone ||
         p == Phase::kSignalled || p == Phase::kDraining;
}

TEST(ChannelState, EveryOrderOfEventsClosesAtMostOnceAndKeepsItsRules) {
  // Every sequence of up to 5 events, from both starts: 2 x 18^5 sequences.
  for (bool accepted : {false, true}) {
    for (int length = 1; length <= 5; ++length) {
      ForEachSequence(length, [&](const std::vector<Event>& events) {
        ChannelState s =
            accepted ? ChannelState::Accepted() : ChannelState::Client();
        int closes = 0;
        bool bye_request_queued = false;
        for (Event e : events) {
          const Phase before = s.phase();
          const ChannelState::Decision d = s.On(e, StatusCode::kInvalidMessage);
          if (d.close != Close::kNone) {
            ++closes;
            ASSERT_TRUE(s.closed()) << Describe(events, accepted);
            ASSERT_NE(d.reason, StatusCode::kSuccess)
                << Describe(events, accepted);
          } else if (before == Phase::kClosed) {
            ASSERT_TRUE(s.closed()) << Describe(events, accepted);
          }
          // Silent only when the application asked for it by going away:
          // every other close ends with channel_closed.
          if (d.close != Close::kNone) {
            ASSERT_EQ(d.notify,
                      e != Event::kGroupDestroyed && e != Event::kShutdown)
                << Describe(events, accepted);
          }
          // These always end a live channel.
          if (before != Phase::kClosed &&
              (e == Event::kLocalAbort || e == Event::kShutdown ||
               e == Event::kGroupDestroyed || e == Event::kRecvError ||
               e == Event::kSendError || e == Event::kPeerEof ||
               e == Event::kProtocolError ||
               (e == Event::kDeadline && s.deadline() == Deadline::kNone &&
                before != Phase::kOpen && before != Phase::kByeReceived &&
                before != Phase::kConnecting && before != Phase::kDraining))) {
            ASSERT_TRUE(s.closed()) << Describe(events, accepted);
          }
          if (before != Phase::kClosed && e == Event::kDeadline) {
            ASSERT_TRUE(s.closed()) << Describe(events, accepted);
          }
          if (WaitsForThePeerToClose(s.phase())) {
            ASSERT_EQ(s.deadline(), Deadline::kBye)
                << Describe(events, accepted);
          }
          // After our ByeRequest only a ByeResponse may follow it.
          if (e == Event::kByeRequestQueued &&
              (before == Phase::kOpen || before == Phase::kByeReceived ||
               before == Phase::kAwaitingHello)) {
            bye_request_queued = true;
          }
          if (bye_request_queued) {
            ASSERT_FALSE(s.MayEncode(OpCode::kRequest))
                << Describe(events, accepted);
            ASSERT_FALSE(s.MayEncode(OpCode::kByeRequest))
                << Describe(events, accepted);
          }
        }
        ASSERT_LE(closes, 1) << Describe(events, accepted);
        // Whatever happened, a shutdown ends it: exactly one close in all.
        if (!s.closed()) {
          EXPECT_NE(s.On(Event::kShutdown).close, Close::kNone);
        }
        EXPECT_TRUE(s.closed());
      });
    }
  }
}

// Both sides post a ByeRequest at once. Each side sees its own request
// queued and the peer's arrive in either order, answers the peer's when it
// arrives, and gets the peer's answer in any order relative to its own:
// every interleaving ends in one clean close, with no error status.
TEST(ChannelState, CrossingByesCloseCleanlyInEveryOrder) {
  const std::vector<Event> steps = {
      Event::kByeRequestQueued, Event::kPeerByeRequest,
      Event::kByeResponseQueued, Event::kPeerByeResponse};
  int orders = 0;
  std::vector<int> order = {0, 1, 2, 3};
  do {
    auto pos = [&](int step) {
      for (int i = 0; i < 4; ++i) {
        if (order[i] == step) return i;
      }
      return -1;
    };
    // Our answer follows the peer's request; the peer's answer follows ours.
    if (pos(2) < pos(1) || pos(3) < pos(0)) continue;
    // A peer EOF after both requests, at any point, or none.
    for (int eof_at = 1; eof_at <= 5; ++eof_at) {
      ChannelState s = ChannelState::Client();
      s.On(Event::kConnected);
      ChannelState::Decision last;
      std::string trace;
      for (int i = 0; i < 4 && !s.closed(); ++i) {
        if (i == eof_at) {
          if (pos(0) < i && pos(1) < i) last = s.On(Event::kPeerEof);
          absl::StrAppend(&trace, " eof");
          if (s.closed()) break;
        }
        if (steps[order[i]] == Event::kByeResponseQueued) {
          EXPECT_TRUE(s.MayEncode(OpCode::kByeResponse)) << trace;
        }
        last = s.On(steps[order[i]]);
        absl::StrAppend(&trace, " ", EventName(steps[order[i]]));
      }
      if (!s.closed()) last = s.On(Event::kWritten);
      ++orders;
      ASSERT_TRUE(s.closed()) << trace << " left " << PhaseName(s.phase());
      EXPECT_EQ(last.reason, StatusCode::kChannelClosed) << trace;
      EXPECT_FALSE(last.report) << trace;
      EXPECT_TRUE(last.notify) << trace;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_GT(orders, 0);
}

TEST(ChannelState, AnUnansweredByeEndsAtItsDeadlineAndReportsIt) {
  ChannelState s = ChannelState::Client();
  s.On(Event::kConnected);
  s.On(Event::kByeRequestQueued);
  EXPECT_EQ(s.deadline(), Deadline::kBye);
  EXPECT_FALSE(s.MayEncode(OpCode::kRequest));
  s.On(Event::kFrame);  // frames still arrive
  EXPECT_FALSE(s.closed());
  const ChannelState::Decision d = s.On(Event::kDeadline);
  EXPECT_EQ(d.close, Close::kAbort);
  EXPECT_EQ(d.reason, StatusCode::kCommunicationFailed);
  EXPECT_TRUE(d.report);
}

TEST(ChannelState, AnAnsweredByeClosesOnceTheAnswerIsWritten) {
  ChannelState s = ChannelState::Accepted();
  s.On(Event::kFrame);
  s.On(Event::kPeerByeRequest);
  EXPECT_TRUE(s.MayEncode(OpCode::kResponse));  // the peer still reads
  EXPECT_EQ(s.On(Event::kByeResponseQueued).close, Close::kNone);
  EXPECT_FALSE(s.MayEncode(OpCode::kResponse));
  const ChannelState::Decision d = s.On(Event::kWritten);
  EXPECT_EQ(d.close, Close::kGraceful);
  EXPECT_EQ(d.reason, StatusCode::kChannelClosed);
}

TEST(ChannelState, PeerEofDisconnectsAnOpenChannelGracefully) {
  ChannelState s = ChannelState::Client();
  s.On(Event::kConnected);
  const ChannelState::Decision d = s.On(Event::kPeerEof);
  EXPECT_EQ(d.close, Close::kGraceful);
  EXPECT_EQ(d.reason, StatusCode::kPeerDisconnected);
  EXPECT_TRUE(d.notify);
}

TEST(ChannelState, AnAcceptedChannelRunsTheHandshakeDeadlineUntilItSpeaks) {
  ChannelState s = ChannelState::Accepted();
  EXPECT_FALSE(s.Known());
  EXPECT_EQ(s.deadline(), Deadline::kHandshake);
  s.On(Event::kFrame);
  EXPECT_TRUE(s.Known());
  EXPECT_EQ(s.deadline(), Deadline::kNone);
  ChannelState posted_to = ChannelState::Accepted();
  posted_to.On(Event::kByeRequestQueued);  // the application guessed its number
  EXPECT_FALSE(posted_to.Known());
  posted_to.On(Event::kFrame);
  EXPECT_TRUE(posted_to.Known());
  ChannelState quiet = ChannelState::Accepted();
  const ChannelState::Decision d = quiet.On(Event::kDeadline);
  EXPECT_EQ(d.close, Close::kAbort);
  EXPECT_EQ(d.reason, StatusCode::kCommunicationFailed);
  EXPECT_TRUE(d.notify);  // exactly one channel_closed, as for any channel
  EXPECT_TRUE(d.report);
  ChannelState garbage = ChannelState::Accepted();
  EXPECT_TRUE(
      garbage.On(Event::kProtocolError, StatusCode::kInvalidMessage).report);
}

TEST(ChannelState, ProtocolErrorsAreReportedWithTheirCause) {
  ChannelState s = ChannelState::Client();
  s.On(Event::kConnected);
  const ChannelState::Decision d =
      s.On(Event::kProtocolError, StatusCode::kInvalidBodyLen);
  EXPECT_EQ(d.close, Close::kAbort);
  EXPECT_EQ(d.reason, StatusCode::kInvalidBodyLen);
  EXPECT_TRUE(d.report);
}

TEST(ChannelState, ASignalledByeEndsAtTheDeadlineWithoutAnError) {
  ChannelState s = ChannelState::Client();
  s.On(Event::kConnected);
  s.On(Event::kByeSignalQueued);
  EXPECT_FALSE(s.MayEncode(OpCode::kByeResponse));
  const ChannelState::Decision d = s.On(Event::kDeadline);
  EXPECT_EQ(d.close, Close::kGraceful);
  EXPECT_EQ(d.reason, StatusCode::kChannelClosed);
  EXPECT_FALSE(d.report);
}

}  // namespace
}  // namespace tofu
