#ifndef TOFU_REACTOR_TESTING_SIM_NETWORK_H_
#define TOFU_REACTOR_TESTING_SIM_NETWORK_H_

// An in-memory, deterministic network for driven reactors
// (Reactor::CreateDriven): a Network whose Streams are plain buffers, and a
// Poller (with its Notifier) that reports readiness from those buffers. No
// threads, no sockets, no system calls: the same calls in the same order give
// the same results on every platform.
//
// The engine holds one end of each connection; the test (or fuzzer) driving
// this SimNetwork plays every remote peer through the driver calls below:
// accepting or refusing connects, queueing incoming connections, delivering
// bytes (valid frames or garbage) in chosen read chunks, limiting how much the
// engine may write, reading back what it wrote, and closing or resetting
// connections from the peer side.
//
// Streams are named by their handle (what Stream::handle() returns and the
// poller registers), handed out in increasing order and never reused.
//
// Contract checks: calls the Stream and Poller contracts forbid (a stream used
// after it was closed, a stream closed while still registered, a second
// registration, reading or writing a stream whose connect has not finished,
// ...) do not crash: they are recorded in violations(), which a test or
// fuzzer asserts empty.
//
// Threads: one thread at a time uses a SimNetwork and everything made from it
// (the driver and the driven reactor run on the same thread), except
// Notifier::Notify, which any thread may call. Objects made from a SimNetwork
// (networks, pollers, notifiers, streams) share its state: they may outlive it
// and be destroyed in any order.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "message/status.h"
#include "reactor/poller.h"
#include "transport/address.h"
#include "transport/socket.h"
#include "transport/stream.h"

namespace tofu::sim {

// No limit (write budgets, read chunks).
inline constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();

// The IoResult::error of reads and writes on a reset connection.
inline constexpr int kResetError = 104;  // ECONNRESET's value on Linux

// What Network::Connect does (for every Connect until changed).
enum class ConnectBehavior {
  kAtOnce,          // a connected stream (`*connected` true)
  kPending,         // a connecting stream: CompleteConnect or FailConnect
  kRefuse,          // fails at once with connect_failed
  kInvalidAddress,  // fails at once with invalid_address
};

// A snapshot of one stream, for the driver.
struct StreamInfo {
  enum class Kind {
    kListener,   // made by Network::Listen
    kConnected,  // made by Network::Connect (the engine is the client)
    kAccepted,   // queued by AddIncoming, returned by the listener's Accept
  };
  enum class Connect { kDone, kPending, kFailed };
  // How the engine closed its end.
  enum class End { kOpen, kClosed, kAborted };

  Kind kind = Kind::kConnected;
  // Listener: its bound address (LocalAddress). Connected: the address given
  // to Connect. Accepted: its listener's address.
  Address address;
  // Accepted: the listener it came from.
  NativeSocket listener = kInvalidSocket;
  Connect connect = Connect::kDone;
  // The engine holds (or held) a Stream for it: false for an incoming
  // connection still in its listener's backlog (or left there when the
  // listener closed).
  bool handed_out = false;
  End end = End::kOpen;
  // Registered with a poller now, with `interest`.
  bool registered = false;
  uint32_t interest = kInterestNone;
  // The token of its last registration (kept after Unregister).
  std::optional<uint64_t> token;
  // Delivered bytes the engine has not read yet.
  size_t unread = 0;
  // Bytes the engine has written: in all, and those TakeWritten has not
  // returned yet.
  size_t written = 0;
  size_t untaken = 0;
  size_t write_budget = kUnlimited;
  size_t read_chunk = kUnlimited;
  bool peer_closed = false;
  bool peer_reset = false;
  // Listener: incoming connections not accepted yet.
  size_t backlog = 0;
};

class SimNetwork {
 public:
  SimNetwork();
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // The engine's side: give these to Reactor::CreateDriven.
  std::unique_ptr<Network> NewNetwork();
  // Wait never blocks: it reports what is ready now (nothing when nothing
  // is), whatever the timeout. Level-triggered, like epoll: a registered
  // stream is reported readable while (with read interest) it has unread
  // bytes, a peer close or reset, or (a listener) a pending connection or
  // accept failure; writable while (with write interest) it may write (a
  // non-zero budget, a reset to discover, a finished connect); in error while
  // reset or its connect failed, with either interest. A stream with no
  // interest is not reported at all (Poller's contract). Streams are reported
  // in handle order, after the notifiers that were notified (a notifier keeps
  // being reported until drained).
  std::unique_ptr<Poller> NewPoller();

  // --- What the engine's calls will do.

  // Default kAtOnce.
  void set_connect_behavior(ConnectBehavior behavior);
  // The next Network::Listen fails with `code` (for example listen_failed or
  // invalid_address).
  void FailNextListen(StatusCode code);
  // The listener's next Accept fails with accept_failed (its backlog is kept).
  // Cumulative.
  absl::Status FailNextAccept(NativeSocket listener);
  // The next Poller::Wait fails (an internal error).
  void FailNextWait();

  // --- Playing the peers.

  // Queues an incoming connection on a listener the engine holds; returns the
  // handle its Accept will return.
  absl::StatusOr<NativeSocket> AddIncoming(NativeSocket listener);
  // Finishes a pending connect: writable, then FinishConnect is OK.
  absl::Status CompleteConnect(NativeSocket stream);
  // Fails a pending connect: error, then FinishConnect is connect_failed.
  absl::Status FailConnect(NativeSocket stream);
  // Bytes the engine will read, in order (frames, parts of frames or
  // garbage). Refused after the peer closed or reset the connection.
  absl::Status Deliver(NativeSocket stream, absl::string_view bytes);
  // At most `bytes` (>= 1) per ReadSome from now on; default kUnlimited.
  absl::Status SetReadChunk(NativeSocket stream, size_t bytes);
  // The engine may write `bytes` more before its writes would block (0: they
  // block now; kUnlimited: never). Each WriteV takes what it can of the budget,
  // so a budget smaller than the engine's batch makes a partial write.
  absl::Status SetWriteBudget(NativeSocket stream, size_t bytes);
  // What the engine wrote since the last call, in order.
  std::string TakeWritten(NativeSocket stream);
  // The peer closes gracefully: the engine reads what was delivered, then end
  // of stream. Writes still succeed (a half-closed connection).
  absl::Status PeerClose(NativeSocket stream);
  // The peer resets: the engine's reads and writes fail (kResetError), and
  // the poller reports an error.
  absl::Status PeerReset(NativeSocket stream);

  // --- Observing.

  // Every stream made so far, in creation (handle) order.
  std::vector<NativeSocket> streams() const;
  // nullopt for an unknown handle.
  std::optional<StreamInfo> Info(NativeSocket stream) const;
  // How many times Poller::Wait was called (one per reactor loop iteration).
  uint64_t wait_calls() const;
  // Contract breaches seen so far, one line each; empty when the engine kept
  // the Stream and Poller contracts.
  std::vector<std::string> violations() const;

  // The shared state (defined in sim_network.cc).
  class Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace tofu::sim

#endif  // TOFU_REACTOR_TESTING_SIM_NETWORK_H_
