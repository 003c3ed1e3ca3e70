// The engine scenarios (tofu/testing/scenarios.h), over TCP and UDS.
#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "message/text_headers.h"
#include "tofu/testing/scenarios.h"
#include "tofu/tofu.h"
#include "transport/address.h"
#include "transport/socket.h"

namespace tofu {
namespace {

using namespace ::tofu::scenario;  // NOLINT(build/namespaces): test vocabulary

std::string Name(const testing::TestParamInfo<Transport>& info) {
  return TransportName(info.param);
}

class EngineTest : public testing::TestWithParam<Transport> {
 protected:
  void SetUp() override { TransportAvailable(GetParam()); }
};

// Posts Signals with ids 1..count on `channel`, signal i carrying body(i).
void PostSignals(Env& from, uint16_t channel, int count,
                 const std::function<std::string(int)>& body) {
  for (int i = 1; i <= count; ++i) {
    MessagePtr m = Make(*from.engine, OpCode::kSignal, channel, body(i),
                        static_cast<uint64_t>(i));
    ASSERT_TRUE(from.group->Post(m).ok()) << "signal " << i;
  }
}

// Scenario 1.
TEST(Engine, IllegalPosts) {
  Env env = NewEnv({.initial_pool_messages = 1, .max_pool_messages = 1});
  MessagePtr fresh = env.engine->Get(AllocationStrategy::kPoolOnly);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(StatusCodeOf(env.group->Post(fresh).status()),
            StatusCode::kInvalidChannelNumber);
  ASSERT_NE(fresh, nullptr) << "the caller keeps a rejected message";
  fresh->header().op_code = OpCode::kByeRequest;
  EXPECT_EQ(StatusCodeOf(env.group->Post(fresh).status()),
            StatusCode::kInvalidChannelNumber);
  fresh->header().op_code = OpCode::kHelloRequest;
  EXPECT_EQ(StatusCodeOf(env.group->Post(fresh).status()),
            StatusCode::kWrongAddress);
  EXPECT_EQ(fresh->header().status, StatusCode::kWrongAddress);

  ASSERT_TRUE(
      env.group->Connect(Address::Tcp("tofu.server.invalid", 7099)).ok());
  MessagePtr back = Next(*env.group);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->header().op_code, OpCode::kHelloRequest);
  EXPECT_EQ(back->header().status, StatusCode::kInvalidAddress);
  EXPECT_EQ(back->header().origin, Origin::kEngine);
  ExpectClosed(*env.group, back->header().channel_number);

  ASSERT_TRUE(
      env.group->Connect(Address::Tcp("127.0.0.1", FindFreeTcpPort().value()))
          .ok());
  back = Next(*env.group);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->header().status, StatusCode::kConnectFailed);
  ExpectClosed(*env.group, back->header().channel_number);

  // TEST-NET-1: not this host's.
  ASSERT_TRUE(env.group->Listen(Address::Tcp("192.0.2.1", 3298)).ok());
  back = Next(*env.group);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->header().op_code, OpCode::kWelcomeResponse);
  EXPECT_TRUE(back->header().status == StatusCode::kInvalidAddress ||
              back->header().status == StatusCode::kListenFailed)
      << StatusCodeName(back->header().status);
  ExpectClosed(*env.group, back->header().channel_number);

  ASSERT_TRUE(env.group->Connect(Address::Uds(TemporaryUdsPath())).ok());
  back = Next(*env.group);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->header().status, StatusCode::kUdsPathNotFound);
  ExpectClosed(*env.group, back->header().channel_number);

  MessagePtr null;
  EXPECT_EQ(StatusCodeOf(env.group->Post(null).status()),
            StatusCode::kNullMessage);
}

