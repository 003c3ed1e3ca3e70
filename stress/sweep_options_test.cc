#include "stress/sweep_options.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

using ::testing::HasSubstr;

TEST(ParseIntList, ParsesSortsAndTrims) {
  absl::StatusOr<std::vector<int>> v =
      ParseIntList(" 100, 1 ,20", "connections", 1, 1000);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, (std::vector<int>{1, 20, 100}));
}

TEST(ParseIntList, RejectsBadItemsNamingTheFlag) {
  for (const char* text : {"", "1,,2", "1,x", "5000", "0", "3,3", "1.5"}) {
    absl::StatusOr<std::vector<int>> v =
        ParseIntList(text, "connections", 1, 1000);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(v.status().message()), HasSubstr("--connections"))
        << text;
  }
}

TEST(ParseNames, TransportsAndPatterns) {
  EXPECT_EQ(ParseTransports("uds,tcp").value(),
            (std::vector<Transport>{Transport::kUds, Transport::kTcp}));
  EXPECT_EQ(ParsePatterns("stream").value(),
            std::vector<Pattern>{Pattern::kStream});
  EXPECT_THAT(std::string(ParseTransports("tcp,udp").status().message()),
              HasSubstr("'udp' is not one of tcp, uds"));
  EXPECT_THAT(std::string(ParsePatterns("echo,echo").status().message()),
              HasSubstr("listed twice"));
}

TEST(MakeSweepOptions, DefaultsAreTheDocumentedSweep) {
  absl::StatusOr<SweepOptions> o = MakeSweepOptions(SweepFlags{});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->transports.size(), 2u);
  EXPECT_EQ(o->connections, (std::vector<int>{1, 20, 100, 1000}));
  EXPECT_EQ(o->sizes, (std::vector<int>{64, 1024, 65535}));
  EXPECT_EQ(o->patterns, std::vector<Pattern>{Pattern::kEcho});
  EXPECT_FALSE(o->listen.has_value());
  EXPECT_FALSE(o->connect.has_value());
  EXPECT_EQ(PlanPoints(*o).size(), 24u);
}

TEST(MakeSweepOptions, RejectsEachBadFlagByName) {
  struct Case {
    void (*mutate)(SweepFlags&);
    const char* expected;
  };
  const Case cases[] = {
      {[](SweepFlags& f) { f.sizes = "65536"; }, "--sizes"},
      {[](SweepFlags& f) { f.connections = "70000"; }, "65534 channel"},
      {[](SweepFlags& f) { f.pipeline = 0; }, "--pipeline"},
      {[](SweepFlags& f) { f.client_threads = 65; }, "--client_threads"},
      {[](SweepFlags& f) { f.messages = -1; }, "--messages"},
      {[](SweepFlags& f) { f.churn_messages = 0; }, "--churn_messages"},
      {[](SweepFlags& f) { f.pool_messages = 70000; }, "--pool_messages"},
      {[](SweepFlags& f) { f.receive_spin = -absl::Microseconds(1); },
       "--receive_spin"},
      {[](SweepFlags& f) { f.io_spin = -absl::Microseconds(1); }, "--io_spin"},
      {[](SweepFlags& f) { f.timeout = absl::ZeroDuration(); }, "--timeout"},
      {[](SweepFlags& f) { f.duration = -absl::Seconds(1); }, "--duration"},
      {[](SweepFlags& f) {
         f.messages = 5;
         f.duration = absl::Seconds(1);
       },
       "not both"},
      {[](SweepFlags& f) {
         f.listen = "tcp|127.0.0.1|0";
         f.connect = "tcp|127.0.0.1|1";
       },
       "exclude each other"},
      {[](SweepFlags& f) { f.listen = "tcp|127.0.0.1"; }, "--listen"},
      {[](SweepFlags& f) { f.connect = "udp|x"; }, "--connect"},
      {[](SweepFlags& f) {
         f.connect = "uds|/tmp/x.sock";
         f.transports = "tcp";
       },
       "does not list"},
  };
  for (const Case& c : cases) {
    SweepFlags flags;
    c.mutate(flags);
    absl::StatusOr<SweepOptions> o = MakeSweepOptions(flags);
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument)
        << c.expected;
    EXPECT_THAT(std::string(o.status().message()), HasSubstr(c.expected));
  }
}

