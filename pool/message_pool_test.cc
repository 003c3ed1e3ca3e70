#include "pool/message_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "message/message.h"
#include "message/message_queue.h"

namespace tofu {
namespace {

TEST(MessagePool, Defaults) {
  MessagePool pool;
  EXPECT_EQ(pool.initial(), 16);
  EXPECT_EQ(pool.max(), 64);
  EXPECT_EQ(pool.stats().idle, 16u);
  EXPECT_EQ(pool.stats().allocated, 16u);
  MessagePool zeros(PoolOptions{.initial = 0, .max = 0});
  EXPECT_EQ(zeros.initial(), 16);
  EXPECT_EQ(zeros.max(), 64);
}

TEST(MessagePool, MaxBelowInitialIsRaised) {
  MessagePool pool(PoolOptions{.initial = 10, .max = 3});
  EXPECT_EQ(pool.max(), 10);
  EXPECT_EQ(pool.stats().idle, 10u);
}

TEST(MessagePool, PoolOnlyOnEmptyReturnsNothingAlwaysAllocates) {
  MessagePool pool(PoolOptions{.initial = 1, .max = 1});
  MessagePtr a = pool.Get(AllocationStrategy::kAlways);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(pool.Get(AllocationStrategy::kPoolOnly), nullptr);
  EXPECT_EQ(pool.stats().misses, 1u);
  MessagePtr b = pool.Get(AllocationStrategy::kAlways);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(pool.stats().allocated, 2u);
  EXPECT_EQ(pool.stats().in_use, 2u);
}

TEST(MessagePool, LifoOrder) {
  MessagePool pool(PoolOptions{.initial = 2, .max = 2});
  MessagePtr m1 = pool.Get(AllocationStrategy::kPoolOnly);
  MessagePtr m2 = pool.Get(AllocationStrategy::kPoolOnly);
  Message* p1 = m1.get();
  Message* p2 = m2.get();
  m1.reset();  // put m1
  m2.reset();  // put m2
  EXPECT_EQ(pool.Get(AllocationStrategy::kPoolOnly).get(), p2);
  // The message above went back on drop; LIFO again gives p2, so hold it this
  // time.
  MessagePtr first = pool.Get(AllocationStrategy::kPoolOnly);
  MessagePtr second = pool.Get(AllocationStrategy::kPoolOnly);
  EXPECT_EQ(first.get(), p2);
  EXPECT_EQ(second.get(), p1);
}

TEST(MessagePool, ReturnedMessagesAreReset) {
  MessagePool pool(PoolOptions{.initial = 1, .max = 1});
  MessagePtr m = pool.Get(AllocationStrategy::kPoolOnly);
  m->header().message_id = 42;
  m->body().Append("data");
  ASSERT_TRUE(m->AddTextHeader("a", "b").ok());
  m.reset();
  MessagePtr again = pool.Get(AllocationStrategy::kPoolOnly);
  EXPECT_EQ(again->header(), BinaryHeader());
  EXPECT_TRUE(again->body().empty());
  EXPECT_TRUE(again->text_headers().empty());
}

TEST(MessagePool, IdleCountNeverAboveMax) {
  MessagePool pool(PoolOptions{.initial = 2, .max = 4});
  std::vector<MessagePtr> out;
  for (int i = 0; i < 10; ++i)
    out.push_back(pool.Get(AllocationStrategy::kAlways));
  EXPECT_EQ(pool.stats().in_use, 10u);
  out.clear();
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.idle, 4u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.freed, 6u);
  EXPECT_EQ(s.allocated, 10u);
}

TEST(MessagePool, RefillCallbackFiresOncePerMissEpisode) {
  MessagePool pool(PoolOptions{.initial = 1, .max = 4});
  int refills = 0;
  pool.SetRefillCallback([&refills] { ++refills; });
  MessagePtr a = pool.Get(AllocationStrategy::kPoolOnly);
  MessagePtr b = pool.Get(AllocationStrategy::kAlways);
  a.reset();  // no miss yet: no callback
  EXPECT_EQ(refills, 0);
  MessagePtr c = pool.Get(AllocationStrategy::kPoolOnly);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(pool.Get(AllocationStrategy::kPoolOnly), nullptr);
  EXPECT_EQ(pool.Get(AllocationStrategy::kPoolOnly), nullptr);
  b.reset();
  EXPECT_EQ(refills, 1);
  c.reset();
  EXPECT_EQ(refills, 1);
  pool.SetRefillCallback(nullptr);
  MessagePtr d = pool.Get(AllocationStrategy::kPoolOnly);
  MessagePtr e = pool.Get(AllocationStrategy::kPoolOnly);
  EXPECT_EQ(pool.Get(AllocationStrategy::kPoolOnly), nullptr);
  d.reset();
  EXPECT_EQ(refills, 1);
}

TEST(MessagePool, RefillCallbackFiresOnFirstReturnAndAgainAtTheBatch) {
  MessagePool pool(PoolOptions{.initial = 4, .max = 4});
  int refills = 0;
  pool.SetRefillCallback([&refills] { ++refills; }, /*batch=*/3);
  MessageQueue out;
  ASSERT_EQ(pool.GetBatch(4, out), 4u);
  EXPECT_EQ(pool.GetBatch(1, out), 0u);  // a miss starts an episode
  out.PopFront().reset();
  EXPECT_EQ(refills, 1);  // something came back
  out.PopFront().reset();
  EXPECT_EQ(refills, 1);
  out.PopFront().reset();
  EXPECT_EQ(refills, 2);  // three idle: worth a resume
  out.PopFront().reset();
  EXPECT_EQ(refills, 2);  // once each per episode

  // A new episode; the reader takes two back meanwhile, so the batch is
  // reached only by later returns.
  ASSERT_EQ(pool.GetBatch(4, out), 4u);
  EXPECT_EQ(pool.GetBatch(1, out), 0u);
  out.PopFront().reset();
  out.PopFront().reset();
  EXPECT_EQ(refills, 3);
  MessageQueue again;
  ASSERT_EQ(pool.GetBatch(2, again), 2u);
  out.Clear();
  EXPECT_EQ(refills, 3);  // two idle
  again.Clear();
  EXPECT_EQ(refills, 4);
}

TEST(MessagePool, GetBatchTakesWhatIsIdleAndCountsAnEmptyPoolAsAMiss) {
  MessagePool pool(PoolOptions{.initial = 3, .max = 3});
  int refills = 0;
  pool.SetRefillCallback([&refills] { ++refills; });
  MessageQueue got;
  EXPECT_EQ(pool.GetBatch(2, got), 2u);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(pool.GetBatch(5, got), 1u);  // only one was left
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(pool.GetBatch(5, got), 0u);
  PoolStats s = pool.stats();
  EXPECT_EQ(s.gets, 3u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.in_use, 3u);
  EXPECT_EQ(s.idle, 0u);
  got.PopFront().reset();  // the miss episode ends with the first return
  EXPECT_EQ(refills, 1);
}

TEST(MessagePool, RecycleResetsOwnMessagesAndDropsOthersToTheirOwners) {
  MessagePool pool(PoolOptions{.initial = 2, .max = 2});
  MessagePool other(PoolOptions{.initial = 1, .max = 1});
  int refills = 0;
  pool.SetRefillCallback([&refills] { ++refills; });
  MessageQueue out;
  ASSERT_EQ(pool.GetBatch(2, out), 2u);
  EXPECT_EQ(pool.GetBatch(1, out), 0u);  // a miss: the next return refills
  out.front()->body().Append("used");
  out.front()->header().message_id = 7;
  out.PushBack(pool.Get(AllocationStrategy::kAlways));  // a third, over max
  out.PushBack(other.Get(AllocationStrategy::kPoolOnly));
  out.PushBack(Message::Create());  // no pool at all: deleted (LeakSanitizer)
  pool.Recycle(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(refills, 1);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 2u);
  EXPECT_EQ(s.freed, 1u);  // the one over max
  EXPECT_EQ(other.stats().idle, 1u);
  EXPECT_EQ(other.stats().in_use, 0u);
  for (int i = 0; i < 2; ++i) {
    MessagePtr m = pool.Get(AllocationStrategy::kPoolOnly);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->header(), BinaryHeader());
    EXPECT_TRUE(m->body().empty());
    out.PushBack(std::move(m));
  }
}

