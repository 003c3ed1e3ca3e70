#ifndef TOFU_TOFU_H_
#define TOFU_TOFU_H_

// tofu: asynchronous message passing. The one header applications include.
// The contract is in docs/api.md; the wire format in docs/protocol.md.
//
//   auto engine = tofu::Engine::Create().value();
//   auto group = engine->CreateGroup().value();
//   group->Connect(tofu::Address::Tcp("127.0.0.1", port)).IgnoreError();
//   absl::StatusOr<tofu::MessagePtr> m = group->WaitReceive(absl::Seconds(5));
//   if (absl::IsDeadlineExceeded(m.status())) { /* nothing came */ }
//   else if (m.ok() && tofu::Classify(**m).kind ==
//   tofu::Received::Kind::kFrame)
//     { /* the peer's HelloResponse */ }
//
// Threads: every call is thread-safe, except that one thread at a time may
// wait in a group's WaitReceive. One I/O thread per engine does the socket
// work; nothing calls back into the application. The exception: when the I/O
// thread is idle (waiting for readiness or spinning, not working), Post may do
// the engine's work itself, on the posting thread, before it returns: dispatch
// everything posted so far (by any thread), write it to the sockets, and hand
// any resulting deliveries to the inboxes. It takes that path right after the
// engine delivered received frames (so a reply saves the I/O thread's wake-up)
// and for large UDS frames. It never waits for the I/O thread (it only tries
// its lock) nor for a peer (sockets are non-blocking); the cost is that Post
// can take as long as a vectored write.

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
#include "message/text_headers.h"
#include "pool/message_pool.h"
#include "reactor/engine_counters.h"
#include "tofu/received.h"
#include "tofu/requests.h"
#include "transport/address.h"

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

  // Deadlines on peers (docs/limits.md); zero turns one off. Each expiry
  // closes that one channel: unsent messages come back, then channel_closed.
  // A ByeRequest (or oob=0 ByeSignal) the peer does not answer, or a crossed
  // Bye exchange that does not finish, is aborted after this long, with a
  // communication_failed Signal first (none for a ByeSignal: it asked for no
  // answer).
  absl::Duration bye_timeout = absl::Seconds(5);
  // An accepted connection whose first frame (its HelloRequest) has not fully
  // arrived after this long is closed (communication_failed, then
  // channel_closed with message_id 0).
  absl::Duration handshake_timeout = absl::Seconds(10);
  // A frame that stays incomplete this long (its header or body partly
  // received) closes its channel (communication_failed, then channel_closed).
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

  // Validates the message (docs/protocol.md, Posting), gives a
  // Hello/WelcomeRequest on channel 0 a new channel, and hands it to the
  // engine. On success `message` is taken (null afterwards) and the prepared
  // header (channel number, message id) is returned. On error the caller
  // keeps the message, whose status byte tells the reason as well. May write
  // to the socket on the calling thread (see the thread note above).
  absl::StatusOr<BinaryHeader> Post(MessagePtr& message);
  // The same for `Post(std::move(m))`, with the same contract: on error `m`
  // still holds the message (nothing was moved out of it); a temporary is
  // then dropped back to its pool.
  absl::StatusOr<BinaryHeader> Post(MessagePtr&& message);

  // The next message for this group, in arrival order; Classify says what it
  // is. Never null. Errors:
  //   DeadlineExceeded  nothing arrived within `timeout` (the group is fine:
  //                     wait again); absl::IsDeadlineExceeded tells it;
  //   shutdown_started  the group or its engine is destroyed: nothing more
  //                     will come (StatusCodeOf gives kShutdownStarted).
  // One thread at a time.
  absl::StatusOr<MessagePtr> WaitReceive(absl::Duration timeout);

  // Wakes the receiver with a message of the application's own: `message` comes
  // back with status receiver_update (origin application); nullptr sends a
  // Signal with status receiver_update, channel 0, origin engine. Either way
  // Classify gives Received::Kind::kReceiverUpdate. shutdown_started after
  // destruction.
  absl::Status UpdateReceiver(MessagePtr message);

  // Connects to `to`: posts a HelloRequest (MakeHelloRequest) from the pool.
  // The returned header's channel_number is the new channel; the peer's
  // HelloResponse arrives on it, or the HelloRequest comes back (kReturned)
  // with connect_failed, invalid_address or uds_path_not_found, followed by
  // channel_closed. To send text headers or a body with the HelloRequest,
  // build it with MakeHelloRequest and Post it instead.
  absl::StatusOr<BinaryHeader> Connect(const Address& to);
  // Listens on `on`: posts a WelcomeRequest (MakeWelcomeRequest). The
  // WelcomeResponse comes back on the returned channel: status success and
  // the bound address (ListenAddressOf), or the error then channel_closed.
  // Accepted connections arrive as HelloRequests on channels of their own.
  absl::StatusOr<BinaryHeader> Listen(const Address& on);

  // Answers a received Request, HelloRequest or ByeRequest on its channel with
  // the same message id (MakeReply, then Post), keeping its text headers and
  // body. On error the caller keeps the message (invalid_op_code for other
  // opcodes, or Post's errors).
  absl::StatusOr<BinaryHeader> Reply(MessagePtr& message);
  absl::StatusOr<BinaryHeader> Reply(MessagePtr&& message);

  enum class CloseMode {
    // A ByeRequest behind the messages already posted: the peer answers with
    // a ByeResponse, then the channel closes and channel_closed arrives,
    // with no error status. Nothing posted after it is written (it comes
    // back with a status).
    kGraceful,
    // An oob ByeSignal: the engine closes the connection (or listener) at
    // once. The ByeSignal and every unsent message come back with status
    // channel_closed, then the channel_closed Signal. The peer sees the
    // connection drop.
    kAbort,
  };
  // Closes `channel`, which this group owns. Errors as Post's (for example
  // invalid_channel_number for a channel that never existed).
  absl::Status Close(uint16_t channel, CloseMode mode);

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
  // The engine's counters and pool figures (see EngineStats). Any thread; a
  // handful of relaxed atomic loads and the pool's stats, cheap enough to
  // read in a loop.
  EngineStats stats() const;

 private:
  explicit Engine(std::shared_ptr<Reactor> reactor);
  std::shared_ptr<Reactor> reactor_;
};

}  // namespace tofu

#endif  // TOFU_TOFU_H_
