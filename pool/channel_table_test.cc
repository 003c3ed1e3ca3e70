#include "pool/channel_table.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "message/status.h"

namespace tofu {
namespace {

struct State {
  explicit State(std::string n) : name(std::move(n)) {}
  std::string name;
};

TEST(ChannelTable, OpensNumbersInRangeWithState) {
  ChannelTable<State> table;
  auto a = table.Open(1, "a");
  auto b = table.Open(1, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->number, b->number);
  for (const ChannelToken& t : {*a, *b}) {
    EXPECT_GE(t.number, kMinChannelNumber);
    EXPECT_LE(t.number, kMaxChannelNumber);
  }
  ASSERT_NE(table.Find(*a), nullptr);
  EXPECT_EQ(table.Find(*a)->name, "a");
  EXPECT_EQ(table.Find(*b)->name, "b");
  EXPECT_EQ(table.open_count(), 2u);
}

TEST(ChannelTable, StateAddressIsStable) {
  ChannelTable<State> table;
  auto a = table.Open(1, "a");
  State* before = table.Find(*a);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(table.Open(1, "x").ok());
  EXPECT_EQ(table.Find(*a), before);
}

TEST(ChannelTable, OwnerCheck) {
  ChannelTable<State> table;
  auto a = table.Open(7, "a");
  EXPECT_TRUE(table.CheckOwner(a->number, 7).ok());
  EXPECT_EQ(*table.CheckOwner(a->number, 7), *a);
  EXPECT_EQ(StatusCodeOf(table.CheckOwner(a->number, 8).status()),
            StatusCode::kInvalidChannelGroup);
  EXPECT_EQ(StatusCodeOf(table.CheckOwner(a->number == 1 ? 2 : 1, 7).status()),
            StatusCode::kInvalidChannelNumber);
  EXPECT_EQ(StatusCodeOf(table.CheckOwner(0, 7).status()),
            StatusCode::kInvalidChannelNumber);
  EXPECT_EQ(StatusCodeOf(table.CheckOwner(65535, 7).status()),
            StatusCode::kInvalidChannelNumber);
}

TEST(ChannelTable, HintBelongsToOneOpening) {
  ChannelTable<State> table(/*quarantine=*/0);
  auto a = table.Open(1, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(table.Hint(*a));  // false when it opens
  table.SetHint(*a, true);
  EXPECT_TRUE(table.Hint(*a));
  ASSERT_TRUE(table.Close(*a));
  EXPECT_FALSE(table.Hint(*a));  // closed
  table.SetHint(*a, true);       // ignored once closed
  EXPECT_FALSE(table.Hint(*a));
  EXPECT_FALSE(table.Hint(ChannelToken{0, 1}));
  // Never-used numbers come first: with every other number open, the next
  // opening reuses a's number, and starts without a's hint.
  for (uint32_t n = 1; n < kMaxChannelNumber; ++n) {
    ASSERT_TRUE(table.Open(1, "filler").ok());
  }
  auto b = table.Open(1, "b");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->number, a->number);
  EXPECT_FALSE(table.Hint(*b));
  table.SetHint(*b, true);
  EXPECT_TRUE(table.Hint(*b));
  EXPECT_FALSE(table.Hint(*a));  // the old opening's token
}

TEST(ChannelTable, StaleTokenNeverFindsANewChannel) {
  // No quarantine, so the number comes back as soon as the free list wraps.
  ChannelTable<State> table(/*quarantine=*/0);
  auto first = table.Open(1, "first");
  EXPECT_TRUE(table.IsOpen(*first));
  ASSERT_TRUE(table.Close(*first));
  EXPECT_FALSE(table.IsOpen(*first));
  EXPECT_EQ(table.Find(*first), nullptr);
  EXPECT_EQ(StatusCodeOf(table.CheckOwner(first->number, 1).status()),
            StatusCode::kChannelClosed);
  EXPECT_EQ(StatusCodeOf(table.CheckOwner(first->number, 2).status()),
            StatusCode::kInvalidChannelNumber);
  EXPECT_FALSE(table.Close(*first));
  std::optional<ChannelToken> reopened;
  for (int i = 0; i < 65534 && !reopened; ++i) {
    auto t = table.Open(1, "later");
    ASSERT_TRUE(t.ok());
    if (t->number == first->number) reopened = *t;
  }
  ASSERT_TRUE(reopened.has_value());
  EXPECT_NE(reopened->generation, first->generation);
  EXPECT_EQ(table.Find(*first), nullptr);
  EXPECT_FALSE(table.IsOpen(*first));
  EXPECT_TRUE(table.IsOpen(*reopened));
  ASSERT_NE(table.Find(*reopened), nullptr);
  EXPECT_EQ(table.Find(*reopened)->name, "later");
  EXPECT_EQ(table.CheckOwner(first->number, 1).value(), *reopened);
}

TEST(ChannelTable, RecentlyReleasedNumbersAreQuarantined) {
  ChannelTable<State> table(/*quarantine=*/1024);
  // Open everything, then release 1025 numbers: only the first released may
  // come back.
  std::vector<ChannelToken> open;
  while (true) {
    auto t = table.Open(1, "");
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
      break;
    }
    open.push_back(*t);
  }
  EXPECT_EQ(open.size(), 65534u);
  for (int i = 0; i < 1024; ++i) ASSERT_TRUE(table.Close(open[i]));
  EXPECT_FALSE(table.Open(1, "").ok())
      << "all free numbers are still quarantined";
  ASSERT_TRUE(table.Close(open[1024]));
  auto reused = table.Open(1, "");
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->number, open[0].number);
}

