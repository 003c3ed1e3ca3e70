#include "stress/platform.h"

#include <cstdint>
#include <memory>

#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

TEST(Platform, CpuTimeGrowsWithWork) {
  const CpuTime before = ProcessCpuTime();
  // Work the optimiser cannot drop, until the clock (10 ms or coarser ticks)
  // has moved; bounded in case it never does.
  volatile uint64_t sink = 0;
  for (int round = 0; round < 2000; ++round) {
    for (uint64_t i = 0; i < 1000000; ++i) sink = sink + i * i;
    if (ProcessCpuTime().total() > before.total()) break;
  }
  const CpuTime after = ProcessCpuTime();
  EXPECT_GT(after.total(), before.total());
  EXPECT_GE(after.user, before.user);
  EXPECT_GE(after.system, before.system);
}

TEST(Platform, PeakRssCoversMemoryInUse) {
  ResetPeakRss();
  constexpr size_t kBytes = 64 << 20;
  std::unique_ptr<char[]> block(new char[kBytes]);
  // Volatile stores: the compiler may neither skip them nor the allocation.
  volatile char* pages = block.get();
  for (size_t i = 0; i < kBytes; i += 1024) pages[i] = 1;
  EXPECT_GE(PeakRssBytes(), kBytes);
}

TEST(Platform, DescriptorLimitCoversSmallNeedsAndRefusesHugeOnes) {
  EXPECT_TRUE(EnsureDescriptorLimit(64).ok());
#ifndef _WIN32
  // No system has a hard limit this high (Linux caps it at nr_open).
  const absl::Status huge = EnsureDescriptorLimit(uint64_t{1} << 40);
  EXPECT_EQ(huge.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(huge.message().find("1099511627776"), absl::string_view::npos)
      << huge.message();
#endif
}

TEST(Platform, EphemeralPortsArePlausibleWhenKnown) {
  if (std::optional<uint64_t> ports = EphemeralPortCount()) {
    EXPECT_GT(*ports, 0u);
    EXPECT_LE(*ports, 65536u);
  }
}

}  // namespace
}  // namespace tofu::stress
