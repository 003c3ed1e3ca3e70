#include "stress/engine_bench.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "stress/platform.h"
#include "tofu/tofu.h"

namespace tofu::stress {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);
// The window's bounds (see ThroughputWindow). A few thousand small messages,
// or 2 MiB of large ones, keep both I/O threads busy; more only spill the
// working set out of the caches (a window of 8 MiB gave 64 KiB bodies 10 to
// 50 % less throughput here, and 1 KiB ones 10 to 20 % less; 1024 or 2048
// messages gave 64-byte bodies less).
constexpr uint64_t kWindowMessages = 4096;
constexpr uint64_t kWindowBytes = 2 << 20;

// A receiving engine listening on a fresh address, and a sending engine
// connected to it.
struct Link {
  std::unique_ptr<Engine> server;
  std::unique_ptr<ChannelGroup> server_group;
  std::unique_ptr<Engine> client;
  std::unique_ptr<ChannelGroup> client_group;
  uint16_t client_channel = 0;
};

absl::StatusOr<MessagePtr> Next(ChannelGroup& group, absl::string_view what) {
  absl::StatusOr<MessagePtr> m = group.WaitReceive(kWait);
  if (absl::IsDeadlineExceeded(m.status())) {
    return absl::DeadlineExceededError(absl::StrCat("no ", what, " in time"));
  }
  return m;
}

// A link end through the public API.
class ApiEnd final : public LinkEnd {
 public:
  ApiEnd(Engine& engine, ChannelGroup& group)
      : engine_(engine), group_(group) {}
  MessagePtr Get() override { return engine_.Get(AllocationStrategy::kAlways); }
  absl::StatusOr<BinaryHeader> Post(MessagePtr& message) override {
    return group_.Post(message);
  }
  absl::StatusOr<MessagePtr> Next(absl::string_view what) override {
    return stress::Next(group_, what);
  }

 private:
  Engine& engine_;
  ChannelGroup& group_;
};

// Each engine's pool has `server_pool` and `client_pool` messages; without
// `spin`, neither engine's threads spin before they sleep.
absl::StatusOr<Link> Connect(BenchTransport transport, uint16_t server_pool,
                             uint16_t client_pool, bool spin = true) {
  Link link;
  auto options = [spin](uint16_t pool) {
    Options o{.initial_pool_messages = pool, .max_pool_messages = pool};
    if (!spin) o.receive_spin = o.io_spin = absl::ZeroDuration();
    return o;
  };
  absl::StatusOr<std::unique_ptr<Engine>> server =
      Engine::Create(options(server_pool));
  if (!server.ok()) return server.status();
  link.server = std::move(*server);
  absl::StatusOr<std::unique_ptr<ChannelGroup>> sg = link.server->CreateGroup();
  if (!sg.ok()) return sg.status();
  link.server_group = std::move(*sg);
  absl::StatusOr<std::unique_ptr<Engine>> client =
      Engine::Create(options(client_pool));
  if (!client.ok()) return client.status();
  link.client = std::move(*client);
  absl::StatusOr<std::unique_ptr<ChannelGroup>> cg = link.client->CreateGroup();
  if (!cg.ok()) return cg.status();
  link.client_group = std::move(*cg);

  ApiEnd server_end(*link.server, *link.server_group);
  ApiEnd client_end(*link.client, *link.client_group);
  absl::StatusOr<uint16_t> channel =
      Handshake(transport, server_end, client_end);
  if (!channel.ok()) return channel.status();
  link.client_channel = *channel;
  return link;
}

}  // namespace

absl::StatusOr<uint16_t> Handshake(BenchTransport transport, LinkEnd& server,
                                   LinkEnd& client) {
  MessagePtr welcome = server.Get();
  absl::Status s = MakeWelcomeRequest(transport == BenchTransport::kTcp
                                          ? Address::Tcp("127.0.0.1", 0)
                                          : Address::Uds(""),
                                      *welcome);
  if (!s.ok()) return s;
  if (absl::StatusOr<BinaryHeader> p = server.Post(welcome); !p.ok()) {
    return p.status();
  }
  absl::StatusOr<MessagePtr> ready = server.Next("WelcomeResponse");
  if (!ready.ok()) return ready.status();
  if ((*ready)->header().status != StatusCode::kSuccess) {
    return absl::UnavailableError(absl::StrCat(
        "listen failed: ", StatusCodeName((*ready)->header().status)));
  }
  absl::StatusOr<Address> at = ListenAddressOf(**ready);
  if (!at.ok()) return at.status();
  MessagePtr hello = client.Get();
  if (s = MakeHelloRequest(*at, *hello); !s.ok()) return s;
  absl::StatusOr<BinaryHeader> posted = client.Post(hello);
  if (!posted.ok()) return posted.status();
  absl::StatusOr<MessagePtr> request = server.Next("HelloRequest");
  if (!request.ok()) return request.status();
  if (s = MakeReply(**request); !s.ok()) return s;
  if (absl::StatusOr<BinaryHeader> p = server.Post(*request); !p.ok()) {
    return p.status();
  }
  absl::StatusOr<MessagePtr> response = client.Next("HelloResponse");
  if (!response.ok()) return response.status();
  if ((*response)->header().op_code != OpCode::kHelloResponse) {
    return absl::InternalError("the handshake failed");
  }
  return posted->channel_number;
}

