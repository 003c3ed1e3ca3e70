#include "stress/engine_cost.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "message/status.h"
#include "reactor/group_inbox.h"
#include "reactor/poller.h"
#include "reactor/reactor.h"
#include "stress/engine_bench.h"
#include "stress/platform.h"
#include "transport/stream.h"

namespace tofu::stress {
namespace {

// Loop iterations without progress before giving up (one thread), and how
// long a thread may see none (two threads: the other may be descheduled).
constexpr int kStallLimit = 100000;
constexpr absl::Duration kStallTime = absl::Seconds(10);

struct Side {
  std::unique_ptr<Reactor> reactor;
  std::shared_ptr<GroupInbox> group;
};

// A driven reactor whose pool holds `window` messages and some spare, as
// EngineThroughput's engines do.
absl::StatusOr<Side> NewSide(uint64_t window) {
  absl::StatusOr<std::unique_ptr<Poller>> poller = CreatePoller();
  if (!poller.ok()) return poller.status();
  const auto pool = static_cast<uint16_t>(window + 64);
  absl::StatusOr<std::unique_ptr<Reactor>> reactor =
      Reactor::CreateDriven(PoolOptions{.initial = pool, .max = pool},
                            std::move(*poller), SystemNetwork());
  if (!reactor.ok()) return reactor.status();
  absl::StatusOr<std::shared_ptr<GroupInbox>> group = (*reactor)->CreateGroup();
  if (!group.ok()) return group.status();
  return Side{std::move(*reactor), std::move(*group)};
}

// Runs both loops until `side`'s group has a message.
absl::StatusOr<MessagePtr> Await(Side& side, Side& other,
                                 absl::string_view what) {
  for (int i = 0; i < kStallLimit; ++i) {
    absl::StatusOr<MessagePtr> m = side.group->Wait(absl::ZeroDuration());
    if (!m.ok() || *m != nullptr) return m;
    side.reactor->RunOnce(absl::ZeroDuration());
    other.reactor->RunOnce(absl::ZeroDuration());
  }
  return absl::DeadlineExceededError(absl::StrCat("no ", what));
}

// A link end through a driven reactor; waiting runs both loops.
class DrivenEnd final : public LinkEnd {
 public:
  DrivenEnd(Side& self, Side& other) : self_(self), other_(other) {}
  MessagePtr Get() override {
    return self_.reactor->pool().Get(AllocationStrategy::kAlways);
  }
  absl::StatusOr<BinaryHeader> Post(MessagePtr& message) override {
    return self_.reactor->Post(*self_.group, message);
  }
  absl::StatusOr<MessagePtr> Next(absl::string_view what) override {
    return Await(self_, other_, what);
  }

