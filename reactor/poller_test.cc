#include "reactor/poller.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "message/status.h"
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

// Waits (bounded) until `token` reports something; returns that event.
PollEvent WaitFor(Poller& poller, uint64_t token) {
  std::vector<PollEvent> events;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(poller.Wait(absl::Seconds(5), events).ok());
    for (const PollEvent& e : events) {
      if (e.token == token) return e;
    }
  }
  ADD_FAILURE() << "no event for token " << token;
  return PollEvent{};
}

Address LoopbackServer() {
  Address a;
  a.role = Address::Role::kServer;
  a.host = "127.0.0.1";
  return a;
}

TEST(Poller, ListenerIsReadableWhenAConnectionWaits) {
  auto poller = std::move(CreatePoller()).value();
  Socket listener = std::move(Socket::Listen(LoopbackServer())).value();
  ASSERT_TRUE(poller->Register(listener.handle(), 3, kInterestRead).ok());
  Address to = listener.LocalAddress().value();
  to.role = Address::Role::kClient;
  bool connected = false;
  Socket client = std::move(Socket::Connect(to, &connected)).value();
  EXPECT_TRUE(WaitFor(*poller, 3).readable);
  absl::StatusOr<Socket> accepted = listener.Accept();
  ASSERT_TRUE(accepted.ok());
  EXPECT_TRUE(accepted->valid());
}

TEST(Poller, ConnectSucceedsAsWritable) {
  auto poller = std::move(CreatePoller()).value();
  Socket listener = std::move(Socket::Listen(LoopbackServer())).value();
  Address to = listener.LocalAddress().value();
  to.role = Address::Role::kClient;
  bool connected = false;
  Socket client = std::move(Socket::Connect(to, &connected)).value();
  ASSERT_TRUE(poller->Register(client.handle(), 4, kInterestWrite).ok());
  const PollEvent e = WaitFor(*poller, 4);
  EXPECT_TRUE(e.writable);
  EXPECT_FALSE(e.error);
  EXPECT_TRUE(client.FinishConnect().ok());
}

TEST(Poller, ConnectFailureIsReported) {
  auto poller = std::move(CreatePoller()).value();
  Address to = LoopbackServer();
  to.role = Address::Role::kClient;
  to.port = FindFreeTcpPort().value();  // nobody listens there
  bool connected = false;
  absl::StatusOr<Socket> client = Socket::Connect(to, &connected);
  if (!client.ok()) {
    // Refused at once: the poller has nothing to report.
    EXPECT_EQ(StatusCodeOf(client.status()), StatusCode::kConnectFailed);
    return;
  }
  ASSERT_TRUE(poller->Register(client->handle(), 5, kInterestWrite).ok());
  const PollEvent e = WaitFor(*poller, 5);
  EXPECT_TRUE(e.error || e.writable);
  EXPECT_EQ(StatusCodeOf(client->FinishConnect()), StatusCode::kConnectFailed);
}

TEST(Poller, PeerCloseIsReadableThenEndOfStream) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 6, kInterestRead).ok());
  p.client.Close();
  EXPECT_TRUE(WaitFor(*poller, 6).readable);
  uint8_t byte;
  EXPECT_EQ(p.server.ReadSome(absl::MakeSpan(&byte, 1)).kind,
            IoResult::Kind::kClosed);
}

TEST(Poller, PeerResetIsReported) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 6, kInterestRead).ok());
  p.client.Abort();
  const PollEvent e = WaitFor(*poller, 6);
  EXPECT_TRUE(e.readable || e.error);
  uint8_t byte;
  const IoResult r = p.server.ReadSome(absl::MakeSpan(&byte, 1));
  EXPECT_TRUE(r.kind == IoResult::Kind::kError ||
              r.kind == IoResult::Kind::kClosed);
}

// The socket is removed and closed while its poll is outstanding: nothing is
// reported for it, and the poller goes on serving others.
TEST(Poller, LocalCloseWhilePolledIsSilentAndHarmless) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 7, kInterestRead).ok());
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::ZeroDuration(), events).ok());  // arms it
  EXPECT_TRUE(events.empty());
  poller->Unregister(p.server.handle());
  p.server.Close();
  WriteByte(p.client);
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(20), events).ok());
  EXPECT_TRUE(events.empty());
  Pair q = Connected();
  ASSERT_TRUE(poller->Register(q.server.handle(), 8, kInterestRead).ok());
  WriteByte(q.client);
  EXPECT_TRUE(WaitFor(*poller, 8).readable);
}