TEST(DropUnsupportedTransports, DropsUdsWithANoticeOnlyWhereItIsMissing) {
  SweepOptions both = MakeSweepOptions(SweepFlags{}).value();
  EXPECT_EQ(DropUnsupportedTransports(both, true).value(), "");
  EXPECT_EQ(both.transports.size(), 2u);
  EXPECT_THAT(DropUnsupportedTransports(both, false).value(),
              HasSubstr("skipping uds"));
  EXPECT_EQ(both.transports, std::vector<Transport>{Transport::kTcp});

  SweepFlags flags;
  flags.transports = "uds";
  SweepOptions uds_only = MakeSweepOptions(flags).value();
  EXPECT_EQ(DropUnsupportedTransports(uds_only, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  flags.transports = "tcp,uds";
  flags.connect = "uds|/tmp/x.sock";
  SweepOptions connect = MakeSweepOptions(flags).value();
  EXPECT_EQ(DropUnsupportedTransports(connect, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AutoMessages, FollowsTheDocumentedBudget) {
  EXPECT_EQ(AutoMessages(1, 64), 60000);
  EXPECT_EQ(AutoMessages(20, 1024), 3000);
  EXPECT_EQ(AutoMessages(1, 65535), 6144);
  EXPECT_EQ(AutoMessages(1000, 64), 60);
  EXPECT_EQ(AutoMessages(1000, 65535), 10);  // the floor per connection
  EXPECT_EQ(AutoMessages(1, 0), 60000);
}

TEST(PlanPoints, OrdersByTransportPatternSizeThenConnections) {
  SweepFlags flags;
  flags.transports = "uds,tcp";
  flags.connections = "5,1";
  flags.sizes = "10";
  flags.pattern = "echo,stream";
  flags.messages = 7;
  flags.client_threads = 3;
  const std::vector<PointSpec> points =
      PlanPoints(MakeSweepOptions(flags).value());
  ASSERT_EQ(points.size(), 8u);
  EXPECT_EQ(points[0].transport, Transport::kUds);
  EXPECT_EQ(points[0].pattern, Pattern::kEcho);
  EXPECT_EQ(points[0].connections, 1);
  EXPECT_EQ(points[0].client_threads, 1);  // no more threads than connections
  EXPECT_EQ(points[1].connections, 5);
  EXPECT_EQ(points[1].client_threads, 3);
  EXPECT_EQ(points[1].messages, 7);
  EXPECT_EQ(points[2].pattern, Pattern::kStream);
  EXPECT_EQ(points[4].transport, Transport::kTcp);
}

TEST(PlanPoints, ConnectKeepsOnlyTheAddressTransport) {
  SweepFlags flags;
  flags.connect = "uds|/tmp/sweep.sock";
  const std::vector<PointSpec> points =
      PlanPoints(MakeSweepOptions(flags).value());
  ASSERT_EQ(points.size(), 12u);
  for (const PointSpec& p : points) EXPECT_EQ(p.transport, Transport::kUds);
}

TEST(PlanPoints, DurationLeavesMessagesUnset) {
  SweepFlags flags;
  flags.duration = absl::Seconds(2);
  for (const PointSpec& p : PlanPoints(MakeSweepOptions(flags).value())) {
    EXPECT_EQ(p.messages, 0);
    EXPECT_EQ(p.duration, absl::Seconds(2));
  }
}

TEST(Resources, DescriptorsCountBothHalvesInProcess) {
  SweepFlags flags;
  flags.connections = "10,5000";
  EXPECT_EQ(DescriptorsNeeded(MakeSweepOptions(flags).value()),
            2 * 5000 + kDescriptorSlack);
  flags.connect = "tcp|127.0.0.1|9";
  EXPECT_EQ(DescriptorsNeeded(MakeSweepOptions(flags).value()),
            5000 + kDescriptorSlack);
}

TEST(Resources, EphemeralPortsOnlyLimitTcpClients) {
  SweepFlags flags;
  flags.connections = "30000";
  const SweepOptions both = MakeSweepOptions(flags).value();
  const absl::Status s = CheckEphemeralPorts(both, 28232);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(s.message()), HasSubstr("28232"));
  EXPECT_TRUE(CheckEphemeralPorts(both, std::nullopt).ok());
  EXPECT_TRUE(CheckEphemeralPorts(both, 30000).ok());
  flags.transports = "uds";
  EXPECT_TRUE(CheckEphemeralPorts(MakeSweepOptions(flags).value(), 100).ok());
}

TEST(PoolMessagesFor, CoversWhatIsInFlightWithinTheBudget) {
  PointSpec p;
  p.connections = 100;
  p.pipeline = 4;
  p.size = 64;
  EXPECT_EQ(PoolMessagesFor(p, 0), 2 * 400 + 64);
  EXPECT_EQ(PoolMessagesFor(p, 77), 77);
  p.connections = 1;
  p.pipeline = 1;
  EXPECT_EQ(PoolMessagesFor(p, 0), 66);
  p.connections = 50000;
  EXPECT_EQ(PoolMessagesFor(p, 0), 65535);
  p.size = 65535;
  EXPECT_EQ(PoolMessagesFor(p, 0), (int64_t{128} << 20) / (65535 + 512));
}

}  // namespace
}  // namespace tofu::stress
