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
// Threading: Wait (and the destructor) are called by one thread, the
// reactor's. Register, Modify and Unregister may come from that thread or,
// one at a time, from another while Wait blocks (the engine's inline post
// path). Everything but the dequeue runs under one lock, which Wait releases
// only while it dequeues. A poll is still issued only by Wait (lazy re-arm):
// a control call from another thread that leaves a poll to issue while Wait
// is dequeuing wakes it with one PostUpdateWake packet (at most one
// outstanding); a control call that needs no new poll (an unchanged or
// narrower interest, or a cancel, whose packet wakes Wait anyway) costs no
// packet.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
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
                        uint32_t interest) ABSL_LOCKS_EXCLUDED(mu_);
  // Changes the token and interest. NotFound if not registered.
  absl::Status Modify(Handle socket, uint64_t token, uint32_t interest)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Stops watching `socket`; call it before closing the socket. Nothing is
  // reported for it afterwards. Unknown sockets are ignored.
  void Unregister(Handle socket) ABSL_LOCKS_EXCLUDED(mu_);

  // Issues the polls that are due (lazy re-arm), then dequeues packets for at
  // most `timeout` (InfiniteDuration: no limit; zero: only what is queued)
  // until one reports something, and replaces `events` with what they report.
  // A socket found closed behind the poller's back, or whose poll AFD refused,
  // is reported readable with error, so reading tells the reactor why.
  absl::Status Wait(absl::Duration timeout, std::vector<SocketEvent>& events)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Unregisters every socket and dequeues until every final packet has come,
  // or `limit` has passed. Returns true if none is outstanding any more.
  // Called by the waiting thread, not while it waits.
  bool Drain(absl::Duration limit) ABSL_LOCKS_EXCLUDED(mu_);

  size_t registered() const ABSL_LOCKS_EXCLUDED(mu_);
  // Unregistered sockets whose final packet has not been dequeued yet.
  size_t unregistering() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t helpers() const ABSL_LOCKS_EXCLUDED(mu_);
  // PostUpdateWake packets posted so far.
  uint64_t update_wakes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class BoundDriver;

  void Enqueue(PolledSocket* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dequeue(PolledSocket* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Free(PolledSocket* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unregister's half that does not touch registered_.
  void Retire(PolledSocket* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a control call on `s`: wakes a dequeuing Wait if `s` now has a
  // poll to issue (or a cancel to retry) that only Wait can do, and can issue
  // it now (not a reused handle whose previous owner's final packet is still
  // to come: that packet wakes Wait).
  void WakeIfDue(PolledSocket* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `s`'s handle belonged to a socket that is unregistered but still
  // has a poll outstanding: `s` is not polled until that poll's final packet.
  bool BehindPreviousOwner(const PolledSocket* s) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushUpdates(std::vector<SocketEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Complete(const Packet& packet, std::vector<SocketEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AfdSystem& system_;
  mutable absl::Mutex mu_;
  HelperPool helpers_ ABSL_GUARDED_BY(mu_);
  uint64_t wake_token_ ABSL_GUARDED_BY(mu_) = 0;
  bool has_wake_token_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<Handle, PolledSocket*> registered_ ABSL_GUARDED_BY(mu_);
  // Unregistered sockets whose final packet has not arrived yet, by handle.
  absl::flat_hash_map<Handle, PolledSocket*> unregistering_
      ABSL_GUARDED_BY(mu_);
  // Sockets to look at before the next wait (PolledSocket::queue_index is
  // their position), and the batch FlushUpdates() is working through.
  std::vector<PolledSocket*> updates_ ABSL_GUARDED_BY(mu_);
  std::vector<PolledSocket*> flushing_ ABSL_GUARDED_BY(mu_);
  // Wait is in Dequeue (without the lock): a poll due now waits for a packet.
  bool dequeuing_ ABSL_GUARDED_BY(mu_) = false;
  // A PostUpdateWake packet is queued and not dequeued yet.
  bool update_wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t update_wakes_ ABSL_GUARDED_BY(mu_) = 0;
  // The waiting thread's only (filled by Dequeue without the lock).
  Packet packets_[kBatch];
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_AFD_POLL_SET_H_
