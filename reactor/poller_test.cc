#include "reactor/poller.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reactor/notifier.h"
#include "transport/socket.h"

namespace tofu {
namespace {

struct Pair {
  Socket listener;
  Socket client;
  Socket server;
};

Pair Connected() {
  Pair p;
  Address a;
  a.role = Address::Role::kServer;
  a.host = "127.0.0.1";
  p.listener = std::move(Socket::Listen(a)).value();
  Address to = p.listener.LocalAddress().value();
  to.role = Address::Role::kClient;
  bool connected = false;
  p.client = std::move(Socket::Connect(to, &connected)).value();
  for (int i = 0; i < 1000000 && !p.server.valid(); ++i) {
    p.server = std::move(p.listener.Accept()).value();
  }
  return p;
}

void WriteByte(Socket& s) {
  const char b = 'x';
  IoSlice slice{&b, 1};
  ASSERT_EQ(s.WriteV(absl::MakeConstSpan(&slice, 1)).bytes, 1u);
}

TEST(Poller, TimeoutWithNoData) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 7, kInterestRead).ok());
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(20), events).ok());
  EXPECT_TRUE(events.empty());
}

TEST(Poller, ReadableAfterOneByteAndWritableAtOnce) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 7, kInterestRead).ok());
  ASSERT_TRUE(poller->Register(p.client.handle(), 8, kInterestWrite).ok());
  WriteByte(p.client);
  std::vector<PollEvent> events;
  bool readable = false;
  bool writable = false;
  for (int i = 0; i < 100 && !(readable && writable); ++i) {
    ASSERT_TRUE(poller->Wait(absl::Seconds(5), events).ok());
    for (const PollEvent& e : events) {
      if (e.token == 7 && e.readable) readable = true;
      if (e.token == 8 && e.writable) writable = true;
    }
  }
  EXPECT_TRUE(readable);
  EXPECT_TRUE(writable);
}

TEST(Poller, UnregisterPreventsEventsAndModifyChangesInterest) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 7, kInterestRead).ok());
  WriteByte(p.client);
  poller->Unregister(p.server.handle());
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(20), events).ok());
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(poller->Register(p.server.handle(), 9, kInterestRead).ok());
  ASSERT_TRUE(poller->Modify(p.server.handle(), 9, kInterestWrite).ok());
  ASSERT_TRUE(poller->Wait(absl::Seconds(5), events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].token, 9u);
  EXPECT_TRUE(events[0].writable);
  EXPECT_FALSE(events[0].readable);
}

TEST(Poller, TwoSocketsReadableTogether) {
  auto poller = std::move(CreatePoller()).value();
  Pair a = Connected();
  Pair b = Connected();
  ASSERT_TRUE(poller->Register(a.server.handle(), 1, kInterestRead).ok());
  ASSERT_TRUE(poller->Register(b.server.handle(), 2, kInterestRead).ok());
  WriteByte(a.client);
  WriteByte(b.client);
  std::vector<PollEvent> events;
  bool seen[3] = {};
  for (int i = 0; i < 100 && !(seen[1] && seen[2]); ++i) {
    ASSERT_TRUE(poller->Wait(absl::Seconds(5), events).ok());
    for (const PollEvent& e : events) seen[e.token] = e.readable;
  }
  EXPECT_TRUE(seen[1] && seen[2]);
}

TEST(Notifier, WakesAWaitFromAnotherThreadAndCoalesces) {
  auto poller = std::move(CreatePoller()).value();
  auto notifier = std::move(CreateNotifier()).value();
  ASSERT_TRUE(poller->Register(notifier->handle(), 0, kInterestRead).ok());
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i) notifier->Notify();
  });
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::Seconds(10), events).ok());
  ASSERT_EQ(events.size(), 1u);
  t.join();
  notifier->Drain();
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(10), events).ok());
  EXPECT_TRUE(events.empty()) << "1000 notifications drain as one";
}

}  // namespace
}  // namespace tofu
