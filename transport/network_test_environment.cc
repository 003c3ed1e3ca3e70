// Linked into tests that use sockets without an engine: keeps the socket
// library started for the whole test program (a no-op except on Windows).
#include <optional>

#include "gtest/gtest.h"
#include "transport/socket.h"

namespace tofu {
namespace {

class NetworkEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<NetworkSession> s = NetworkSession::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    session_.emplace(std::move(*s));
  }
  void TearDown() override { session_.reset(); }

 private:
  std::optional<NetworkSession> session_;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new NetworkEnvironment);

}  // namespace
}  // namespace tofu