// Scenario 2.
TEST(Engine, UpdateReceiver) {
  Env env = NewEnv();
  absl::StatusOr<MessagePtr> none =
      env.group->WaitReceive(absl::Nanoseconds(100));
  EXPECT_TRUE(absl::IsDeadlineExceeded(none.status())) << none.status();
  ASSERT_TRUE(env.group->UpdateReceiver(nullptr).ok());
  MessagePtr signal = Next(*env.group);
  ASSERT_NE(signal, nullptr);
  EXPECT_EQ(signal->header().op_code, OpCode::kSignal);
  EXPECT_EQ(signal->header().channel_number, 0);
  EXPECT_EQ(signal->header().message_id, 0u);
  EXPECT_EQ(signal->header().origin, Origin::kEngine);
  EXPECT_EQ(signal->header().status, StatusCode::kReceiverUpdate);
  signal->header() = BinaryHeader();
  signal->header().message_id = 1;
  ASSERT_TRUE(env.group->UpdateReceiver(std::move(signal)).ok());
  MessagePtr back = Next(*env.group);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->header().op_code, OpCode::kRequest);
  EXPECT_EQ(back->header().message_id, 1u);
  EXPECT_EQ(back->header().origin, Origin::kApplication);
  EXPECT_EQ(back->header().status, StatusCode::kReceiverUpdate);
}

// Scenario 3.
TEST(Engine, CreateAndDestroyRepeatedly) { CreateAndDestroy(); }

// Scenario 4.
TEST_P(EngineTest, ListenAndConnect) { ListenAndConnect(GetParam()); }

// Scenario 5.
TEST_P(EngineTest, ReconnectSingleThread) { ReconnectSingleThread(GetParam()); }

// Scenario 6.
TEST_P(EngineTest, ReconnectMultiThread) { ReconnectMultiThread(GetParam()); }

// Scenarios 7 and 9 (graceful close).
TEST_P(EngineTest, EchoManyClientsThenGracefulBye) {
  Env server = NewEnv();
  Listener l = Listen(server, GetParam());
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    while (!stop.load()) {
      absl::StatusOr<MessagePtr> m =
          server.group->WaitReceive(absl::Milliseconds(50));
      if (!m.ok()) continue;
      Answer(*server.group, *m);
    }
  });
  constexpr int kClients = 10;
  std::vector<std::thread> clients;
  std::atomic<int> echoes{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Env client = NewEnv();
      const BinaryHeader hello = Connect(client, l.address);
      MessagePtr resp = Next(*client.group);
      ASSERT_NE(resp, nullptr);
      ASSERT_EQ(resp->header().op_code, OpCode::kHelloResponse);
      for (uint64_t id = 1; id <= 100; ++id) {
        const std::string body = absl::StrCat("client ", i, " request ", id);
        MessagePtr req = Make(*client.engine, OpCode::kRequest,
                              hello.channel_number, body, id);
        ASSERT_TRUE(client.group->Post(req).ok());
        MessagePtr r = Next(*client.group);
        ASSERT_NE(r, nullptr);
        ASSERT_EQ(r->header().op_code, OpCode::kResponse);
        ASSERT_EQ(r->header().message_id, id);
        ASSERT_EQ(r->body().view(), body);
        echoes.fetch_add(1);
      }
      MessagePtr bye =
          Make(*client.engine, OpCode::kByeRequest, hello.channel_number);
      ASSERT_TRUE(client.group->Post(bye).ok());
      MessagePtr r = Next(*client.group);
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->header().op_code, OpCode::kByeResponse);
      EXPECT_EQ(r->header().status, StatusCode::kSuccess);
      ExpectClosed(*client.group, hello.channel_number);
    });
  }
  for (std::thread& t : clients) t.join();
  stop.store(true);
  echo.join();
  EXPECT_EQ(echoes.load(), kClients * 100);
}

// Scenario 9 (abortive close): the peer sees its channel closed.
TEST_P(EngineTest, AbortClosesBothSides) {
  Env server = NewEnv();
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  Connection c = Handshake(server, client, l);
  Abort(client, c.client);
  ExpectClosed(*client.group, c.client);
  ExpectClosed(*server.group, c.server);
  // Posting to the closed channel returns the message, never drops it.
  MessagePtr late = Make(*client.engine, OpCode::kRequest, c.client, "late");
  ASSERT_TRUE(client.group->Post(late).ok());
  MessagePtr back = Next(*client.group);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->body().view(), "late");
  EXPECT_EQ(back->header().status, StatusCode::kChannelClosed);
}

