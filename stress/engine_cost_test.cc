#include "stress/engine_cost.h"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "stress/raw_baseline.h"

namespace tofu::stress {
namespace {

using Measurement = absl::StatusOr<ThroughputResult> (*)(BenchTransport, size_t,
                                                         uint64_t);

struct Mode {
  const char* name;
  Measurement measure;
};

void PrintTo(const Mode& mode, std::ostream* os) { *os << mode.name; }

const Mode kModes[] = {{"OneThread", &EngineOneThread},
                       {"TwoThreads", &EngineTwoThreads}};

// The bench's measurements without hand-offs count every message they post,
// or fail: a lost or late frame, an engine notification or a stall is an
// error.
class EngineCostTest
    : public testing::TestWithParam<std::tuple<BenchTransport, Mode>> {};

TEST_P(EngineCostTest, CountsEveryMessage) {
  const auto& [transport, mode] = GetParam();
  for (const size_t body : {size_t{64}, size_t{65535}}) {
    const uint64_t messages = body > 1024 ? 200 : 20000;
    absl::StatusOr<ThroughputResult> r =
        mode.measure(transport, body, messages);
    ASSERT_TRUE(r.ok()) << body << " B: " << r.status();
    EXPECT_EQ(r->messages, messages);
    EXPECT_GT(r->cpu, absl::ZeroDuration()) << body << " B";
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, EngineCostTest,
    testing::Combine(testing::Values(BenchTransport::kTcp,
                                     BenchTransport::kUds),
                     testing::ValuesIn(kModes)),
    [](const testing::TestParamInfo<std::tuple<BenchTransport, Mode>>& info) {
      return std::string(std::get<0>(info.param) == BenchTransport::kTcp
                             ? "Tcp"
                             : "Uds") +
             std::get<1>(info.param).name;
    });

}  // namespace
}  // namespace tofu::stress
