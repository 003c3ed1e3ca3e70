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
// Contract checks: what the real system would punish (two polls outstanding
// for one base socket, a poll or cancel on a closed or unknown helper, a
// cancel of a poll that is not outstanding or cancelled twice, a helper closed
// with polls outstanding or holding more than kSocketsPerHelper polls) does
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
  // Runs `hook` once, at the start of the next Dequeue: there the set's lock
  // is not held, so the hook may make control calls as another thread would
  // while Wait blocks.
  void RunOnNextDequeue(std::function<void()> hook) {
    on_dequeue_ = std::move(hook);
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
  size_t queued() const { return queue_.size(); }
  size_t open_helpers() const { return helpers_.size(); }
  size_t max_open_helpers() const { return max_helpers_; }
  int submits() const { return submits_; }
  int cancels() const { return cancels_; }
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
  std::deque<Packet> queue_;
  bool fail_open_ = false;
  uint32_t submit_failure_ = kStatusSuccess;
  uint32_t cancel_failure_ = kStatusSuccess;
  bool race_cancel_ = false;
  uint32_t race_events_ = 0;
  int submits_ = 0;
  int cancels_ = 0;
  std::vector<std::string> violations_;
  std::function<void()> on_dequeue_;
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_TESTING_FAKE_AFD_SYSTEM_H_
