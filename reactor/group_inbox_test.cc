#include "reactor/group_inbox.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "message/message.h"
#include "message/status.h"

namespace tofu {
namespace {

TEST(GroupInbox, FifoTimeoutAndClose) {
  GroupInbox inbox(1);
  absl::StatusOr<MessagePtr> none = inbox.Wait(absl::Milliseconds(1));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  for (uint64_t id = 1; id <= 3; ++id) {
    MessagePtr m = Message::Create();
    m->header().message_id = id;
    ASSERT_TRUE(inbox.Push(std::move(m)));
  }
  for (uint64_t id = 1; id <= 3; ++id)
    EXPECT_EQ((*inbox.Wait(absl::ZeroDuration()))->header().message_id, id);
  std::thread waiter([&] {
    absl::StatusOr<MessagePtr> m = inbox.Wait(absl::InfiniteDuration());
    EXPECT_EQ(StatusCodeOf(m.status()), StatusCode::kShutdownStarted);
  });
  inbox.Close();
  waiter.join();
  EXPECT_FALSE(inbox.Push(Message::Create()));
  EXPECT_TRUE(inbox.closed());
}

// Two threads hand one message back and forth through two inboxes, so every
// Wait blocks (or spins) and every Push must wake it. A lost wake-up shows as
// a Wait that times out.
void PingPong(absl::Duration spin) {
  GroupInbox ping(1, spin);
  GroupInbox pong(2, spin);
  constexpr int kRounds = 10000;
  constexpr absl::Duration kPatience = absl::Seconds(20);
  std::thread echo([&] {
    for (int i = 0; i < kRounds; ++i) {
      absl::StatusOr<MessagePtr> m = ping.Wait(kPatience);
      ASSERT_TRUE(m.ok());
      ASSERT_NE(*m, nullptr) << "round " << i << ": lost wake-up";
      ASSERT_TRUE(pong.Push(*std::move(m)));
    }
  });
  MessagePtr ball = Message::Create();
  for (int i = 0; i < kRounds; ++i) {
    ball->header().message_id = i;
    ASSERT_TRUE(ping.Push(std::move(ball)));
    absl::StatusOr<MessagePtr> back = pong.Wait(kPatience);
    ASSERT_TRUE(back.ok());
    ASSERT_NE(*back, nullptr) << "round " << i << ": lost wake-up";
    EXPECT_EQ((*back)->header().message_id, static_cast<uint64_t>(i));
    ball = *std::move(back);
  }
  echo.join();
}

TEST(GroupInbox, EveryPushWakesABlockedWaiter) {
  PingPong(absl::ZeroDuration());
}

TEST(GroupInbox, EveryPushWakesASpinningWaiter) {
  PingPong(absl::Microseconds(50));
}

}  // namespace
}  // namespace tofu

namespace tofu {
namespace {

// The engine learns that a group waits for nothing (its reserve case) the
// moment the waiter blocks, and that it is no longer blocked once something
// is queued.
TEST(GroupInbox, TellsWhenItsWaiterBlocksOnNothing) {
  absl::Notification blocked;
  GroupInbox inbox(1, absl::ZeroDuration(), [&] {
    if (!blocked.HasBeenNotified()) blocked.Notify();
  });
  EXPECT_FALSE(inbox.blocked());
  std::thread waiter([&] {
    absl::StatusOr<MessagePtr> got = inbox.Wait(absl::Seconds(10));
    ASSERT_TRUE(got.ok());
    EXPECT_NE(*got, nullptr);
  });
  ASSERT_TRUE(blocked.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(inbox.blocked());
  inbox.Push(Message::Create());
  EXPECT_FALSE(inbox.blocked());
  waiter.join();
  EXPECT_FALSE(inbox.blocked());
}

}  // namespace
}  // namespace tofu