// Scenario 10.
TEST_P(EngineTest, BackpressureStopsReadingAndResumesWithoutLoss) {
  Env server = NewEnv({.initial_pool_messages = 4, .max_pool_messages = 4});
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  Connection c = Handshake(server, client, l);
  constexpr int kMessages = 200;
  ASSERT_NO_FATAL_FAILURE(PostSignals(client, c.client, kMessages, [](int i) {
    return std::string(1000, 'a' + i % 26);
  }));
  // Hold every received message until the engine reports pool_empty.
  std::vector<MessagePtr> held;
  int pool_empty = 0;
  uint64_t next_id = 1;
  while (pool_empty == 0) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr);
    if (m->header().status == StatusCode::kPoolEmpty) {
      ++pool_empty;
      EXPECT_EQ(m->header().channel_number, c.server);
      continue;
    }
    ASSERT_EQ(m->header().message_id, next_id++);
    held.push_back(std::move(m));
  }
  held.clear();  // messages return to the pool: reading resumes
  while (next_id <= kMessages) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr);
    if (m->header().status == StatusCode::kPoolEmpty) {
      ++pool_empty;
      continue;
    }
    ASSERT_EQ(m->header().message_id, next_id);
    ASSERT_EQ(m->body().view(), std::string(1000, 'a' + next_id % 26));
    ++next_id;
  }
  EXPECT_GE(pool_empty, 1);
}

// Large frames, posted back to back, arrive whole and in order (over UDS the
// posting thread writes them itself when the I/O thread is idle; over TCP the
// I/O thread does).
TEST_P(EngineTest, LargeFramesArriveWholeAndInOrder) {
  Env server = NewEnv();
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  Connection c = Handshake(server, client, l);
  constexpr int kMessages = 64;
  const auto body = [](int i) {
    return std::string(kMaxBodyLength - i, static_cast<char>('a' + i % 26));
  };
  ASSERT_NO_FATAL_FAILURE(PostSignals(client, c.client, kMessages, body));
  for (int i = 1; i <= kMessages;) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr);
    // The default pool (16 messages at first) may run dry on the way.
    if (m->header().status == StatusCode::kPoolEmpty) continue;
    ASSERT_EQ(m->header().message_id, static_cast<uint64_t>(i));
    ASSERT_EQ(m->body().view(), body(i));
    ++i;
  }
}

// The server application holds every message it receives and, once starved,
// gives back one per frame; every frame must still arrive, in order.
void ExpectEveryFrameWhileHoldingAllButOne(Transport transport,
                                           Options server_options) {
  server_options.initial_pool_messages = 8;
  server_options.max_pool_messages = 8;
  Env server = NewEnv(server_options);
  Env client = NewEnv();
  Listener l = Listen(server, transport);
  Connection c = Handshake(server, client, l);
  constexpr int kMessages = 40;
  ASSERT_NO_FATAL_FAILURE(PostSignals(
      client, c.client, kMessages, [](int) { return std::string(1000, 'x'); }));
  std::deque<MessagePtr> held;
  uint64_t next_id = 1;
  bool starved = false;
  while (next_id <= kMessages) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr) << "frame " << next_id << " never came";
    if (m->header().status == StatusCode::kPoolEmpty) {
      starved = true;
    } else {
      ASSERT_EQ(m->header().message_id, next_id++);
      held.push_back(std::move(m));
    }
    if (starved && !held.empty()) held.pop_front();
  }
  EXPECT_TRUE(starved);
}

// A starved reader resumes in batches (half the pool here), but never waits
// for a batch that cannot come: it resumes a moment after fewer come back.
TEST_P(EngineTest, StarvedReaderResumesWhenFewerThanABatchComeBack) {
  ExpectEveryFrameWhileHoldingAllButOne(GetParam(), Options());
}

// The same while the I/O thread polls without sleeping the whole time: its
// polling iterations must still resume the reader when the moment comes.
TEST_P(EngineTest, StarvedReaderResumesWhileTheIoThreadSpins) {
  ExpectEveryFrameWhileHoldingAllButOne(GetParam(),
                                        Options{.io_spin = absl::Seconds(30)});
}