TEST(MessagePool, MessagesMayOutliveThePool) {
  MessagePtr survivor;
  {
    MessagePool pool(PoolOptions{.initial = 2, .max = 2});
    survivor = pool.Get(AllocationStrategy::kPoolOnly);
    survivor->body().Append("still usable");
  }
  EXPECT_EQ(survivor->body().view(), "still usable");
  survivor.reset();  // frees the message and the pool's remains (LeakSanitizer
                     // checks)
}

TEST(MessagePool, ConcurrentGetAndPut) {
  MessagePool pool(PoolOptions{.initial = 8, .max = 16});
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  std::atomic<int> nulls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, &nulls, t] {
      std::vector<MessagePtr> held;
      for (int i = 0; i < kRounds; ++i) {
        const auto strategy = (i + t) % 3 == 0 ? AllocationStrategy::kAlways
                                               : AllocationStrategy::kPoolOnly;
        MessagePtr m = pool.Get(strategy);
        if (m == nullptr) {
          nulls.fetch_add(1, std::memory_order_relaxed);
        } else {
          // Each message is exclusively ours: write and verify a thread-unique
          // pattern.
          m->header().message_id = static_cast<uint64_t>(t) << 32 | i;
          m->body().Append("x");
          EXPECT_EQ(m->body().size(), 1u);
          held.push_back(std::move(m));
        }
        if (held.size() > 3 || i % 7 == 0) held.clear();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_LE(s.idle, 16u);
  EXPECT_EQ(s.allocated, s.idle + s.freed);
  EXPECT_EQ(s.misses, static_cast<uint64_t>(nulls.load()));
  EXPECT_EQ(s.gets + s.misses, uint64_t{kThreads} * kRounds);
}

}  // namespace
}  // namespace tofu
