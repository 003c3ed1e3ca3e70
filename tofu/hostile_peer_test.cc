// Hostile peers against a real engine: a thousand raw connections, each
// stalled in the middle of a frame, must neither starve a good client nor
// grow the server's pool past its bound, and once handshake_timeout /
// frame_timeout expire the server closes them. Linux only (RLIMIT_NOFILE).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tofu/testing/raw_peer.h"
#include "tofu/testing/scenarios.h"
#include "tofu/tofu.h"

namespace tofu {
namespace {

using namespace ::tofu::scenario;  // NOLINT(build/namespaces): test vocabulary

constexpr int kStalled = 1000;
constexpr int kRoundTrips = 200;
constexpr absl::Duration kGoodClientBudget = absl::Seconds(2);
constexpr absl::Duration kSetup = absl::Seconds(60);
constexpr absl::Duration kDeadline = absl::Milliseconds(300);
constexpr absl::Duration kSlack = absl::Seconds(5);
// Pool messages the server may hold beyond max_pool_messages: the reserve of
// its one group (the exact reserve is the engine's; this is its ceiling).
constexpr size_t kGroupReserveCeiling = 8;

// Raises the soft descriptor limit to the hard one; false when even that is
// below what the test needs.
bool EnoughDescriptors(rlim_t needed) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  return r.rlim_cur >= needed;
}

enum class Stall {
  kHeader,       // 10 of the 16 header bytes
  kBody,         // a header announcing a 65535-byte body, then 5 bytes of it
  kTextHeaders,  // a header announcing 65535 bytes of text headers, 1000 sent
};

struct Variant {
  bool handshake;  // a completed HelloRequest/HelloResponse first
  Stall stall;
};

std::string VariantName(const testing::TestParamInfo<Variant>& info) {
  const char* stall[] = {"Header", "Body", "TextHeaders"};
  return absl::StrCat(info.param.handshake ? "AfterHandshake" : "NoHandshake",
                      stall[static_cast<int>(info.param.stall)]);
}

void PrintTo(const Variant& v, std::ostream* os) {
  *os << (v.handshake ? "after handshake, " : "no handshake, ") << "stalled in "
      << (v.stall == Stall::kHeader ? "the binary header"
          : v.stall == Stall::kBody ? "a 65535-byte body"
                                    : "65535 bytes of text headers");
}

// The server pool's messages (idle and in use) stay within max_pool_messages
// and one group's reserve.
void ExpectPoolBounded(Engine& engine, const char* when) {
  const PoolStats stats = engine.pool_stats();
  std::printf(
      "[  NOTE    ] server pool %s: %zu in use, %zu idle, %llu "
      "allocated\n",
      when, stats.in_use, stats.idle,
      static_cast<unsigned long long>(stats.allocated));
  EXPECT_LE(stats.in_use + stats.idle,
            PoolOptions::kDefaultMax + kGroupReserveCeiling)
      << when << ": the pool grew past max_pool_messages + one group's reserve";
}

// The bytes a stalled connection sends and then sits on.
std::string StalledBytes(const Variant& v) {
  const RawFrame f{.channel = 1,
                   .opcode = v.handshake ? kRawRequest : kRawHelloRequest,
                   .id = 42};
  switch (v.stall) {
    case Stall::kHeader:
      return RawFrame::Header(f, 0, 100).substr(0, 10);
    case Stall::kBody:
      return RawFrame::Header(f, 0, 65535) + "12345";
    case Stall::kTextHeaders: {
      std::string headers;
      while (headers.size() < 1000) headers += "name:value\r\n";
      return RawFrame::Header(f, 65535, 0) + headers.substr(0, 1000);
    }
  }
  return "";
}

// A server engine whose one thread echoes (Hello, Request, Bye) and counts the
// engine's notifications.
class EchoServer {
 public:
  struct Counts {
    int hellos = 0;
    int closed = 0;
    int communication_failed = 0;
  };

  explicit EchoServer(Options options) : env_(NewEnv(options)) {
    listener_ = Listen(env_, Transport::kTcp);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
  }

  const std::string& address() const { return listener_.address; }
  Engine& engine() { return *env_.engine; }
  Counts counts() {
    absl::MutexLock lock(&mu_);
    return counts_;
  }
  // Waits until at least `closed` channel_closed and `failed`
  // communication_failed notifications arrived, or `deadline`.
  Counts AwaitReports(int closed, int failed, absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return counts_.closed >= closed && counts_.communication_failed >= failed;
    };
    mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
    return counts_;
  }

 private:
  void Serve() {
    while (!stop_) {
      absl::StatusOr<MessagePtr> m =
          env_.group->WaitReceive(absl::Milliseconds(50));
      if (absl::IsDeadlineExceeded(m.status())) continue;
      if (!m.ok()) return;
      const BinaryHeader& h = (*m)->header();
      absl::MutexLock lock(&mu_);
      if ((*m)->arrival() == Arrival::kFrame) {
        if (h.op_code == OpCode::kHelloRequest) ++counts_.hellos;
        Answer(*env_.group, *m);
      } else if (h.status == StatusCode::kChannelClosed) {
        ++counts_.closed;
      } else if (h.status == StatusCode::kCommunicationFailed) {
        ++counts_.communication_failed;
      }
    }
  }