// The peer aborts while the receiver is starved: the receiver's socket hangs
// up while nobody may read it (the poller must not report that until the
// channel asks again, or the I/O thread would spin). Once the application
// gives its messages back, every frame the peer wrote arrives, in order, then
// the channel's close.
TEST_P(EngineTest, StarvedReaderGetsEveryFrameAfterThePeerAborts) {
  Env server = NewEnv({.initial_pool_messages = 8, .max_pool_messages = 8});
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  Connection c = Handshake(server, client, l);
  constexpr uint64_t kMessages = 20;
  ASSERT_NO_FATAL_FAILURE(PostSignals(
      client, c.client, kMessages, [](int) { return std::string(1000, 'x'); }));
  std::vector<MessagePtr> held;
  uint64_t next_id = 1;
  while (true) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr) << "no pool_empty after frame " << next_id - 1;
    if (m->header().status == StatusCode::kPoolEmpty) break;
    ASSERT_EQ(m->header().message_id, next_id++);
    held.push_back(std::move(m));
  }
  Abort(client, c.client);
  uint64_t unsent = 0;
  while (true) {
    MessagePtr m = Next(*client.group);
    ASSERT_NE(m, nullptr) << "no channel_closed on the aborting side";
    ASSERT_EQ(m->header().status, StatusCode::kChannelClosed);
    if (!m->body().empty()) {
      ++unsent;  // one of ours, back: never written
      continue;
    }
    break;  // the channel's own close
  }
  held.clear();  // the reader resumes
  while (true) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr) << "frame " << next_id << " never came";
    if (m->header().origin == Origin::kEngine) {
      EXPECT_EQ(m->header().status, StatusCode::kChannelClosed)
          << StatusCodeName(m->header().status);
      EXPECT_EQ(m->header().channel_number, c.server);
      break;
    }
    ASSERT_EQ(m->header().message_id, next_id++);
  }
#if !defined(_WIN32)
  // Windows discards what a reset connection had not read yet; elsewhere
  // every frame written is still read.
  EXPECT_EQ(next_id - 1, kMessages - unsent) << unsent << " came back unsent";
#endif
}

// One thread posts HelloRequests on a group while another destroys it. A
// post either fails with shutdown_started (the message kept, its status byte
// saying so) or is handled before the destroy, which then closes its
// connection: every connection the server saw a HelloRequest on closes.
TEST_P(EngineTest, PostsRacingDestroyLeaveNoConnectionOpen) {
  Env server = NewEnv();
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  const Address at = Address::Parse(l.address).value();
  absl::Mutex mu;
  absl::flat_hash_set<uint16_t> open;  // server channels with a HelloRequest
  int hellos = 0;
  std::atomic<bool> stop{false};
  std::thread answering([&] {
    while (!stop.load()) {
      absl::StatusOr<MessagePtr> m =
          server.group->WaitReceive(absl::Milliseconds(20));
      if (!m.ok()) continue;
      absl::MutexLock lock(&mu);
      if ((*m)->header().op_code == OpCode::kHelloRequest) {
        open.insert((*m)->header().channel_number);
        ++hellos;
      } else if ((*m)->header().origin == Origin::kEngine &&
                 (*m)->header().status == StatusCode::kChannelClosed) {
        open.erase((*m)->header().channel_number);
      }
    }
  });
  for (int round = 0; round < 40; ++round) {
    std::unique_ptr<ChannelGroup> group =
        std::move(client.engine->CreateGroup()).value();
    std::atomic<int> posted{0};
    std::atomic<bool> done{false};
    std::thread poster([&] {
      struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag.store(true); }
      } mark_done{done};  // also when an assertion ends the thread early
      // Until the destroy stops it (bounded, should the destroy not come).
      for (int i = 0; i < 200; ++i) {
        MessagePtr hello = client.engine->Get(AllocationStrategy::kAlways);
        ASSERT_TRUE(MakeHelloRequest(at, *hello).ok());
        absl::StatusOr<BinaryHeader> r = group->Post(hello);
        if (!r.ok()) {
          ASSERT_EQ(StatusCodeOf(r.status()), StatusCode::kShutdownStarted);
          ASSERT_NE(hello, nullptr);
          EXPECT_EQ(hello->header().status, StatusCode::kShutdownStarted);
          return;
        }
        posted.fetch_add(1);
      }
    });
    while (posted.load() < 5 && !done.load()) std::this_thread::yield();
    group->Destroy();
    poster.join();
    group.reset();
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(
            +[](absl::flat_hash_set<uint16_t>* s) { return s->empty(); },
            &open),
        kWait))
        << open.size() << " of " << hellos << " connections never closed";
  }
  stop.store(true);
  answering.join();
}

