#include "reactor/group_inbox.h"

#include <thread>

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

}  // namespace
}  // namespace tofu
