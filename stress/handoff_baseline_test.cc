#include "stress/handoff_baseline.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

TEST(HandoffPingPongTest, TimesEveryRoundTrip) {
  const PingPongResult r = HandoffPingPong(200);
  EXPECT_EQ(r.round_trips, 200u);
  EXPECT_EQ(r.rtt.count, 200u);
  EXPECT_GT(r.rtt.p50, absl::ZeroDuration());
  EXPECT_LE(r.rtt.p50, r.rtt.max);
}

}  // namespace
}  // namespace tofu::stress
