// The Windows poller on real sockets (under Wine in CI): what the syscall-free
// AfdPollSet tests cannot show, the time its destruction takes with polls
// outstanding on several helper handles.
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "reactor/poller.h"
#include "transport/socket.h"

namespace tofu {
namespace {

// Sockets per run: three helper handles' worth.
constexpr int kSockets = 96;

struct Pair {
  Socket client;
  Socket server;
};

std::vector<Pair> Connected(int n) {
  Address a;
  a.role = Address::Role::kServer;
  a.host = "127.0.0.1";
  Socket listener = std::move(Socket::Listen(a)).value();
  Address to = listener.LocalAddress().value();
  to.role = Address::Role::kClient;
  std::vector<Pair> pairs(n);
  for (Pair& p : pairs) {
    bool connected = false;
    p.client = std::move(Socket::Connect(to, &connected)).value();
    for (int i = 0; i < 1000000 && !p.server.valid(); ++i) {
      p.server = std::move(listener.Accept()).value();
    }
  }
  return pairs;
}

TEST(AfdPoller, DestructionWithPollsOutstandingDoesNotWaitForTheDrainLimit) {
  std::vector<Pair> pairs = Connected(kSockets);
  auto poller = std::move(CreatePoller()).value();
  uint64_t token = 0;
  for (Pair& p : pairs) {
    ASSERT_TRUE(p.server.valid());
    ASSERT_TRUE(
        poller->Register(p.server.handle(), ++token, kInterestRead).ok());
    ASSERT_TRUE(
        poller->Register(p.client.handle(), ++token, kInterestRead).ok());
  }
  // Issues the polls; nothing is readable, so all stay outstanding.
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(10), events).ok());
  EXPECT_TRUE(events.empty());
  const absl::Time start = absl::Now();
  poller.reset();
  const absl::Duration took = absl::Now() - start;
  std::printf("destroyed a poller with %d polls outstanding in %s\n",
              2 * kSockets, absl::FormatDuration(took).c_str());
  // Each cancelled poll's packet comes at once; the drain limit (2 s) is
  // there for a cancel that never completes, not for this.
  EXPECT_LT(took, absl::Seconds(1));
}

}  // namespace
}  // namespace tofu
