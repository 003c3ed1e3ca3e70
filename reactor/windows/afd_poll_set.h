#ifndef TOFU_REACTOR_WINDOWS_AFD_POLL_SET_H_
#define TOFU_REACTOR_WINDOWS_AFD_POLL_SET_H_

// The Windows poller's bookkeeping, free of system calls (they go through
// AfdSystem): which sockets are registered, which PolledSocket each has, on
// which helper handle its polls go, the lazy re-arm queue, the deferral of a
// socket handle reused while its previous owner's poll is still outstanding,
// and the draining of outstanding polls when the poller goes away.
//
// Lifetimes: a PolledSocket is created by Register() and freed only once its
// PollState says so (at Unregister() with no poll outstanding, or when the
// final packet is dequeued), so the kernel never writes to freed memory. A
// socket handle unregistered with a poll outstanding and registered again
// (Windows reuses handle values at once) gets a new PolledSocket whose first
// poll waits until the old one's final packet has been dequeued: there is
// never more than one poll per socket handle.
//
// Not thread-safe: every call comes from the reactor thread.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "reactor/windows/afd_system.h"
#include "reactor/windows/helper_pool.h"
#include "reactor/windows/poll_state.h"

namespace tofu::afd {

// What Wait() reports for one socket (the fields of tofu::PollEvent).
struct SocketEvent {
  uint64_t token = 0;
  bool readable = false;
  bool writable = false;
  bool error = false;
  friend bool operator==(const SocketEvent&, const SocketEvent&) = default;
};

class AfdPollSet {
 public:
  // Packets dequeued per system call.
  static constexpr size_t kBatch = 256;

  // `sockets_per_helper`: see HelperPool.
  explicit AfdPollSet(AfdSystem& system,
                      int sockets_per_helper = kSocketsPerHelper)
      : system_(system), helpers_(system, sockets_per_helper) {}
  AfdPollSet(const AfdPollSet&) = delete;
  AfdPollSet& operator=(const AfdPollSet&) = delete;
  // Drain(kDrainOnDestruction), then closes the helpers. PolledSockets whose
  // final packet did not come in time are leaked on purpose.
  ~AfdPollSet();

  // How long the destructor waits for the final packets of cancelled polls.
  // Each normally comes within one dequeue, so this bounds only a broken
  // cancel.
  static constexpr absl::Duration kDrainOnDestruction = absl::Seconds(2);

  // A wake-up packet (Packet::socket null) is reported as a readable event
  // with `token`; without this, wake-ups are dequeued and dropped.
  void SetWakeToken(uint64_t token);

  // Watches `socket` (whose base provider socket is `base`) for `interest`
  // (kInterestRead | kInterestWrite), reported with `token`. AlreadyExists if
  // it is registered; the helper's error if none can be opened.
  absl::Status Register(Handle socket, Handle base, uint64_t token,
                        uint32_t interest);
  // Changes the token and interest. NotFound if not registered.
  absl::Status Modify(Handle socket, uint64_t token, uint32_t interest);
  // Stops watching `socket`; call it before closing the socket. Nothing is
  // reported for it afterwards. Unknown sockets are ignored.
  void Unregister(Handle socket);

  // Issues the polls that are due (lazy re-arm), then dequeues packets for at
  // most `timeout` (InfiniteDuration: no limit; zero: only what is queued)
  // until one reports something, and replaces `events` with what they report.
  // A socket found closed behind the poller's back, or whose poll AFD refused,
  // is reported readable with error, so reading tells the reactor why.
  absl::Status Wait(absl::Duration timeout, std::vector<SocketEvent>& events);

  // Unregisters every socket and dequeues until every final packet has come,
  // or `limit` has passed. Returns true if none is outstanding any more.
  bool Drain(absl::Duration limit);

  size_t registered() const { return registered_.size(); }
  // Unregistered sockets whose final packet has not been dequeued yet.
  size_t unregistering() const { return unregistering_.size(); }
  size_t helpers() const { return helpers_.helpers(); }

 private:
  class BoundDriver;

  void Enqueue(PolledSocket* s);
  void Dequeue(PolledSocket* s);
  void Free(PolledSocket* s);
  // Unregister's half that does not touch registered_.
  void Retire(PolledSocket* s);
  void FlushUpdates(std::vector<SocketEvent>& events);
  void Complete(const Packet& packet, std::vector<SocketEvent>& events);

  AfdSystem& system_;
  HelperPool helpers_;
  uint64_t wake_token_ = 0;
  bool has_wake_token_ = false;
  absl::flat_hash_map<Handle, PolledSocket*> registered_;
  // Unregistered sockets whose final packet has not arrived yet, by handle.
  absl::flat_hash_map<Handle, PolledSocket*> unregistering_;
  // Sockets to look at before the next wait (PolledSocket::queue_index is
  // their position), and the batch FlushUpdates() is working through.
  std::vector<PolledSocket*> updates_;
  std::vector<PolledSocket*> flushing_;
  Packet packets_[kBatch];
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_AFD_POLL_SET_H_
