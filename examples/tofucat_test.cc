// tofucat as a process: against echo_server, against itself, and failing
// with a clear exit code and message.

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "examples/testing/echo_server_process.h"
#include "examples/testing/subprocess.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

struct Finished {
  int code = -1;
  std::vector<std::string> lines;
};

// Runs tofucat with `args` to its end.
Finished RunTofucat(std::vector<std::string> args) {
  args.insert(args.begin(), ProgramPath("tofucat"));
  Finished f;
  absl::StatusOr<Subprocess> p = Subprocess::Start(args);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return f;
  absl::StatusOr<std::string> out = p->ReadRest(kWait);
  EXPECT_TRUE(out.ok()) << out.status();
  if (out.ok()) {
    f.lines = absl::StrSplit(*out, '\n', absl::SkipEmpty());
  }
  absl::StatusOr<int> code = p->Wait();
  EXPECT_TRUE(code.ok()) << code.status();
  f.code = code.value_or(-1);
  return f;
}

int Count(const std::vector<std::string>& lines, absl::string_view part) {
  int n = 0;
  for (const std::string& l : lines) n += absl::StrContains(l, part) ? 1 : 0;
  return n;
}

std::string Joined(const std::vector<std::string>& lines) {
  return absl::StrJoin(lines, "\n");
}

// A server process that prints "listening on ADDRESS" first.
class Server {
 public:
  explicit Server(std::vector<std::string> argv) {
    absl::StatusOr<Subprocess> s = Subprocess::Start(argv);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return;
    process_ = std::make_unique<Subprocess>(std::move(*s));
    absl::StatusOr<std::string> line = process_->ReadLine(kWait);
    EXPECT_TRUE(line.ok()) << line.status();
    if (line.ok() && absl::StartsWith(*line, "listening on ")) {
      address_ = line->substr(std::strlen("listening on "));
    }
    EXPECT_FALSE(address_.empty()) << line.value_or("");
  }
  const std::string& address() const { return address_; }
  Subprocess& process() { return *process_; }

 private:
  std::unique_ptr<Subprocess> process_;
  std::string address_;
};

// echo_server on the parameter's transport
// (examples/testing/echo_server_process.h).
class TofucatAgainstEchoServer : public EchoServerFixture {};

TEST_P(TofucatAgainstEchoServer, PrintsTheEchoOfEachRequest) {
  Finished f =
      RunTofucat({"--connect=" + address_, "--send=request",
                  "--data=hello tofu", "--headers=a:1,b:two", "--count=3"});
  EXPECT_EQ(f.code, 0) << Joined(f.lines);
  EXPECT_EQ(Count(f.lines, "frame HelloResponse"), 1) << Joined(f.lines);
  EXPECT_EQ(Count(f.lines, "frame Response"), 3) << Joined(f.lines);
  EXPECT_EQ(Count(f.lines, "headers={a: 1, b: two} body=\"hello tofu\""), 3)
      << Joined(f.lines);
  EXPECT_EQ(Count(f.lines, "frame ByeResponse"), 1) << Joined(f.lines);
  EXPECT_EQ(Count(f.lines, "notification channel_closed"), 1)
      << Joined(f.lines);
}

TEST_P(TofucatAgainstEchoServer, JsonLinesCarryEveryField) {
  Finished f =
      RunTofucat({"--connect=" + address_, "--send=signal", "--data=a\"b",
                  "--headers=k:v", "--count=2", "--interval=10ms", "--json"});
  EXPECT_EQ(f.code, 0) << Joined(f.lines);
  // The Signals come back as they are (echo_server echoes Signals).
  EXPECT_EQ(
      Count(f.lines, "{\"kind\":\"frame\",\"op\":\"Signal\",\"channel\":"), 2)
      << Joined(f.lines);
  EXPECT_EQ(Count(f.lines,
                  "\"status\":\"success\",\"origin\":\"application\","
                  "\"more\":false,\"oob\":false,\"headers\":[[\"k\",\"v\"]],"
                  "\"body\":\"a\\\"b\"}"),
            2)
      << Joined(f.lines);
}

INSTANTIATE_TEST_SUITE_P(Transports, TofucatAgainstEchoServer,
                         testing::Values("tcp", "uds"));

TEST(Tofucat, ListensAndEchoesForAnotherTofucat) {
  Server listener({ProgramPath("tofucat"), "--listen=tcp|127.0.0.1|0", "--echo",
                   "--max_messages=2"});
  ASSERT_FALSE(listener.address().empty());
  Finished client = RunTofucat({"--connect=" + listener.address(),
                                "--send=request", "--data=x", "--count=2"});
  EXPECT_EQ(client.code, 0) << Joined(client.lines);
  EXPECT_EQ(Count(client.lines, "frame Response"), 2) << Joined(client.lines);
  absl::StatusOr<std::string> rest = listener.process().ReadRest(kWait);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(Count(absl::StrSplit(*rest, '\n'), "frame Request"), 2) << *rest;
  absl::StatusOr<int> code = listener.process().Wait();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << *rest;
}

TEST(Tofucat, FailuresExitOneWithTheReason) {
  // Nothing listens on this path.
  Finished f = RunTofucat({"--connect=uds|/nonexistent/tofucat.sock",
                           "--send=request", "--data=x"});
  EXPECT_EQ(f.code, 1) << Joined(f.lines);
  EXPECT_EQ(Count(f.lines,
                  "tofucat: cannot connect to "
                  "uds|/nonexistent/tofucat.sock: uds_path_not_found"),
            1)
      << Joined(f.lines);
}

TEST(Tofucat, BadUsageExitsTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {},
           {"--connect=tcp|h|1", "--listen=tcp||0"},
           {"--connect=tcp|h|99999"},
           {"--connect=tcp|h|1", "--send=bogus"},
           {"--listen=tcp||0", "--send=request"}}) {
    Finished f = RunTofucat(args);
    EXPECT_EQ(f.code, 2) << Joined(f.lines);
    EXPECT_EQ(Count(f.lines, "tofucat: "), 1) << Joined(f.lines);
  }
}

}  // namespace
}  // namespace tofu