uint64_t ThroughputWindow(size_t body) {
  return std::min<uint64_t>(kWindowMessages,
                            std::max<uint64_t>(16, kWindowBytes / (body + 16)));
}

absl::StatusOr<ThroughputResult> EngineThroughput(BenchTransport transport,
                                                  size_t body,
                                                  uint64_t messages,
                                                  uint16_t receiver_pool) {
  const uint64_t window = ThroughputWindow(body);
  const auto sender_pool = static_cast<uint16_t>(window + 64);
  absl::StatusOr<Link> link = Connect(
      transport, receiver_pool == 0 ? sender_pool : receiver_pool, sender_pool);
  if (!link.ok()) return link.status();

  // The receiver publishes its count under `mu` every `step` messages; the
  // sender waits on it when a window is in flight.
  absl::Mutex mu;
  uint64_t counted = 0;
  const uint64_t step = std::max<uint64_t>(1, window / 8);
  absl::Status receiver_status;
  std::thread receiver([&] {
    uint64_t n = 0;
    while (n < messages) {
      absl::StatusOr<MessagePtr> m = Next(*link->server_group, "message");
      if (!m.ok()) {
        receiver_status = m.status();
        break;
      }
      if ((*m)->header().origin == Origin::kEngine) {
        if ((*m)->header().status == StatusCode::kPoolEmpty) continue;
        receiver_status = absl::InternalError(absl::StrCat(
            "engine notification: ", StatusCodeName((*m)->header().status)));
        break;
      }
      ++n;
      if (n % step == 0 || n == messages) {
        absl::MutexLock lock(&mu);
        counted = n;
      }
    }
    absl::MutexLock lock(&mu);
    counted = messages;  // releases the sender on failure too
  });

  const std::string payload(body, 'x');
  const absl::Time start = absl::Now();
  const CpuTime cpu_start = ProcessCpuTime();
  absl::Status sender_status;
  for (uint64_t i = 0; i < messages && sender_status.ok(); ++i) {
    if (i % step == 0) {
      absl::MutexLock lock(&mu);
      const auto room = [&] { return i - counted < window; };
      mu.Await(absl::Condition(&room));
    }
    MessagePtr m = link->client->Get(AllocationStrategy::kAlways);
    m->header().op_code = OpCode::kSignal;
    m->header().channel_number = link->client_channel;
    m->header().message_id = i + 1;
    m->body().Assign(payload);
    sender_status = link->client_group->Post(m).status();
  }
  receiver.join();
  const absl::Duration elapsed = absl::Now() - start;
  const absl::Duration cpu = CpuSince(cpu_start);
  if (!sender_status.ok()) return sender_status;
  if (!receiver_status.ok()) return receiver_status;
  return ThroughputResult{messages, elapsed, cpu};
}

absl::StatusOr<PingPongResult> EnginePingPong(BenchTransport transport,
                                              size_t body, uint64_t round_trips,
                                              bool spin) {
  absl::StatusOr<Link> link = Connect(transport, 64, 64, spin);
  if (!link.ok()) return link.status();
  absl::Status echo_status;
  std::thread echo([&] {
    for (uint64_t i = 0; i < round_trips; ++i) {
      absl::StatusOr<MessagePtr> m = Next(*link->server_group, "Request");
      if (!m.ok()) {
        echo_status = m.status();
        return;
      }
      echo_status = link->server_group->Reply(*m).status();
      if (!echo_status.ok()) return;
    }
  });
  const std::string payload(body, 'x');
  LatencyHistogram rtt;
  absl::Status status;
  const CpuTime cpu_start = ProcessCpuTime();
  for (uint64_t i = 0; i < round_trips && status.ok(); ++i) {
    const absl::Time start = absl::Now();
    MessagePtr m = link->client->Get(AllocationStrategy::kAlways);
    m->header().op_code = OpCode::kRequest;
    m->header().channel_number = link->client_channel;
    m->header().message_id = i + 1;
    m->body().Assign(payload);
    status = link->client_group->Post(m).status();
    if (!status.ok()) break;
    absl::StatusOr<MessagePtr> r = Next(*link->client_group, "Response");
    if (!r.ok()) {
      status = r.status();
    } else if ((*r)->header().message_id != i + 1) {
      status = absl::DataLossError("a Response out of order");
    }
    rtt.Record(absl::Now() - start);
  }
  // The echo thread has answered the last Request: nothing of the timed
  // exchange is left to run.
  const absl::Duration cpu = CpuSince(cpu_start);
  link->server_group->Destroy();  // releases the echo thread on failure
  echo.join();
  if (!status.ok()) return status;
  if (!echo_status.ok() &&
      StatusCodeOf(echo_status) != StatusCode::kShutdownStarted) {
    return echo_status;
  }
  return PingPongResult{round_trips, rtt.Summary(), cpu};
}

}  // namespace tofu::stress