  Env env_;
  Listener listener_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  Counts counts_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class HostilePeerTest : public testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    // Each stalled connection costs two descriptors (ours and the accepted
    // one), plus the engines, the good client and the test runner.
    const rlim_t needed = 2 * kStalled + 200;
    if (!EnoughDescriptors(needed)) {
      GTEST_SKIP() << "RLIMIT_NOFILE's hard limit is below the " << needed
                   << " descriptors this test needs";
    }
  }

  // Opens kStalled connections to `server`, handshakes them if the variant
  // says so, then leaves each in the middle of a frame.
  void Attack(EchoServer& server) {
    const absl::Time deadline = absl::Now() + kSetup;
    for (int i = 0; i < kStalled; ++i) {
      absl::StatusOr<RawPeer> p = RawPeer::Connect(server.address());
      ASSERT_TRUE(p.ok()) << "connection " << i << ": " << p.status();
      peers_.push_back(std::move(*p));
    }
    if (GetParam().handshake) {
      for (int i = 0; i < kStalled; ++i) {
        const RawFrame hello{.channel = static_cast<uint16_t>(i + 1),
                             .opcode = kRawHelloRequest,
                             .id = static_cast<uint64_t>(i + 1)};
        ASSERT_TRUE(peers_[i].Send(hello.Encode(), deadline - absl::Now()))
            << "connection " << i;
      }
      for (int i = 0; i < kStalled; ++i) {
        std::optional<RawFrame> r = peers_[i].Receive(deadline - absl::Now());
        ASSERT_TRUE(r.has_value() && r->opcode == kRawHelloResponse)
            << "connection " << i << " got no HelloResponse during setup";
      }
    }
    const std::string stalled = StalledBytes(GetParam());
    for (int i = 0; i < kStalled; ++i) {
      ASSERT_TRUE(peers_[i].Send(stalled, deadline - absl::Now()))
          << "connection " << i;
    }
  }

  std::vector<RawPeer> peers_;
};

// A good client (a real engine) completes its handshake and 200 echo round
// trips within 2 s while every attacker sits on its partial frame, and the
// server's pool stays within its bound.
TEST_P(HostilePeerTest, StalledConnectionsDoNotStarveAGoodClient) {
  const Options options{.handshake_timeout = absl::ZeroDuration(),
                        .frame_timeout = absl::ZeroDuration()};
  EchoServer server(options);
  ASSERT_FALSE(server.address().empty());
  Attack(server);
  if (HasFatalFailure()) return;
  ExpectPoolBounded(server.engine(), "under attack");

  Env client = NewEnv();
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + kGoodClientBudget;
  const BinaryHeader hello = Connect(client, server.address());
  absl::StatusOr<MessagePtr> reply =
      client.group->WaitReceive(kGoodClientBudget);
  ASSERT_TRUE(reply.ok() && *reply != nullptr)
      << "the good client's handshake did not complete within "
      << kGoodClientBudget << " (" << server.counts().hellos
      << " HelloRequests reached the server application)";
  ASSERT_EQ((*reply)->header().op_code, OpCode::kHelloResponse);
  for (int i = 1; i <= kRoundTrips; ++i) {
    MessagePtr request = Make(*client.engine, OpCode::kRequest,
                              hello.channel_number, absl::StrCat("echo ", i));
    ASSERT_TRUE(client.group->Post(request).ok());
    const absl::Duration left =
        std::max(deadline - absl::Now(), absl::ZeroDuration());
    absl::StatusOr<MessagePtr> echo = client.group->WaitReceive(left);
    ASSERT_TRUE(echo.ok() && *echo != nullptr)
        << "round trip " << i << " of " << kRoundTrips << " not done within "
        << kGoodClientBudget;
    ASSERT_EQ((*echo)->header().op_code, OpCode::kResponse);
    ASSERT_EQ((*echo)->body().view(), absl::StrCat("echo ", i));
  }
  std::printf("[  NOTE    ] handshake + %d round trips in %s\n", kRoundTrips,
              absl::FormatDuration(absl::Now() - start).c_str());

  ExpectPoolBounded(server.engine(), "after the round trips");
}

// With small deadlines the server closes every stalled connection: the raw
// sockets read end of stream or a reset, and each channel is reported
// (communication_failed, then channel_closed), also one that never completed
// its HelloRequest (message_id 0).
TEST_P(HostilePeerTest, StalledConnectionsAreClosedAfterTheirDeadline) {
  // Handshaken variants test the frame deadline: their handshake deadline
  // must outlast the setup, which is slow under the sanitizers.
  const Options options{
      .handshake_timeout = GetParam().handshake ? 2 * kSetup : kDeadline,
      .frame_timeout = kDeadline};
  EchoServer server(options);
  ASSERT_FALSE(server.address().empty());
  Attack(server);
  if (HasFatalFailure()) return;
  const absl::Time deadline = absl::Now() + kDeadline + kSlack;
  int open = 0;
  for (RawPeer& p : peers_) {
    if (!p.WaitClosedByPeer(
            std::max(deadline - absl::Now(), absl::ZeroDuration()))) {
      ++open;
    }
  }
  EXPECT_EQ(open, 0) << open << " of " << kStalled
                     << " stalled connections still open " << kDeadline + kSlack
                     << " after the attack";
  // Each channel ends with exactly one channel_closed, after a
  // communication_failed Signal, whether or not it ever spoke.
  const EchoServer::Counts c =
      server.AwaitReports(kStalled, kStalled, deadline + kSlack);
  EXPECT_EQ(c.communication_failed, kStalled);
  EXPECT_EQ(c.closed, kStalled);
  if (!GetParam().handshake) {
    EXPECT_EQ(c.hellos, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, HostilePeerTest,
                         testing::Values(Variant{false, Stall::kHeader},
                                         Variant{false, Stall::kBody},
                                         Variant{false, Stall::kTextHeaders},
                                         Variant{true, Stall::kHeader},
                                         Variant{true, Stall::kBody},
                                         Variant{true, Stall::kTextHeaders}),
                         VariantName);

}  // namespace
}  // namespace tofu
