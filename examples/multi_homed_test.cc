// multi_homed as a process: one group serving TCP and AF_UNIX clients at once.
#include <string>

#include "absl/strings/match.h"
#include "examples/testing/echo_server_process.h"
#include "examples/testing/subprocess.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(MultiHomed, ServesClientsOfBothTransportsThenStops) {
  absl::StatusOr<Subprocess> p = Subprocess::Start(
      {ProgramPath("multi_homed"), "--clients=6", "--requests=50"});
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<std::string> out = p->ReadRest(absl::Seconds(60));
  ASSERT_TRUE(out.ok()) << out.status();
  absl::StatusOr<int> code = p->Wait();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << *out;
  EXPECT_TRUE(absl::StrContains(*out, "listening on tcp|127.0.0.1|")) << *out;
  EXPECT_TRUE(absl::StrContains(*out, " and uds|")) << *out;
  EXPECT_TRUE(absl::StrContains(
      *out, "answered 300 requests: 150 over tcp, 150 over uds"))
      << *out;
}

}  // namespace
}  // namespace tofu
