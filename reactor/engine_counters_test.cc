#include "reactor/engine_counters.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(EngineCounters, SnapshotReportsEachCounter) {
  EngineCounters c;
  c.ChannelOpened();
  c.ChannelOpened();
  c.ChannelClosed();
  c.ConnectionAccepted();
  c.ConnectionRefused();
  c.FrameIn();
  c.FramesOut(3);
  c.BytesIn(16);
  c.BytesOut(48);
  c.MessageReturned();
  c.ProtocolViolation();
  c.Timeout();
  const EngineStats s = c.Snapshot();
  EXPECT_EQ(s.channels_open, 1u);
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.connections_refused, 1u);
  EXPECT_EQ(s.frames_in, 1u);
  EXPECT_EQ(s.frames_out, 3u);
  EXPECT_EQ(s.bytes_in, 16u);
  EXPECT_EQ(s.bytes_out, 48u);
  EXPECT_EQ(s.messages_returned, 1u);
  EXPECT_EQ(s.protocol_violations, 1u);
  EXPECT_EQ(s.timeouts, 1u);
}

TEST(EngineCounters, ConcurrentBumpsAreAllCounted) {
  EngineCounters c;
  constexpr int kThreads = 4;
  constexpr int kBumps = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < kBumps; ++i) {
        c.MessageReturned();
        c.ChannelOpened();
        c.ChannelClosed();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c.Snapshot().messages_returned, uint64_t{kThreads} * kBumps);
  EXPECT_EQ(c.Snapshot().channels_open, 0u);
}

}  // namespace
}  // namespace tofu