// A wider interest while a poll is outstanding (on Windows: cancel, then
// re-submit once the cancel's packet arrives) takes effect.
TEST(Poller, WideningInterestWhilePolledTakesEffect) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 9, kInterestRead).ok());
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::ZeroDuration(), events).ok());  // arms it
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(
      poller->Modify(p.server.handle(), 9, kInterestRead | kInterestWrite)
          .ok());
  const PollEvent e = WaitFor(*poller, 9);
  EXPECT_TRUE(e.writable);
  EXPECT_FALSE(e.readable);
}

// A narrower interest keeps reporting only what is still asked for.
TEST(Poller, NarrowingInterestFiltersEvents) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 10, kInterestRead).ok());
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::ZeroDuration(), events).ok());  // arms it
  ASSERT_TRUE(poller->Modify(p.server.handle(), 10, kInterestNone).ok());
  WriteByte(p.client);
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(20), events).ok());
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(poller->Modify(p.server.handle(), 10, kInterestRead).ok());
  EXPECT_TRUE(WaitFor(*poller, 10).readable);
}

// No interest means no event at all, not even the peer's close or reset,
// which epoll reports whatever was asked: a starved channel's socket must not
// end every wait while its application holds the pool's messages.
TEST(Poller, NoInterestHidesAPeersCloseUntilAskedAgain) {
  for (const bool reset : {false, true}) {
    SCOPED_TRACE(reset ? "reset" : "close");
    auto poller = std::move(CreatePoller()).value();
    Pair p = Connected();
    ASSERT_TRUE(poller->Register(p.server.handle(), 11, kInterestRead).ok());
    std::vector<PollEvent> events;
    ASSERT_TRUE(poller->Wait(absl::ZeroDuration(), events).ok());  // arms it
    ASSERT_TRUE(poller->Modify(p.server.handle(), 11, kInterestNone).ok());
    WriteByte(p.client);
    if (reset) {
      p.client.Abort();
    } else {
      p.client.Close();
    }
    ASSERT_TRUE(poller->Wait(absl::Milliseconds(20), events).ok());
    EXPECT_TRUE(events.empty());
    ASSERT_TRUE(poller->Modify(p.server.handle(), 11, kInterestRead).ok());
    const PollEvent e = WaitFor(*poller, 11);
    EXPECT_TRUE(e.readable || e.error);
  }
}

// A socket registered with no interest joins in when it asks for some.
TEST(Poller, RegisteredWithoutInterestReportsOnceAsked) {
  auto poller = std::move(CreatePoller()).value();
  Pair p = Connected();
  ASSERT_TRUE(poller->Register(p.server.handle(), 12, kInterestNone).ok());
  WriteByte(p.client);
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::Milliseconds(20), events).ok());
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(poller->Modify(p.server.handle(), 12, kInterestRead).ok());
  EXPECT_TRUE(WaitFor(*poller, 12).readable);
  poller->Unregister(p.server.handle());
}

// Where control calls may come from another thread while Wait blocks (the
// engine's inline post path), one that asks for a new poll takes effect in
// the blocked Wait: a socket registered, and one whose interest goes from
// none to read, both already readable.
TEST(Poller, ControlCallsFromAnotherThreadReachABlockedWait) {
  auto poller = std::move(CreatePoller()).value();
  if (!poller->SupportsConcurrentControl()) {
    GTEST_SKIP() << "this poller takes control calls from its thread only";
  }
  Pair a = Connected();
  Pair b = Connected();
  ASSERT_TRUE(poller->Register(b.server.handle(), 32, kInterestNone).ok());
  std::vector<PollEvent> events;
  ASSERT_TRUE(poller->Wait(absl::ZeroDuration(), events).ok());
  WriteByte(a.client);
  WriteByte(b.client);
  bool seen_a = false;
  bool seen_b = false;
  std::thread waiter([&] {
    // Each Wait blocks until an event comes (10 s at most, which fails).
    for (int i = 0; i < 10 && !(seen_a && seen_b); ++i) {
      std::vector<PollEvent> got;
      ASSERT_TRUE(poller->Wait(absl::Seconds(10), got).ok());
      if (got.empty()) break;
      for (const PollEvent& e : got) {
        if (e.token == 31 && e.readable) seen_a = true;
        if (e.token == 32 && e.readable) seen_b = true;
      }
    }
  });
  ASSERT_TRUE(poller->Register(a.server.handle(), 31, kInterestRead).ok());
  ASSERT_TRUE(poller->Modify(b.server.handle(), 32, kInterestRead).ok());
  waiter.join();
  EXPECT_TRUE(seen_a);
  EXPECT_TRUE(seen_b);
  poller->Unregister(a.server.handle());
  poller->Unregister(b.server.handle());
}

TEST(Notifier, WakesAWaitFromAnotherThreadAndCoalesces) {
  auto poller = std::move(CreatePoller()).value();
  auto notifier = std::move(poller->CreateNotifier(0)).value();
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
