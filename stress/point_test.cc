#include "stress/point.h"

#include <string>

#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

TEST(Violations, CountsEveryOneAndKeepsTheFirstFew) {
  Violations v;
  for (size_t i = 0; i < Violations::kKept + 5; ++i) {
    v.Add("violation " + std::to_string(i));
  }
  EXPECT_EQ(v.count, Violations::kKept + 5);
  ASSERT_EQ(v.first.size(), Violations::kKept);
  EXPECT_EQ(v.first.front(), "violation 0");
}

TEST(Violations, MergeAddsCountsAndAppendsWhileThereIsRoom) {
  Violations a;
  a.Add("client: a");
  Violations b;
  b.Add("server: b");
  b.Add("server: c");
  a.Merge(b);
  EXPECT_EQ(a.count, 3u);
  EXPECT_EQ(a.first,
            (std::vector<std::string>{"client: a", "server: b", "server: c"}));
}

TEST(PointResult, RatesAndVerdict) {
  PointResult r;
  EXPECT_EQ(r.MessagesPerSecond(), 0.0);  // nothing measured
  r.messages = 500;
  r.body_bytes = 2000000;
  r.elapsed = absl::Milliseconds(250);
  EXPECT_DOUBLE_EQ(r.MessagesPerSecond(), 2000.0);
  EXPECT_DOUBLE_EQ(r.MegabytesPerSecond(), 8.0);
  EXPECT_TRUE(r.passed());
  EXPECT_TRUE(AllPassed({r}));
  EXPECT_FALSE(AllPassed({}));
  r.violations.Add("client: x");
  EXPECT_FALSE(r.passed());
  EXPECT_FALSE(AllPassed({PointResult(), r}));
}

TEST(DescribePoint, NamesTransportPatternConnectionsSizeAndChurn) {
  PointSpec s;
  s.transport = Transport::kUds;
  s.pattern = Pattern::kStream;
  s.connections = 1;
  s.size = 0;
  EXPECT_EQ(DescribePoint(s), "uds stream 1 conn 0 B");
  s.connections = 20;
  s.churn = true;
  EXPECT_EQ(DescribePoint(s), "uds stream 20 conns 0 B churn");
}

}  // namespace
}  // namespace tofu::stress
