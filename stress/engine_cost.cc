#include "stress/engine_cost.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "message/status.h"
#include "reactor/group_inbox.h"
#include "reactor/poller.h"
#include "reactor/reactor.h"
#include "stress/engine_bench.h"
#include "transport/stream.h"

namespace tofu::stress {
namespace {

// Loop iterations without progress before giving up.
constexpr int kStallLimit = 100000;

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

}  // namespace

absl::StatusOr<ThroughputResult> EngineOneThread(BenchTransport transport,
                                                 size_t body,
                                                 uint64_t messages) {
  const uint64_t window = ThroughputWindow(body);
  absl::StatusOr<Side> server = NewSide(window);
  if (!server.ok()) return server.status();
  absl::StatusOr<Side> client = NewSide(window);
  if (!client.ok()) return client.status();
  DrivenEnd server_end(*server, *client);
  DrivenEnd client_end(*client, *server);
  absl::StatusOr<uint16_t> channel =
      Handshake(transport, server_end, client_end);
  if (!channel.ok()) return channel.status();

  const std::string payload(body, 'x');
  const absl::Time start = absl::Now();
  uint64_t posted = 0;
  uint64_t counted = 0;
  for (int stalled = 0; counted < messages;) {
    const uint64_t before = counted;
    for (; posted < messages && posted - counted < window; ++posted) {
      MessagePtr m = client->reactor->pool().Get(AllocationStrategy::kAlways);
      m->header().op_code = OpCode::kSignal;
      m->header().channel_number = *channel;
      m->header().message_id = posted + 1;
      m->body().Assign(payload);
      if (absl::StatusOr<BinaryHeader> p = client_end.Post(m); !p.ok()) {
        return p.status();
      }
    }
    client->reactor->RunOnce(absl::ZeroDuration());
    server->reactor->RunOnce(absl::ZeroDuration());
    while (true) {
      absl::StatusOr<MessagePtr> m = server->group->Wait(absl::ZeroDuration());
      if (!m.ok()) return m.status();
      if (*m == nullptr) break;
      if ((*m)->header().origin == Origin::kEngine) {
        return absl::InternalError(absl::StrCat(
            "engine notification: ", StatusCodeName((*m)->header().status)));
      }
      ++counted;
    }
    stalled = counted == before ? stalled + 1 : 0;
    if (stalled == kStallLimit) {
      return absl::DeadlineExceededError(
          absl::StrCat("stalled at ", counted, " of ", messages, " messages"));
    }
  }
  return ThroughputResult{messages, absl::Now() - start};
}

}  // namespace tofu::stress
