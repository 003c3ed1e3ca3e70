// Scenario 8: scenarios 3 to 6 five times in a row, then 32 rounds of them at
// once in one process (many engines). Passing means no crash, no deadlock
// (every wait is bounded) and, under ASan, no leak.
#include <cstdio>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tofu/testing/scenarios.h"
#include "transport/socket.h"
#include "transport/testing/platform_support.h"

namespace tofu::scenario {
namespace {

// The transports this system has (a note, not a skip, for the others: the
// rest of the round still runs).
std::vector<Transport> Transports() {
  if (UnixSocketsSupported()) return {Transport::kTcp, Transport::kUds};
  std::printf("[  NOTE    ] UDS rounds left out: %s\n", kNoUnixSocketsReason);
  return {Transport::kTcp};
}

void Round() {
  CreateAndDestroy();
  for (Transport t : Transports()) {
    SCOPED_TRACE(TransportName(t));
    ListenAndConnect(t);
    ReconnectSingleThread(t);
    ReconnectMultiThread(t);
  }
}

TEST(Loop, FiveRoundsInARow) {
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    Round();
  }
}

TEST(Loop, ThirtyTwoRoundsAtOnce) {
  std::vector<std::thread> rounds;
  for (int i = 0; i < 32; ++i) rounds.emplace_back(Round);
  for (std::thread& t : rounds) t.join();
}

}  // namespace
}  // namespace tofu::scenario
