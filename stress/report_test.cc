#include "stress/report.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stress/testing/well_formed.h"

namespace tofu::stress {
namespace {

using ::testing::HasSubstr;

PointResult Echo(int connections, int size) {
  PointResult r;
  r.spec.connections = connections;
  r.spec.size = size;
  r.spec.messages = 100;
  r.messages = 100ull * connections;
  r.body_bytes = r.messages * size;
  r.elapsed = absl::Milliseconds(250);
  r.rtt = {r.messages, absl::Microseconds(50), absl::Microseconds(120),
           absl::Microseconds(300), absl::Microseconds(900)};
  r.setup = {static_cast<uint64_t>(connections), absl::Microseconds(80),
             absl::Microseconds(200), absl::Microseconds(210),
             absl::Microseconds(400)};
  r.connections_opened = connections;
  r.cpu = absl::Milliseconds(400);
  r.verify_time = absl::Milliseconds(20) * connections;
  r.peak_rss_bytes = 20 << 20;
  return r;
}

std::vector<PointResult> Sample() {
  PointResult stream = Echo(20, 1024);
  stream.spec.transport = Transport::kUds;
  stream.spec.pattern = Pattern::kStream;
  stream.rtt = {};
  PointResult failed = Echo(5, 64);
  failed.spec.churn = true;
  failed.violations.Add(
      "client: connection 3 cycle 1 (client channel 4): response expected "
      "sequence 2, got 3: 2 missing so far, \"quoted\"\nnext line");
  failed.violations.Add("server: connection 3 cycle 1: closed without a Bye");
  return {Echo(1, 64), stream, failed};
}

// CSV rows split into fields, honouring quotes (which may hold ',' and '\n').
std::vector<std::vector<std::string>> ParseCsv(const std::string& csv) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back() == std::vector<std::string>(1)) rows.pop_back();
  return rows;
}

TEST(FormatTable, OneAlignedLinePerPoint) {
  const std::string table = FormatTable(Sample());
  std::vector<std::string> lines =
      absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], HasSubstr("msg/s"));
  EXPECT_THAT(lines[0], HasSubstr("rtt_p99.9_us"));
  EXPECT_THAT(lines[1], HasSubstr(" 400 "));  // 100 messages in 0.25 s
  EXPECT_THAT(lines[1], HasSubstr("120.0"));  // p99 in us
  EXPECT_THAT(lines[0], HasSubstr("verify_ns/msg"));
  EXPECT_THAT(lines[1], HasSubstr(" 200000 "));  // 20 ms over 100 messages
  EXPECT_THAT(lines[1], HasSubstr(" 5.0 "));     // of 400 ms of CPU
  EXPECT_THAT(lines[2], HasSubstr("stream"));
  EXPECT_THAT(lines[2], HasSubstr(" - "));  // streams have no latency
  EXPECT_THAT(lines[3], HasSubstr("echo+churn"));
  // Right-aligned numbers: every line ends in the errors column.
  EXPECT_EQ(lines[1].back(), '0');
  EXPECT_EQ(lines[3].back(), '2');
  EXPECT_EQ(lines[1].size(), lines[3].size());
}

TEST(FormatCsv, EveryRowHasEveryFieldAndQuotesRoundTrip) {
  const std::vector<PointResult> results = Sample();
  const std::vector<std::vector<std::string>> rows =
      ParseCsv(FormatCsv(results));
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows[0].size());
  EXPECT_EQ(rows[0][0], "transport");
  EXPECT_EQ(rows[1][0], "tcp");
  EXPECT_EQ(rows[2][0], "uds");
  EXPECT_EQ(rows[3].back(), results[2].violations.first.front());
  const auto column = [&rows](const std::string& name) {
    for (size_t i = 0; i < rows[0].size(); ++i) {
      if (rows[0][i] == name) return i;
    }
    return rows[0].size();
  };
  ASSERT_LT(column("messages_per_s"), rows[0].size());
  EXPECT_EQ(rows[1][column("messages_per_s")], "400");
  EXPECT_EQ(rows[3][column("passed")], "false");
  EXPECT_EQ(rows[3][column("churn")], "true");
}

TEST(FormatJson, IsWellFormedAndCarriesEveryPoint) {
  const std::string json = FormatJson(Sample(), {2, "sweep --x=\"a b\"\\"});
  EXPECT_TRUE(testing::CheckJson(json).ok()) << testing::CheckJson(json) << "\n"
                                             << json;
  EXPECT_THAT(json, HasSubstr("\"cpus\": 2"));
  EXPECT_THAT(json, HasSubstr("\"passed\": false"));
  EXPECT_THAT(json, HasSubstr("\\\"quoted\\\"\\nnext line"));
  EXPECT_THAT(json, HasSubstr("\"rtt_p99_us\": 120"));
  EXPECT_THAT(json, HasSubstr("\"verify_s\": 0.02,"));
  EXPECT_THAT(json, HasSubstr("\"verify_ns_per_message\": 200000"));
  EXPECT_THAT(json, HasSubstr("\"verify_share_of_cpu\": 0.05,"));
}

TEST(FormatJson, EmptyRunIsWellFormedAndNotPassed) {
  const std::string json = FormatJson({}, {1, ""});
  EXPECT_TRUE(testing::CheckJson(json).ok()) << json;
  EXPECT_THAT(json, HasSubstr("\"passed\": false"));
}

TEST(WellFormed, TheCheckersRejectBrokenInput) {
  EXPECT_FALSE(testing::CheckJson("{\"a\": 1,}").ok());
  EXPECT_FALSE(testing::CheckJson("{\"a\": nan}").ok());
  EXPECT_FALSE(testing::CheckJson("[1] 2").ok());
  EXPECT_TRUE(testing::CheckJson(" {\"a\": [1, -2.5e3, \"x\\u00e9\"]} ").ok());
  EXPECT_FALSE(testing::CheckXml("<a><b></a></b>").ok());
  EXPECT_FALSE(testing::CheckXml("<a x=\"1\" x=\"2\"/>").ok());
  EXPECT_FALSE(testing::CheckXml("<a>x & y</a>").ok());
  EXPECT_FALSE(testing::CheckXml("<a/><b/>").ok());
  EXPECT_TRUE(
      testing::CheckXml("<?xml version=\"1.0\"?>\n<a k='v'><!-- c --><b/>"
                        "t &amp; &#181;</a>\n")
          .ok());
}

}  // namespace
}  // namespace tofu::stress