 private:
  Side& self_;
  Side& other_;
};

// Takes and drops what `server`'s group has, counting it; an engine
// notification (the channel failed) is an error.
absl::Status Drain(Side& server, uint64_t& counted) {
  while (true) {
    absl::StatusOr<MessagePtr> m = server.group->Wait(absl::ZeroDuration());
    if (!m.ok()) return m.status();
    if (*m == nullptr) return absl::OkStatus();
    if ((*m)->header().origin == Origin::kEngine) {
      return absl::InternalError(absl::StrCat(
          "engine notification: ", StatusCodeName((*m)->header().status)));
    }
    ++counted;
  }
}

// A client and a server side, connected and past the handshake, and what the
// client sends: `window` messages at most ahead of the receiver (as
// EngineThroughput's sender), each with `payload` as its body.
struct Link {
  Side server;
  Side client;
  uint16_t channel = 0;
  uint64_t window = 0;
  std::string payload;
};

absl::StatusOr<Link> Connect(BenchTransport transport, size_t body) {
  const uint64_t window = ThroughputWindow(body);
  absl::StatusOr<Side> server = NewSide(window);
  if (!server.ok()) return server.status();
  absl::StatusOr<Side> client = NewSide(window);
  if (!client.ok()) return client.status();
  Link link{std::move(*server), std::move(*client), 0, window,
            std::string(body, 'x')};
  DrivenEnd server_end(link.server, link.client);
  DrivenEnd client_end(link.client, link.server);
  absl::StatusOr<uint16_t> channel =
      Handshake(transport, server_end, client_end);
  if (!channel.ok()) return channel.status();
  link.channel = *channel;
  return link;
}

// Posts Signals on the link until `posted` reaches `limit`, numbering them
// from 1, as EngineThroughput's sender does.
absl::Status PostUpTo(Link& link, uint64_t limit, uint64_t& posted) {
  Side& client = link.client;
  for (; posted < limit; ++posted) {
    MessagePtr m = client.reactor->pool().Get(AllocationStrategy::kAlways);
    m->header().op_code = OpCode::kSignal;
    m->header().channel_number = link.channel;
    m->header().message_id = posted + 1;
    m->body().Assign(link.payload);
    if (absl::StatusOr<BinaryHeader> p = client.reactor->Post(*client.group, m);
        !p.ok()) {
      return p.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ThroughputResult> EngineOneThread(BenchTransport transport,
                                                 size_t body,
                                                 uint64_t messages) {
  absl::StatusOr<Link> link = Connect(transport, body);
  if (!link.ok()) return link.status();
  const absl::Time start = absl::Now();
  const CpuTime cpu_start = ProcessCpuTime();
  uint64_t posted = 0;
  uint64_t counted = 0;
  for (int stalled = 0; counted < messages;) {
    const uint64_t before = counted;
    if (absl::Status s =
            PostUpTo(*link, std::min(messages, counted + link->window), posted);
        !s.ok()) {
      return s;
    }
    link->client.reactor->RunOnce(absl::ZeroDuration());
    link->server.reactor->RunOnce(absl::ZeroDuration());
    if (absl::Status s = Drain(link->server, counted); !s.ok()) return s;
    stalled = counted == before ? stalled + 1 : 0;
    if (stalled == kStallLimit) {
      return absl::DeadlineExceededError(
          absl::StrCat("stalled at ", counted, " of ", messages, " messages"));
    }
  }
  return ThroughputResult{messages, absl::Now() - start, CpuSince(cpu_start)};
}

absl::StatusOr<ThroughputResult> EngineTwoThreads(BenchTransport transport,
                                                  size_t body,
                                                  uint64_t messages) {
  absl::StatusOr<Link> link = Connect(transport, body);
  if (!link.ok()) return link.status();
  // What the receiver has counted; the sender stays within the window of it.
  std::atomic<uint64_t> counted{0};
  // Set by either thread when it gives up, so the other stops too.
  std::atomic<bool> failed{false};
  // The receiver's thread's own until it is joined.
  absl::Status receiver_status;
  const absl::Time start = absl::Now();
  const CpuTime cpu_start = ProcessCpuTime();
  std::thread receiver([&] {
    uint64_t n = 0;
    absl::Time progress = absl::Now();
    while (n < messages && !failed.load(std::memory_order_relaxed)) {
      const uint64_t before = n;
      link->server.reactor->RunOnce(absl::ZeroDuration());
      receiver_status = Drain(link->server, n);
      if (n != before) {
        counted.store(n, std::memory_order_release);
        progress = absl::Now();
      } else if (receiver_status.ok() && absl::Now() - progress > kStallTime) {
        receiver_status = absl::DeadlineExceededError(absl::StrCat(
            "receiver stalled at ", n, " of ", messages, " messages"));
      }
      if (!receiver_status.ok()) failed.store(true, std::memory_order_relaxed);
    }
  });
  absl::Status sender_status;
  uint64_t posted = 0;
  absl::Time progress = absl::Now();
  while (counted.load(std::memory_order_acquire) < messages &&
         !failed.load(std::memory_order_relaxed)) {
    const uint64_t before = posted;
    sender_status =
        PostUpTo(*link,
                 std::min(messages, counted.load(std::memory_order_acquire) +
                                        link->window),
                 posted);
    link->client.reactor->RunOnce(absl::ZeroDuration());
    if (posted != before) {
      progress = absl::Now();
    } else if (sender_status.ok() && absl::Now() - progress > kStallTime) {
      sender_status = absl::DeadlineExceededError(absl::StrCat(
          "sender stalled at ", posted, " of ", messages, " messages"));
    }
    if (!sender_status.ok()) failed.store(true, std::memory_order_relaxed);
  }
  receiver.join();
  const absl::Time end = absl::Now();
  const absl::Duration cpu = CpuSince(cpu_start);
  if (!sender_status.ok()) return sender_status;
  if (!receiver_status.ok()) return receiver_status;
  return ThroughputResult{messages, end - start, cpu};
}

}  // namespace tofu::stress
