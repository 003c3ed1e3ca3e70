#ifndef TOFU_REACTOR_WINDOWS_TESTING_FAKE_AFD_SYSTEM_H_
#define TOFU_REACTOR_WINDOWS_TESTING_FAKE_AFD_SYSTEM_H_

// An in-memory AfdSystem for tests and fuzzers of AfdPollSet: a model of the
// kernel side of AFD polls on helper handles and one completion port.
//
// The model: a poll is outstanding from its submission until its packet is
// dequeued; it completes (its packet is queued, its result written into the
// PolledSocket's IoBlockStorage, as the kernel does) at once if a requested
// condition already holds, when such a condition arises (SetReady), when it
// is cancelled, or when its socket is closed (LOCAL_CLOSE); a closed socket
// refuses new polls with STATUS_INVALID_HANDLE. Failures and races are
// scripted: the next open, submit or cancel fails, or the next cancel finds
// its poll completed with events first.
//
// Popped polls: Dequeue takes a poll out of polls() when it pops its packet,
// but the poller handles that packet only later, under its lock (Complete
// reads the result with ResultOf). In between, another thread's control call
// may still cancel the poll: on Windows NtCancelIoFileEx then answers
// STATUS_NOT_FOUND, as the IO_STATUS_BLOCK is no longer pending. The fake
// keeps such a poll in popped() from its pop until ResultOf() reads its
// result (the poller's Complete); a cancel of it answers kStatusNotFound
// without a violation. A hook run after the pop (RunOnNextDequeue with
// kAfterPop) makes control calls in exactly that window.
//
// Contract checks: what the real system would punish (two polls outstanding
// for one base socket, a poll or cancel on a closed or unknown helper, a
// cancel of a poll that is not outstanding or cancelled twice, a helper closed
// with polls outstanding or holding more than kSocketsPerHelper polls) and
// what the poller must never do with a packet (read the result of a poll
// whose packet was not dequeued, leave a dequeued packet unhandled until the
// next Dequeue, poll a socket again before its popped packet is handled) does
// not crash: it is recorded in violations(), which a test or fuzzer asserts
// empty. Single-threaded.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reactor/windows/afd_system.h"
#include "reactor/windows/helper_pool.h"

namespace tofu::afd {

class FakeAfdSystem final : public AfdSystem {
 public:
  // What the kernel knows about one outstanding poll.
  struct Poll {
    Handle helper = 0;
    Handle base = 0;
    uint32_t events = 0;
    bool completed = false;  // its packet is queued
    bool cancel_requested = false;
  };

  // The most polls a helper may carry (AfdPollSet's sockets_per_helper).
  void set_sockets_per_helper(int n) { per_helper_ = n; }

  // AfdSystem.
  absl::StatusOr<Handle> OpenHelper() override;
  void CloseHelper(Handle helper) override;
  uint32_t SubmitPoll(Handle helper, PolledSocket& socket,
                      uint32_t afd_events) override;
  uint32_t CancelPoll(Handle helper, PolledSocket& socket) override;
  PollResult ResultOf(const PolledSocket& socket) override;
  // Dequeues queued packets in order; never waits (0 when none is queued).
  absl::StatusOr<size_t> Dequeue(absl::Span<Packet> packets,
                                 absl::Duration timeout) override;

  // Conditions that now hold on `base` (AFD bits, level-triggered): an
  // outstanding poll asking for any of them completes.
  void SetReady(Handle base, uint32_t afd_events);
  // Closes `base`: an outstanding poll on it completes with LOCAL_CLOSE.
  void CloseSocket(Handle base);
  // A new socket gets the handle value `base` (Windows reuses them at once):
  // open again, with no condition holding.
  void ReuseSocket(Handle base);
  bool PostUpdateWake() override;
  // Where in Dequeue a hook runs.
  enum class HookPoint {
    // Before any packet is popped: what the hook queues is popped by the same
    // Dequeue.
    kBeforePop,
    // After the packets are popped, before Dequeue returns them: their polls
    // are in popped(), and what the hook queues waits for the next Dequeue.
    kAfterPop,
  };
  // Runs `hook` once, inside the next Dequeue at `when`: there the set's lock
  // is not held, so the hook may make control calls as another thread would
  // while Wait blocks. A null hook drops the one not run yet.
  void RunOnNextDequeue(std::function<void()> hook,
                        HookPoint when = HookPoint::kBeforePop) {
    on_dequeue_ = std::move(hook);
    hook_point_ = when;
  }

  // Queues a wake-up packet.
  void Wake();
  // Completes the outstanding, not yet completed poll of `socket` with
  // `status`, `handles` and `events`. False if there is none.
  bool Fire(const PolledSocket* socket, uint32_t status, uint32_t handles,
            uint32_t events);

  // Scripted faults, each for the next call only.
  void FailNextOpen() { fail_open_ = true; }
  void FailNextSubmit(uint32_t status) { submit_failure_ = status; }
  void FailNextCancel(uint32_t status) { cancel_failure_ = status; }
  // The next cancel finds its poll already fired with `afd_events`.
  void RaceNextCancel(uint32_t afd_events);
  // Drops the scripted faults not yet used.
  void ClearFaults();

  const std::map<const PolledSocket*, Poll>& polls() const { return polls_; }
  // Polls whose packet Dequeue popped and whose result the poller has not
  // read yet (see the file comment).
  const std::map<const PolledSocket*, Poll>& popped() const { return popped_; }
  size_t queued() const { return queue_.size(); }
  size_t open_helpers() const { return helpers_.size(); }
  size_t max_open_helpers() const { return max_helpers_; }
  int submits() const { return submits_; }
  int cancels() const { return cancels_; }
  // PostUpdateWake packets queued so far.
  int update_wakes() const { return update_wakes_; }
  // Polls outstanding on a helper.
  size_t PollsOn(Handle helper) const;
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  void Complete(const PolledSocket* socket, Poll& poll, uint32_t status,
                uint32_t handles, uint32_t events);
  void Violation(std::string what);

  int per_helper_ = kSocketsPerHelper;
  Handle next_helper_ = 0x1000;
  std::set<Handle> helpers_;
  size_t max_helpers_ = 0;
  std::map<Handle, uint32_t> ready_;
  std::set<Handle> closed_;
  std::map<const PolledSocket*, Poll> polls_;
  std::map<const PolledSocket*, Poll> popped_;
  std::deque<Packet> queue_;
  bool fail_open_ = false;
  uint32_t submit_failure_ = kStatusSuccess;
  uint32_t cancel_failure_ = kStatusSuccess;
  bool race_cancel_ = false;
  uint32_t race_events_ = 0;
  int submits_ = 0;
  int cancels_ = 0;
  int update_wakes_ = 0;
  std::vector<std::string> violations_;
  std::function<void()> on_dequeue_;
  HookPoint hook_point_ = HookPoint::kBeforePop;
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_TESTING_FAKE_AFD_SYSTEM_H_
