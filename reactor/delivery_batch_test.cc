#include "reactor/delivery_batch.h"

#include <utility>

#include "gtest/gtest.h"
#include "message/message.h"
#include "message/status.h"
#include "pool/message_pool.h"
#include "reactor/group_inbox.h"

namespace tofu {
namespace {

MessagePtr WithId(uint64_t id) {
  MessagePtr m = Message::Create();
  m->header().message_id = id;
  return m;
}

// The next message in `inbox`, or null when none is queued.
MessagePtr Next(GroupInbox& inbox) {
  absl::StatusOr<MessagePtr> m = inbox.Wait(absl::ZeroDuration());
  EXPECT_TRUE(m.ok());
  return m.ok() ? std::move(*m) : nullptr;
}

TEST(DeliveryBatch, HandsEachGroupItsMessagesInOrderOnFlush) {
  GroupInbox a(1);
  GroupInbox b(2);
  DeliveryBatch batch;
  EXPECT_TRUE(batch.empty());
  batch.Deliver(&a, WithId(1));
  batch.Deliver(&b, WithId(2));
  batch.Deliver(&a, WithId(3));
  batch.Deliver(&a, WithId(4));
  batch.Deliver(&b, WithId(5));
  EXPECT_FALSE(batch.empty());
  EXPECT_EQ(Next(a), nullptr);  // nothing is handed over before Flush
  batch.Flush();
  EXPECT_TRUE(batch.empty());
  for (uint64_t id : {1, 3, 4}) {
    MessagePtr m = Next(a);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->header().message_id, id);
  }
  EXPECT_EQ(Next(a), nullptr);
  for (uint64_t id : {2, 5}) {
    MessagePtr m = Next(b);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->header().message_id, id);
  }
  EXPECT_EQ(Next(b), nullptr);
}

TEST(DeliveryBatch, ReturnToAppMarksTheMessageReturnedByTheEngine) {
  GroupInbox inbox(1);
  DeliveryBatch batch;
  MessagePtr m = WithId(7);
  m->header().origin = Origin::kApplication;
  batch.Deliver(&inbox, WithId(6));
  batch.ReturnToApp(&inbox, std::move(m), StatusCode::kChannelClosed);
  batch.Flush();
  EXPECT_EQ(Next(inbox)->arrival(), Arrival::kNone);  // delivered as it was
  MessagePtr returned = Next(inbox);
  ASSERT_NE(returned, nullptr);
  EXPECT_EQ(returned->header().message_id, 7u);
  EXPECT_EQ(returned->header().status, StatusCode::kChannelClosed);
  EXPECT_EQ(returned->header().origin, Origin::kEngine);
  EXPECT_EQ(returned->arrival(), Arrival::kReturned);
}

TEST(DeliveryBatch, FlushToAClosedInboxReleasesTheMessages) {
  MessagePool pool(PoolOptions{.initial = 1, .max = 1});
  GroupInbox inbox(1);
  inbox.Close();
  DeliveryBatch batch;
  batch.Deliver(&inbox, pool.Get(AllocationStrategy::kPoolOnly));
  EXPECT_EQ(pool.stats().in_use, 1u);
  batch.Flush();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(NewSignal, IsAnEngineNotificationFromThePool) {
  MessagePool pool(PoolOptions{.initial = 1, .max = 1});
  MessagePtr signal = NewSignal(pool, StatusCode::kPoolEmpty, 3, 9);
  EXPECT_EQ(signal->header().op_code, OpCode::kSignal);
  EXPECT_EQ(signal->header().origin, Origin::kEngine);
  EXPECT_EQ(signal->header().status, StatusCode::kPoolEmpty);
  EXPECT_EQ(signal->header().channel_number, 3);
  EXPECT_EQ(signal->header().message_id, 9u);
  EXPECT_EQ(signal->arrival(), Arrival::kNotification);
  EXPECT_EQ(pool.stats().gets, 1u);
  // None idle now: the next is allocated rather than refused.
  EXPECT_NE(NewSignal(pool, StatusCode::kPoolEmpty, 3, 9), nullptr);
}

}  // namespace
}  // namespace tofu
