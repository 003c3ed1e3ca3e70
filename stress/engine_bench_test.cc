#include "stress/engine_bench.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "stress/raw_baseline.h"

namespace tofu::stress {
namespace {

// The bench's engine measurements finish every message or round trip, with
// and without spinning, and account the process CPU they took.
class EngineBenchTest : public testing::TestWithParam<BenchTransport> {};

TEST_P(EngineBenchTest, ThroughputCountsEveryMessageAndItsCpu) {
  absl::StatusOr<ThroughputResult> r = EngineThroughput(GetParam(), 64, 20000);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->messages, 20000u);
  EXPECT_GT(r->cpu, absl::ZeroDuration());
  EXPECT_GT(r->CpuNanosPerMessage(), 0);
}

TEST_P(EngineBenchTest, PingPongWithAndWithoutSpinning) {
  for (const bool spin : {true, false}) {
    absl::StatusOr<PingPongResult> r =
        EnginePingPong(GetParam(), 1024, 500, spin);
    ASSERT_TRUE(r.ok()) << "spin " << spin << ": " << r.status();
    EXPECT_EQ(r->round_trips, 500u);
    EXPECT_EQ(r->rtt.count, 500u) << "spin " << spin;
    EXPECT_GT(r->cpu, absl::ZeroDuration()) << "spin " << spin;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, EngineBenchTest,
    testing::Values(BenchTransport::kTcp, BenchTransport::kUds),
    [](const testing::TestParamInfo<BenchTransport>& info) {
      return std::string(info.param == BenchTransport::kTcp ? "Tcp" : "Uds");
    });

}  // namespace
}  // namespace tofu::stress