TEST(ChannelTable, TokenPacksIntoSixtyFourBits) {
  const ChannelToken t{65534, 0xFFFFFFFFu};
  EXPECT_EQ(ChannelToken::Unpack(t.Pack()), t);
  const ChannelToken u{1, 3};
  EXPECT_EQ(ChannelToken::Unpack(u.Pack()), u);
}

TEST(ChannelTable, ConcurrentOpenAndCloseGiveUniqueNumbers) {
  ChannelTable<State> table;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<ChannelToken>> tokens(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto token = table.Open(t, "s");
        ASSERT_TRUE(token.ok());
        tokens[t].push_back(*token);
        if (i % 2 == 1) {
          ASSERT_TRUE(table.Close(tokens[t][i - 1]));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  absl::flat_hash_set<uint64_t> packed;
  for (const auto& v : tokens) {
    for (const ChannelToken& token : v)
      EXPECT_TRUE(packed.insert(token.Pack()).second);
  }
  EXPECT_EQ(table.open_count(), size_t{kThreads} * kPerThread / 2);
}

// CheckOwner answers the common case without the lock: racing opens and
// closes, every token it hands out names an opening of the asking owner.
TEST(ChannelTable, CheckOwnerRacingOpenAndCloseNeverAnswersForAnotherOwner) {
  ChannelTable<State> table(/*quarantine=*/0);
  constexpr int kOpenings = 20000;
  std::atomic<uint16_t> latest{0};
  std::atomic<bool> done{false};
  absl::flat_hash_map<uint64_t, uint64_t> owner_of;  // packed token -> owner
  std::thread writer([&] {
    for (int i = 0; i < kOpenings; ++i) {
      const uint64_t owner = 1 + i % 2;
      auto token = table.Open(owner, "s");
      ASSERT_TRUE(token.ok());
      owner_of[token->Pack()] = owner;
      latest.store(token->number, std::memory_order_release);
      ASSERT_TRUE(table.Close(*token));
    }
    done.store(true, std::memory_order_release);
  });
  std::vector<ChannelToken> answered;
  while (!done.load(std::memory_order_acquire)) {
    const uint16_t n = latest.load(std::memory_order_acquire);
    for (uint16_t m = n; m <= n + 1 && m >= kMinChannelNumber; ++m) {
      absl::StatusOr<ChannelToken> t = table.CheckOwner(m, /*owner=*/1);
      if (t.ok()) answered.push_back(*t);
    }
  }
  writer.join();
  for (const ChannelToken& t : answered) {
    auto it = owner_of.find(t.Pack());
    ASSERT_NE(it, owner_of.end()) << t.number << "/" << t.generation;
    EXPECT_EQ(it->second, 1u) << t.number << "/" << t.generation;
  }
}

}  // namespace
}  // namespace tofu
