#include <thread>
#include <utility>

#include "reactor/group_inbox.h"
#include "reactor/reactor.h"
#include "tofu/tofu.h"

namespace tofu {

ChannelGroup::ChannelGroup(std::shared_ptr<Reactor> reactor,
                           std::shared_ptr<GroupInbox> inbox)
    : reactor_(std::move(reactor)), inbox_(std::move(inbox)) {}

ChannelGroup::~ChannelGroup() { Destroy(); }

absl::StatusOr<BinaryHeader> ChannelGroup::Post(MessagePtr& message) {
  return reactor_->Post(*inbox_, message);
}

absl::StatusOr<BinaryHeader> ChannelGroup::Post(MessagePtr&& message) {
  // Post(MessagePtr&) moves out of `message` only on success.
  return Post(message);
}

absl::StatusOr<MessagePtr> ChannelGroup::WaitReceive(absl::Duration timeout) {
  absl::StatusOr<MessagePtr> m = inbox_->Wait(timeout);
  if (m.ok() && *m == nullptr) {
    return absl::DeadlineExceededError("WaitReceive: no message in time");
  }
  return m;
}

absl::StatusOr<BinaryHeader> ChannelGroup::Connect(const Address& to) {
  MessagePtr hello = reactor_->pool().Get(AllocationStrategy::kAlways);
  if (absl::Status s = MakeHelloRequest(to, *hello); !s.ok()) return s;
  return Post(hello);
}

absl::StatusOr<BinaryHeader> ChannelGroup::Listen(const Address& on) {
  MessagePtr welcome = reactor_->pool().Get(AllocationStrategy::kAlways);
  if (absl::Status s = MakeWelcomeRequest(on, *welcome); !s.ok()) return s;
  return Post(welcome);
}

absl::StatusOr<BinaryHeader> ChannelGroup::Reply(MessagePtr& message) {
  if (message == nullptr) return ToAbslStatus(StatusCode::kNullMessage);
  const BinaryHeader received = message->header();
  if (absl::Status s = MakeReply(*message); !s.ok()) return s;
  absl::StatusOr<BinaryHeader> posted = Post(message);
  // The caller keeps the message as it was given, the reason in its status.
  if (!posted.ok()) {
    message->header() = received;
    message->header().status = StatusCodeOf(posted.status());
  }
  return posted;
}

absl::StatusOr<BinaryHeader> ChannelGroup::Reply(MessagePtr&& message) {
  return Reply(message);
}

absl::Status ChannelGroup::Close(uint16_t channel, CloseMode mode) {
  MessagePtr bye = reactor_->pool().Get(AllocationStrategy::kAlways);
  bye->header().channel_number = channel;
  if (mode == CloseMode::kGraceful) {
    bye->header().op_code = OpCode::kByeRequest;
  } else {
    bye->header().op_code = OpCode::kByeSignal;
    bye->header().oob = true;
  }
  return Post(bye).status();
}

absl::Status ChannelGroup::UpdateReceiver(MessagePtr message) {
  if (message == nullptr) {
    message = reactor_->pool().Get(AllocationStrategy::kAlways);
    message->header().op_code = OpCode::kSignal;
    message->header().origin = Origin::kEngine;
  } else {
    message->header().origin = Origin::kApplication;
  }
  message->header().status = StatusCode::kReceiverUpdate;
  message->set_arrival(Arrival::kReceiverUpdate);
  if (!inbox_->Push(std::move(message)))
    return ToAbslStatus(StatusCode::kShutdownStarted);
  return absl::OkStatus();
}

// Not skipped when the inbox is closed already: a Destroy on another thread
// closes it first and this one must wait for the same work.
void ChannelGroup::Destroy() { reactor_->DestroyGroup(*inbox_); }

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(Options options) {
  // With one CPU a spinning thread only delays the one it waits for.
  const bool spin = std::thread::hardware_concurrency() > 1;
  absl::StatusOr<std::unique_ptr<Reactor>> reactor = Reactor::Create(
      PoolOptions{.initial = options.initial_pool_messages,
                  .max = options.max_pool_messages},
      Reactor::Spin{
          .receive = spin ? options.receive_spin : absl::ZeroDuration(),
          .io = spin ? options.io_spin : absl::ZeroDuration()},
      Timeouts{.bye = options.bye_timeout,
               .handshake = options.handshake_timeout,
               .frame = options.frame_timeout});
  if (!reactor.ok()) return reactor.status();
  return std::unique_ptr<Engine>(
      new Engine(std::shared_ptr<Reactor>(std::move(*reactor))));
}

Engine::Engine(std::shared_ptr<Reactor> reactor)
    : reactor_(std::move(reactor)) {}

Engine::~Engine() { reactor_->Shutdown(); }

absl::StatusOr<std::unique_ptr<ChannelGroup>> Engine::CreateGroup() {
  absl::StatusOr<std::shared_ptr<GroupInbox>> inbox = reactor_->CreateGroup();
  if (!inbox.ok()) return inbox.status();
  return std::unique_ptr<ChannelGroup>(
      new ChannelGroup(reactor_, std::move(*inbox)));
}

MessagePtr Engine::Get(AllocationStrategy strategy) {
  return reactor_->pool().Get(strategy);
}

PoolStats Engine::pool_stats() const { return reactor_->pool().stats(); }

EngineStats Engine::stats() const {
  EngineStats s = reactor_->counters().Snapshot();
  s.pool = reactor_->pool().stats();
  return s;
}

}  // namespace tofu
