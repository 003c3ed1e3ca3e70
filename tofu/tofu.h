#ifndef TOFU_TOFU_H_
#define TOFU_TOFU_H_

// tofu: asynchronous message passing. The one header applications include.
//
//   auto engine = tofu::Engine::Create({}).value();
//   auto group = engine->CreateGroup().value();
//   tofu::MessagePtr hello = engine->Get(tofu::AllocationStrategy::kAlways);
//   tofu::TcpClientAddress("127.0.0.1", port, *hello).IgnoreError();
//   group->Post(hello);                               // connects, sends the
//   HelloRequest auto reply = group->WaitReceive(absl::Seconds(5)); // the
//   peer's HelloResponse
//
// Threads: every call is thread-safe, except that one thread at a time may wait
// in a group's WaitReceive. One I/O thread per engine does all socket work;
// nothing calls back into the application.

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "message/binary_header.h"
#include "message/message.h"
#include "message/opcode.h"
#include "message/status.h"
#include "pool/message_pool.h"

namespace tofu {

class Reactor;
class GroupInbox;

struct Options {
  // Messages the pool creates up front, and the most it keeps idle (0 =
  // defaults 16/64; a max below initial is raised to initial). Received frames
  // are read only into pool messages: a receiver whose application holds on to
  // every message stops reading (the kernel then pushes back on the sender)
  // until messages are dropped.
  uint16_t initial_pool_messages = PoolOptions::kDefaultInitial;
  uint16_t max_pool_messages = PoolOptions::kDefaultMax;
  // How long WaitReceive spins (yielding the CPU) before it sleeps when its
  // inbox is empty. A message that arrives meanwhile is taken without a
  // thread wake-up, which is most of a request/response round trip's cost;
  // the price is up to this much CPU per empty wait. Zero turns it off; it is
  // always off on a machine with one CPU.
  absl::Duration receive_spin = absl::Microseconds(50);
  // How long the engine's I/O thread keeps polling its sockets and queue
  // without sleeping after its last event. Traffic that continues meanwhile
  // (a stream, the next request) reaches the sockets without waking the
  // thread; the price is up to this much CPU each time traffic stops. Zero
  // turns it off; it is always off on a machine with one CPU.
  absl::Duration io_spin = absl::Microseconds(50);
  // How long a channel waits for the peer to answer its ByeRequest (or an
  // A=0 ByeSignal) before aborting it: unsent messages come back with status
  // communication_failed, then one channel_closed Signal. Zero turns it off.
  absl::Duration bye_timeout = absl::Seconds(5);
  // How long an accepted connection may take to deliver its whole first frame
  // (the HelloRequest). Past it the connection is closed and counted; the
  // application never heard of it and gets no notification. Zero turns it off.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // How long a frame may stay incomplete (header or body partly received).
  // Past it the channel is closed with a Signal of status
  // communication_failed, then channel_closed. Zero turns it off.
  absl::Duration frame_timeout = absl::Seconds(30);
};

// A set of channels with one inbox. Destroying it (Destroy() or the destructor)
// closes its channels, listeners and what they accepted, abortively and without
// notifications, and wakes a thread blocked in WaitReceive with
// shutdown_started.
//
// Send queues are not bounded by the engine: an application that posts faster
// than the peer reads grows them. Bound in-flight requests yourself (the
// examples keep K in flight).
class ChannelGroup {
 public:
  ~ChannelGroup();
  ChannelGroup(const ChannelGroup&) = delete;
  ChannelGroup& operator=(const ChannelGroup&) = delete;

  // Validates the message (PROTOCOL.md section 4), gives a Hello/WelcomeRequest
  // on channel 0 a new channel, and hands it to the I/O thread. On success
  // `message` is taken (null afterwards) and the prepared header (channel
  // number, message id) is returned. On error the caller keeps the message,
  // whose status byte tells the reason as well.
  absl::StatusOr<BinaryHeader> Post(MessagePtr& message);

  // The next message for this group, in arrival order; nullptr after `timeout`;
  // shutdown_started once the group or its engine is destroyed. One thread at a
  // time.
  absl::StatusOr<MessagePtr> WaitReceive(absl::Duration timeout);

  // Wakes the receiver with a message of the application's own: `message` comes
  // back with status receiver_update (origin application); nullptr sends a
  // Signal with status receiver_update, channel 0, origin engine.
  // shutdown_started after destruction.
  absl::Status UpdateReceiver(MessagePtr message);

  // Closes everything the group has; blocks until the I/O thread has.
  // Idempotent.
  void Destroy();

 private:
  friend class Engine;
  ChannelGroup(std::shared_ptr<Reactor> reactor,
               std::shared_ptr<GroupInbox> inbox);

  std::shared_ptr<Reactor> reactor_;
  std::shared_ptr<GroupInbox> inbox_;
};

// The engine: a message pool, one I/O thread and its channels. Destroying it
// stops the thread, closes every channel (abortively) and wakes every group's
// WaitReceive with shutdown_started. Groups may outlive it (every call then
// fails with shutdown_started), and so may messages.
class Engine {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> Create(Options options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  absl::StatusOr<std::unique_ptr<ChannelGroup>> CreateGroup();

  // A message from the pool (reset). kPoolOnly gives nullptr when none is idle.
  MessagePtr Get(AllocationStrategy strategy);
  PoolStats pool_stats() const;

 private:
  explicit Engine(std::shared_ptr<Reactor> reactor);
  std::shared_ptr<Reactor> reactor_;
};

// Address helpers: turn `message` into a HelloRequest (client) or
// WelcomeRequest (server) whose text headers carry `~connect_to` /
// `~listen_on`. Other text headers are kept; the binary header is reset.
// invalid_address for a port or path the protocol cannot carry.
absl::Status TcpClientAddress(absl::string_view host, uint16_t port,
                              Message& message);
// An empty host listens on all interfaces; port 0 picks a free port (the
// WelcomeResponse carries the real one).
absl::Status TcpServerAddress(absl::string_view host, uint16_t port,
                              Message& message);
absl::Status UdsClientAddress(absl::string_view path, Message& message);
// An empty path picks a temporary one (the WelcomeResponse carries it).
absl::Status UdsServerAddress(absl::string_view path, Message& message);

}  // namespace tofu

#endif  // TOFU_TOFU_H_
