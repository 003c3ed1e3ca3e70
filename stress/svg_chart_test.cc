#include "stress/svg_chart.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stress/testing/well_formed.h"

namespace tofu::stress {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

PointResult Point(Transport t, Pattern p, int connections, int size,
                  double msgs_per_s, double p99_us) {
  PointResult r;
  r.spec.transport = t;
  r.spec.pattern = p;
  r.spec.connections = connections;
  r.spec.size = size;
  r.elapsed = absl::Seconds(1);
  r.messages = static_cast<uint64_t>(msgs_per_s);
  if (p == Pattern::kEcho) {
    r.rtt.count = r.messages;
    r.rtt.p99 = absl::Microseconds(p99_us);
  }
  return r;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(SvgChart, IsWellFormedWithALinePerSeriesAndPanel) {
  std::vector<PointResult> results;
  for (Transport t : {Transport::kTcp, Transport::kUds}) {
    for (int size : {64, 65535}) {
      for (int c : {1, 20, 100, 1000}) {
        results.push_back(
            Point(t, Pattern::kEcho, c, size, 20000.0 * c / (c + 3), 40.0 * c));
      }
    }
  }
  const std::string svg = FormatSvgChart(results, "2 CPUs & <pipeline 1>");
  ASSERT_TRUE(testing::CheckXml(svg).ok()) << testing::CheckXml(svg);
  EXPECT_THAT(svg, HasSubstr("xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("2 CPUs &amp; &lt;pipeline 1&gt;"));
  // 4 series x 2 panels.
  EXPECT_EQ(Count(svg, "<polyline"), 8u);
  EXPECT_EQ(Count(svg, "stroke-dasharray"), 2u * 2 + 2);  // uds lines + legend
  EXPECT_THAT(svg, HasSubstr(">tcp echo 64 B<"));
  EXPECT_THAT(svg, HasSubstr(">uds echo 65535 B<"));
  EXPECT_THAT(svg, HasSubstr("connections (log scale)"));
  EXPECT_THAT(svg, HasSubstr(">1k<"));        // a decade label on the x axis
  EXPECT_THAT(svg, HasSubstr("\xC2\xB5s<"));  // latency labels in µs
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
}

TEST(SvgChart, StreamsHaveNoLatencyLine) {
  const std::vector<PointResult> results = {
      Point(Transport::kTcp, Pattern::kStream, 1, 64, 1000, 0),
      Point(Transport::kTcp, Pattern::kStream, 10, 64, 5000, 0)};
  const std::string svg = FormatSvgChart(results, "");
  ASSERT_TRUE(testing::CheckXml(svg).ok()) << testing::CheckXml(svg);
  EXPECT_EQ(Count(svg, "<polyline"), 1u);
  EXPECT_THAT(svg, HasSubstr(">no data<"));
  EXPECT_THAT(svg, HasSubstr("<rect x="));  // square markers for streams
}

TEST(SvgChart, EmptyAndSinglePointChartsAreWellFormed) {
  const std::string empty = FormatSvgChart({}, "nothing");
  EXPECT_TRUE(testing::CheckXml(empty).ok()) << empty;
  EXPECT_EQ(Count(empty, ">no data<"), 2u);
  const std::string one = FormatSvgChart(
      {Point(Transport::kUds, Pattern::kEcho, 1000, 1024, 5e5, 250)}, "");
  EXPECT_TRUE(testing::CheckXml(one).ok()) << one;
  EXPECT_EQ(Count(one, "<circle"), 3u);  // two panels and the legend
}

}  // namespace
}  // namespace tofu::stress
