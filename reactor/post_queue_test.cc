#include "reactor/post_queue.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "message/message.h"
#include "message/message_queue.h"
#include "pool/channel_table.h"
#include "reactor/group_inbox.h"

namespace tofu {
namespace {

using Posted = PostQueue::Posted;

MessagePtr WithId(uint64_t id) {
  MessagePtr m = Message::Create();
  m->header().message_id = id;
  return m;
}

void Push(PostQueue& queue, GroupInbox& group, ChannelToken token,
          uint64_t id) {
  absl::MutexLock lock(&queue.mu());
  queue.Push(Posted{WithId(id), &group, token, nullptr});
}

TEST(PostQueue, TakeAllHandsOverEverythingInPostOrder) {
  PostQueue queue;
  GroupInbox group(1);
  for (uint64_t id = 1; id <= 3; ++id) Push(queue, group, {1, 1}, id);
  std::vector<Posted> batch;
  EXPECT_FALSE(queue.TakeAll(batch));
  ASSERT_EQ(batch.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i)
    EXPECT_EQ(batch[i].message->header().message_id, i + 1);
  std::vector<Posted> empty;
  EXPECT_FALSE(queue.TakeAll(empty));
  EXPECT_TRUE(empty.empty());
}

TEST(PostQueue, StoppingRefusesGroupsAndDestroysAndKeepsThePosts) {
  PostQueue queue;
  auto group = std::make_shared<GroupInbox>(1);
  ASSERT_TRUE(queue.AddGroup(group));
  Push(queue, *group, {1, 1}, 1);
  EXPECT_TRUE(queue.Stop());
  EXPECT_FALSE(queue.Stop());  // once only
  {
    absl::MutexLock lock(&queue.mu());
    EXPECT_TRUE(queue.stopping());
  }
  EXPECT_FALSE(queue.AddGroup(std::make_shared<GroupInbox>(2)));
  absl::Notification done;
  EXPECT_FALSE(queue.QueueDestroy(*group, &done));
  EXPECT_TRUE(group->closed());  // closed even so
  std::vector<Posted> batch;
  EXPECT_TRUE(queue.TakeAll(batch, /*unless_stopping=*/true));
  EXPECT_TRUE(batch.empty());  // nothing moved
  EXPECT_TRUE(queue.TakeAll(batch));
  EXPECT_EQ(batch.size(), 1u);
}

TEST(PostQueue, QueueDestroyClosesTheInboxAndQueuesTheCommand) {
  PostQueue queue;
  auto group = std::make_shared<GroupInbox>(1);
  absl::Notification done;
  EXPECT_FALSE(queue.QueueDestroy(*group, &done));  // not registered
  ASSERT_TRUE(queue.AddGroup(group));
  GroupInbox other(2);
  EXPECT_TRUE(queue.QueueDestroy(*group, &done));
  EXPECT_TRUE(group->closed());
  EXPECT_FALSE(other.closed());
  std::vector<Posted> batch;
  queue.TakeAll(batch);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].message, nullptr);
  EXPECT_EQ(batch[0].group, group.get());
  EXPECT_EQ(batch[0].done, &done);
  queue.RemoveGroup(group->id());
  EXPECT_FALSE(queue.QueueDestroy(*group, &done));  // gone
}

TEST(PostQueue, TakeUnsentTakesOneOpeningsMessagesInPostOrder) {
  PostQueue queue;
  GroupInbox group(1);
  const ChannelToken closing{1, 1};
  const ChannelToken reopened{1, 2};  // the same number, a later opening
  const ChannelToken other{2, 1};
  Push(queue, group, closing, 1);
  Push(queue, group, other, 2);
  Push(queue, group, reopened, 3);
  Push(queue, group, closing, 4);
  absl::Notification done;
  auto destroyed = std::make_shared<GroupInbox>(3);
  ASSERT_TRUE(queue.AddGroup(destroyed));
  ASSERT_TRUE(queue.QueueDestroy(*destroyed, &done));  // a command, no message
  MessageQueue unsent;
  {
    absl::MutexLock lock(&queue.mu());
    queue.TakeUnsent(closing, unsent);
  }
  ASSERT_EQ(unsent.size(), 2u);
  EXPECT_EQ(unsent.PopFront()->header().message_id, 1u);
  EXPECT_EQ(unsent.PopFront()->header().message_id, 4u);
  std::vector<Posted> batch;
  queue.TakeAll(batch);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].message->header().message_id, 2u);
  EXPECT_EQ(batch[1].message->header().message_id, 3u);
  EXPECT_EQ(batch[2].done, &done);
}

TEST(PostQueue, ClosedSinceTellsWhetherAChannelClosedAfterAReading) {
  PostQueue queue;
  const uint64_t seen = queue.closes();
  absl::MutexLock lock(&queue.mu());
  EXPECT_FALSE(queue.ClosedSince(seen));
  queue.CountClose();
  EXPECT_TRUE(queue.ClosedSince(seen));
  EXPECT_FALSE(queue.ClosedSince(queue.closes()));
}

TEST(PostQueue, TakeEverythingEmptiesTheQueueAndTheGroups) {
  PostQueue queue;
  auto group = std::make_shared<GroupInbox>(1);
  ASSERT_TRUE(queue.AddGroup(group));
  Push(queue, *group, {1, 1}, 1);
  std::vector<Posted> posted;
  PostQueue::Groups groups;
  queue.TakeEverything(posted, groups);
  EXPECT_EQ(posted.size(), 1u);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups.begin()->second, group);
  absl::Notification done;
  EXPECT_FALSE(queue.QueueDestroy(*group, &done));  // no longer registered
}

}  // namespace
}  // namespace tofu
