#include <thread>
#include <utility>

#include "reactor/group_inbox.h"
#include "reactor/reactor.h"
#include "tofu/tofu.h"
#include "transport/address.h"

namespace tofu {

ChannelGroup::ChannelGroup(std::shared_ptr<Reactor> reactor,
                           std::shared_ptr<GroupInbox> inbox)
    : reactor_(std::move(reactor)), inbox_(std::move(inbox)) {}

ChannelGroup::~ChannelGroup() { Destroy(); }

absl::StatusOr<BinaryHeader> ChannelGroup::Post(MessagePtr& message) {
  return reactor_->Post(*inbox_, message);
}

absl::StatusOr<MessagePtr> ChannelGroup::WaitReceive(absl::Duration timeout) {
  return inbox_->Wait(timeout);
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

namespace {

absl::Status Format(Address::Transport transport, Address::Role role,
                    absl::string_view host, uint16_t port,
                    absl::string_view path, Message& message) {
  Address address;
  address.transport = transport;
  address.role = role;
  address.host = std::string(host);
  address.port = port;
  address.path = std::string(path);
  // Round-trip through the parser so a value the protocol cannot carry is
  // refused here.
  absl::StatusOr<Address> checked = ParseAddressValue(address.Value(), role);
  if (!checked.ok()) return checked.status();
  return FormatAddress(*checked, message);
}

}  // namespace

absl::Status TcpClientAddress(absl::string_view host, uint16_t port,
                              Message& message) {
  return Format(Address::Transport::kTcp, Address::Role::kClient, host, port,
                "", message);
}
absl::Status TcpServerAddress(absl::string_view host, uint16_t port,
                              Message& message) {
  return Format(Address::Transport::kTcp, Address::Role::kServer, host, port,
                "", message);
}
absl::Status UdsClientAddress(absl::string_view path, Message& message) {
  return Format(Address::Transport::kUds, Address::Role::kClient, "", 0, path,
                message);
}
absl::Status UdsServerAddress(absl::string_view path, Message& message) {
  return Format(Address::Transport::kUds, Address::Role::kServer, "", 0, path,
                message);
}

}  // namespace tofu
