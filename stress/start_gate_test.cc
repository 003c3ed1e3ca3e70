#include "stress/start_gate.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

TEST(StartGate, ReleasesEveryPartyWithTheSameStart) {
  constexpr int kParties = 4;
  StartGate gate(kParties);
  std::atomic<uint64_t> activity{0};
  std::vector<absl::StatusOr<SteadyTime>> starts(kParties);
  std::vector<std::thread> threads;
  for (int i = 0; i < kParties; ++i) {
    threads.emplace_back([&, i] {
      starts[i] = gate.ArriveAndWait(absl::Seconds(10), activity);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& s : starts) {
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(*s, *starts[0]);
  }
}

TEST(StartGate, AbortReleasesWaitersWithCancelled) {
  StartGate gate(2);
  std::atomic<uint64_t> activity{0};
  absl::StatusOr<SteadyTime> result;
  std::thread waiter(
      [&] { result = gate.ArriveAndWait(absl::Seconds(10), activity); });
  gate.Abort();
  waiter.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
}

TEST(StartGate, TimesOutWhenNothingMoves) {
  StartGate gate(3);
  std::atomic<uint64_t> activity{0};
  const absl::StatusOr<SteadyTime> result =
      gate.ArriveAndWait(absl::Milliseconds(50), activity);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(result.status().message().find("1 of 3 threads ready"),
            absl::string_view::npos)
      << result.status();
}

}  // namespace
}  // namespace tofu::stress