// Scenario 11.
TEST_P(EngineTest, DestroyWakesWaiterAndLeaksNothing) {
  Env server = NewEnv();
  Env client = NewEnv();
  Listener l = Listen(server, GetParam());
  Connection c = Handshake(server, client, l);
  for (int i = 0; i < 50; ++i) {
    MessagePtr m = Make(*client.engine, OpCode::kRequest, c.client,
                        std::string(5000, 'x'));
    ASSERT_TRUE(client.group->Post(m).ok());
  }
  std::thread waiter([&] {
    while (true) {
      absl::StatusOr<MessagePtr> m =
          client.group->WaitReceive(absl::InfiniteDuration());
      if (!m.ok()) {
        EXPECT_EQ(StatusCodeOf(m.status()), StatusCode::kShutdownStarted);
        return;
      }
    }
  });
  client.group->Destroy();
  waiter.join();
  EXPECT_EQ(StatusCodeOf(client.group->UpdateReceiver(nullptr)),
            StatusCode::kShutdownStarted);
  // Engine destroy wakes the server group's waiter too.
  std::thread server_waiter([&] {
    while (true) {
      absl::StatusOr<MessagePtr> m =
          server.group->WaitReceive(absl::InfiniteDuration());
      if (!m.ok()) return;
    }
  });
  server.engine.reset();
  server_waiter.join();
}

// Scenario 12: a hostile raw peer closes only its own channel.
TEST(Engine, HostilePeersCloseOnlyTheirChannel) {
  Env server = NewEnv();
  Env client = NewEnv();
  Listener l = Listen(server, Transport::kTcp);
  Connection good = Handshake(server, client, l);
  const Address to = Address::Parse(l.address).value();

  auto raw_send = [&](const std::string& bytes, bool then_close) {
    bool connected = false;
    Socket s = Socket::Connect(to, &connected).value();
    WriteRaw(s, bytes, bytes.size());
    if (then_close) s.Close();
    return s;
  };
  WireHeader bad{};
  bad[2] = 12;  // invalid opcode
  const std::string invalid = Bytes(bad);
  const std::string truncated =
      Bytes(EncodeBinaryHeader(BinaryHeader{.body_length = 100})) + "short";
  Socket garbage = raw_send(std::string(64, '\xAB'), false);
  Socket opcode = raw_send(invalid, false);
  raw_send(truncated, true);

  int closed = 0;
  int violations = 0;
  while (closed < 3) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr);
    if (m->header().status == StatusCode::kChannelClosed) ++closed;
    if (m->header().status == StatusCode::kInvalidMessage) ++violations;
    EXPECT_NE(m->header().channel_number, good.server);
  }
  EXPECT_EQ(violations, 2);

  // The good channel still works.
  MessagePtr req =
      Make(*client.engine, OpCode::kRequest, good.client, "still fine", 77);
  ASSERT_TRUE(client.group->Post(req).ok());
  MessagePtr got = Next(*server.group);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->header().message_id, 77u);
  EXPECT_EQ(got->body().view(), "still fine");

  BinaryHeader h;
  h.op_code = OpCode::kHelloRequest;
  h.message_id = 4242;
  h.body_length = 3;
  // A frame dribbled one byte at a time is assembled.
  bool connected = false;
  Socket dribble = Socket::Connect(to, &connected).value();
  WriteRaw(dribble, Bytes(EncodeBinaryHeader(h)) + "abc", 1);
  MessagePtr assembled = Next(*server.group);
  ASSERT_NE(assembled, nullptr);
  EXPECT_EQ(assembled->header().op_code, OpCode::kHelloRequest);
  EXPECT_EQ(assembled->header().message_id, 4242u);
  EXPECT_EQ(assembled->body().view(), "abc");
}

INSTANTIATE_TEST_SUITE_P(Transports, EngineTest,
                         testing::Values(Transport::kTcp, Transport::kUds),
                         Name);

}  // namespace
}  // namespace tofu
