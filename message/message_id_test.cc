#include "message/message_id.h"

#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(MessageId, ConsecutiveIdsDifferByOne) {
  const uint64_t a = NextMessageId();
  const uint64_t b = NextMessageId();
  EXPECT_GE(a, 1u);
  EXPECT_EQ(b, a + 1);
}

TEST(MessageId, UniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      ids[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(NextMessageId());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::flat_hash_set<uint64_t> seen;
  for (const auto& v : ids) {
    for (uint64_t id : v) EXPECT_TRUE(seen.insert(id).second) << id;
  }
  EXPECT_EQ(seen.size(), size_t{kThreads} * kPerThread);
}

}  // namespace
}  // namespace tofu
