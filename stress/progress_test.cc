#include "stress/progress.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

using ::testing::HasSubstr;

PointSpec Spec() {
  PointSpec s;
  s.connections = 100;
  s.size = 1024;
  return s;
}

TEST(ProgressLine, ShowsPercentOrCount) {
  EXPECT_EQ(ProgressLine(2, 24, Spec(), 20000, 8200, absl::Seconds(1.25)),
            "[3/24] tcp echo 100 conns 1024 B: 41% (8200/20000 messages, "
            "1.2 s)");
  EXPECT_EQ(ProgressLine(0, 1, Spec(), 0, 77, absl::Seconds(2)),
            "[1/1] tcp echo 100 conns 1024 B: 77 messages, 2.0 s");
}

TEST(FinishedLine, SaysOkWithNumbersOrFailedWithTheFirstViolation) {
  PointResult r;
  r.spec = Spec();
  r.messages = 20000;
  r.body_bytes = 20000 * 1024;
  r.elapsed = absl::Milliseconds(500);
  r.rtt.count = 20000;
  r.rtt.p99 = absl::Microseconds(412);
  EXPECT_EQ(FinishedLine(2, 24, r),
            "[3/24] tcp echo 100 conns 1024 B: ok, 20000 messages in 0.500 "
            "s, 40000 msg/s, 40.96 MB/s, rtt p99 412.0 us");
  r.violations.Add("client: connection 7 cycle 1 (client channel 8): boom");
  EXPECT_EQ(FinishedLine(2, 24, r),
            "[3/24] tcp echo 100 conns 1024 B: FAILED (1 error): client: "
            "connection 7 cycle 1 (client channel 8): boom");
}

// What a printer writes for one point that reports progress halfway.
std::string PrintOnePoint(bool interactive) {
  std::ostringstream out;
  {
    ProgressPrinter printer(out, interactive);
    PointResult r;
    r.spec = Spec();
    printer.PointStarted(0, 2, r.spec, 10);
    printer.PointProgress(5, absl::Seconds(1));
    printer.PointFinished(0, 2, r);
  }
  return out.str();
}

TEST(ProgressPrinter, WritesOneLinePerPointWhenNotInteractive) {
  const std::string text = PrintOnePoint(/*interactive=*/false);
  EXPECT_THAT(text, HasSubstr("[1/2] tcp echo 100 conns 1024 B: ok"));
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressPrinter, RedrawsInPlaceAndErasesWhenInteractive) {
  const std::string text = PrintOnePoint(/*interactive=*/true);
  EXPECT_THAT(text, HasSubstr("\r[1/2] tcp echo 100 conns 1024 B: 50% (5/10"));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_THAT(text, ::testing::EndsWith("\r\x1b[K"));
}

}  // namespace
}  // namespace tofu::stress
