#ifndef TOFU_REACTOR_POLLER_H_
#define TOFU_REACTOR_POLLER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reactor/notifier.h"
#include "transport/socket.h"

namespace tofu {

// What a registered socket is watched for. Level-triggered: an interest keeps
// reporting while the condition holds.
enum Interest : uint32_t {
  // Nothing is reported, not even an error or a hang-up: a channel that may
  // not read yet is not woken for a peer's close until it asks again.
  kInterestNone = 0,
  kInterestRead = 1,   // readable, a pending accept, or end of stream
  kInterestWrite = 2,  // writable, or a finished non-blocking connect
};

struct PollEvent {
  // The token given at registration (a packed ChannelToken: it carries a
  // generation, so an event for a closed channel never reaches the channel that
  // reuses its number).
  uint64_t token = 0;
  bool readable = false;
  bool writable = false;
  // Error or hang-up: reading (or finishing a connect) tells what happened.
  bool error = false;
};

// Readiness notification for sockets. Wait and CreateNotifier are called by
// one thread (the loop's); the control calls by that thread too, or by one
// other thread at a time where SupportsConcurrentControl() says so.
class Poller {
 public:
  virtual ~Poller() = default;

  virtual absl::Status Register(NativeSocket socket, uint64_t token,
                                uint32_t interest) = 0;
  virtual absl::Status Modify(NativeSocket socket, uint64_t token,
                              uint32_t interest) = 0;
  // Must be called before the socket is closed.
  virtual void Unregister(NativeSocket socket) = 0;
  // A notifier whose wake-ups this poller reports as a readable PollEvent with
  // `token` (an eventfd registered for reading on Linux; completion packets
  // on a distinct key on Windows). It must not outlive the poller.
  virtual absl::StatusOr<std::unique_ptr<Notifier>> CreateNotifier(
      uint64_t token) = 0;
  // Whether Register, Modify and Unregister may be called from another
  // thread (one at a time) while Wait blocks: true for epoll and for the
  // Windows AFD poller. When false, every call comes from the waiting thread.
  virtual bool SupportsConcurrentControl() const { return false; }
  // Waits up to `timeout` (absl::InfiniteDuration() for no limit, zero to poll)
  // and replaces `events` with what happened.
  virtual absl::Status Wait(absl::Duration timeout,
                            std::vector<PollEvent>& events) = 0;
};

// The platform's poller (epoll on Linux, IOCP + AFD_POLL on Windows).
absl::StatusOr<std::unique_ptr<Poller>> CreatePoller();

}  // namespace tofu

#endif  // TOFU_REACTOR_POLLER_H_
