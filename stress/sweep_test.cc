#include "stress/sweep.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "stress/point.h"
#include "stress/sweep_options.h"
#include "transport/socket.h"
#include "transport/testing/platform_support.h"

namespace tofu::stress {
namespace {

// Both transports where AF_UNIX exists (Wine has none: tcp alone there).
std::string Transports() {
  if (UnixSocketsSupported()) return "tcp,uds";
  std::printf("uds left out: %s\n", kNoUnixSocketsReason);
  return "tcp";
}

SweepOptions Tiny(bool churn) {
  SweepFlags flags;
  flags.transports = Transports();
  flags.connections = "1,5";
  flags.sizes = "64";
  flags.pattern = "echo,stream";
  flags.messages = 20;
  flags.pipeline = 4;
  flags.client_threads = 2;
  flags.churn = churn;
  flags.churn_messages = 7;  // 3 cycles of 7, 7 and 6
  // The churn sweep also runs its engines without the spins.
  if (churn) flags.receive_spin = flags.io_spin = absl::ZeroDuration();
  absl::StatusOr<SweepOptions> options = MakeSweepOptions(flags);
  EXPECT_TRUE(options.ok()) << options.status();
  return *options;
}

std::string FirstViolation(const PointResult& r) {
  return r.violations.first.empty() ? "" : r.violations.first.front();
}

void ExpectAllPassed(const SweepOptions& options, uint64_t cycles) {
  const std::vector<PointResult> results = RunSweep(options, nullptr);
  // transports x 2 patterns x 2 connection counts
  ASSERT_EQ(results.size(), options.transports.size() * 4);
  for (const PointResult& r : results) {
    SCOPED_TRACE(DescribePoint(r.spec));
    EXPECT_EQ(r.violations.count, 0u) << FirstViolation(r);
    const uint64_t connections = static_cast<uint64_t>(r.spec.connections);
    EXPECT_EQ(r.messages, connections * 20);
    EXPECT_EQ(r.body_bytes, connections * 20 * 64);
    EXPECT_EQ(r.connections_opened, connections * cycles);
    EXPECT_EQ(r.setup.count, connections * cycles);
    EXPECT_GT(r.elapsed, absl::ZeroDuration());
    if (r.spec.pattern == Pattern::kEcho) {
      EXPECT_EQ(r.rtt.count, r.messages);
      EXPECT_GT(r.rtt.p50, absl::ZeroDuration());
      EXPECT_LE(r.rtt.p50, r.rtt.p99);
      EXPECT_LE(r.rtt.p99, r.rtt.max);
    } else {
      EXPECT_EQ(r.rtt.count, 0u);
    }
  }
  EXPECT_TRUE(AllPassed(results));
}

TEST(Sweep, TinySweepPassesOnBothTransportsAndPatterns) {
  ExpectAllPassed(Tiny(/*churn=*/false), 1);
}

TEST(Sweep, TinyChurnSweepReconnectsAndPasses) {
  ExpectAllPassed(Tiny(/*churn=*/true), 3);
}

TEST(Sweep, TimedPointRunsForItsDuration) {
  SweepFlags flags;
  flags.transports = "tcp";
  flags.connections = "3";
  flags.sizes = "1024";
  flags.duration = absl::Milliseconds(200);
  const std::vector<PointResult> results =
      RunSweep(MakeSweepOptions(flags).value(), nullptr);
  ASSERT_EQ(results.size(), 1u);
  const PointResult& r = results[0];
  EXPECT_EQ(r.violations.count, 0u) << FirstViolation(r);
  EXPECT_GE(r.elapsed, absl::Milliseconds(200));
  EXPECT_GT(r.messages, 0u);
}

TEST(Sweep, ConnectingToAServerThatIsNotThereFailsThePoint) {
  if (!UnixSocketsSupported()) GTEST_SKIP() << kNoUnixSocketsReason;
  SweepFlags flags;
  flags.transports = "uds";
  flags.connections = "2";
  flags.sizes = "64";
  flags.messages = 1;
  flags.connect = "uds|/nonexistent-dir/sweep.sock";
  const std::vector<PointResult> results =
      RunSweep(MakeSweepOptions(flags).value(), nullptr);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(AllPassed(results));
  EXPECT_NE(FirstViolation(results[0]).find("uds_path_not_found"),
            std::string::npos)
      << FirstViolation(results[0]);
}

}  // namespace
}  // namespace tofu::stress
