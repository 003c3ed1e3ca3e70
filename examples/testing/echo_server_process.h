#ifndef TOFU_EXAMPLES_TESTING_ECHO_SERVER_PROCESS_H_
#define TOFU_EXAMPLES_TESTING_ECHO_SERVER_PROCESS_H_

// The example programs as processes, for the examples' tests: where Bazel put
// them, and echo_server started and stopped. Tests only, Linux.

#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "examples/testing/subprocess.h"
#include "gtest/gtest.h"

namespace tofu {

// The path of the example program `name`, a data dependency of the test.
inline std::string ProgramPath(absl::string_view name) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/",
                      std::getenv("TEST_WORKSPACE"), "/examples/", name);
}

// echo_server running as a process.
class EchoServerProcess {
 public:
  // Starts it listening on `transport` ("tcp": loopback, a free port; "uds":
  // a temporary path the server picks, since TEST_TMPDIR is too long for a
  // socket path) and waits up to `wait` for its "listening on" line.
  static absl::StatusOr<EchoServerProcess> Start(absl::string_view transport,
                                                 absl::Duration wait) {
    const std::string listen = transport == "tcp" ? "tcp|127.0.0.1|0" : "uds|";
    absl::StatusOr<Subprocess> s =
        Subprocess::Start({ProgramPath("echo_server"), "--listen=" + listen});
    if (!s.ok()) return s.status();
    auto process = std::make_unique<Subprocess>(std::move(*s));
    absl::StatusOr<std::string> line = process->ReadLine(wait);
    if (!line.ok()) return line.status();
    constexpr absl::string_view kListening = "listening on ";
    if (!absl::StartsWith(*line, kListening)) {
      return absl::InternalError(absl::StrCat("echo_server said: ", *line));
    }
    return EchoServerProcess(std::move(process),
                             line->substr(kListening.size()));
  }

  // The address it listens on (its text form).
  const std::string& address() const { return address_; }

  // Asks it to stop (SIGTERM) and gives its exit code: 0 when it survived
  // everything and stopped cleanly.
  absl::StatusOr<int> Stop() {
    process_->Signal(SIGTERM);
    return process_->Wait();
  }

 private:
  EchoServerProcess(std::unique_ptr<Subprocess> process, std::string address)
      : process_(std::move(process)), address_(std::move(address)) {}

  std::unique_ptr<Subprocess> process_;
  std::string address_;
};

// A test fixture with echo_server running on the parameter's transport
// ("tcp" or "uds"), listening on address_. At the end the server must still
// be alive: SIGTERM then ends it with exit code 0.
class EchoServerFixture : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    absl::StatusOr<EchoServerProcess> s =
        EchoServerProcess::Start(GetParam(), absl::Seconds(10));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::make_unique<EchoServerProcess>(std::move(*s));
    address_ = server_->address();
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    absl::StatusOr<int> code = server_->Stop();
    ASSERT_TRUE(code.ok()) << "echo_server did not survive: " << code.status();
    EXPECT_EQ(*code, 0);
  }

  std::unique_ptr<EchoServerProcess> server_;
  std::string address_;
};

}  // namespace tofu

#endif  // TOFU_EXAMPLES_TESTING_ECHO_SERVER_PROCESS_H_
