#ifndef TOFU_REACTOR_REACTOR_H_
#define TOFU_REACTOR_REACTOR_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "message/binary_header.h"
#include "message/message.h"
#include "message/message_queue.h"
#include "pool/channel_table.h"
#include "pool/message_pool.h"
#include "reactor/channel.h"
#include "reactor/channel_state.h"
#include "reactor/deadlines.h"
#include "reactor/delivery_batch.h"
#include "reactor/engine_counters.h"
#include "reactor/group_inbox.h"
#include "reactor/notifier.h"
#include "reactor/poller.h"
#include "reactor/post_queue.h"
#include "transport/stream.h"

namespace tofu {

// The engine's core: one I/O loop over every socket, run by the engine's I/O
// thread. Application threads reach it through Post (a queue plus a coalesced
// wake-up); it answers through each group's inbox. The loop's state is guarded
// by io_mu_, held by the I/O thread while it works (not while it waits for
// readiness), or by a posting thread that takes Post's inline path (see
// TryRunPostedInline).
//
// Each loop iteration waits for readiness, then handles every socket event,
// drains *all* posted messages in post order, resumes pool-starved channels
// whose messages came back, writes every channel that got new frames with one
// vectored write per channel, hands each inbox its deliveries at once, and
// returns the iteration's spare and written messages to the pool in one batch.
// After an iteration that had events, the I/O thread polls without blocking
// for Spin::io before it waits again.
//
// Threads: Post, CreateGroup, DestroyGroup and pool() are thread-safe. Shutdown
// (and the destructor) must not race with other calls on this object.
//
// A driven reactor (CreateDriven) has no thread of its own: its owner runs the
// loop with RunOnce, and DestroyGroup and Shutdown run it themselves until
// done. With a simulated poller and network this makes the engine
// deterministic, for tests and fuzzers; everything then happens on one thread.
class Reactor {
 public:
  // Busy-polling before sleeping, which trades CPU for wake-ups.
  struct Spin {
    // How long each group's WaitReceive spins before it sleeps (see
    // GroupInbox).
    absl::Duration receive = absl::ZeroDuration();
    // How long the I/O thread keeps polling without blocking after an
    // iteration that had events.
    absl::Duration io = absl::ZeroDuration();
  };

  // The engine's reactor: the platform's poller, the system's sockets, and
  // its own I/O thread.
  static absl::StatusOr<std::unique_ptr<Reactor>> Create(
      PoolOptions pool_options, Spin spin, Timeouts timeouts = {});
  static absl::StatusOr<std::unique_ptr<Reactor>> CreateDriven(
      PoolOptions pool_options, std::unique_ptr<Poller> poller,
      std::unique_ptr<Network> network);
  ~Reactor();

  // Driven reactors only: one loop iteration, waiting at most `timeout` for
  // readiness. False once the reactor has shut down (everything closed).
  // With `skip_if_idle`, an iteration without events does nothing more.
  bool RunOnce(absl::Duration timeout, bool skip_if_idle = false)
      ABSL_LOCKS_EXCLUDED(io_mu_);

  MessagePool& pool() { return pool_; }
  // The engine's statistics; any thread.
  const EngineCounters& counters() const { return counters_; }

  // Driven reactors only, before the first RunOnce (Create calls it too): the
  // deadlines on peers (off by default in a driven reactor) and the clock they
  // are measured by.
  void SetTimeoutsForTesting(Timeouts timeouts,
                             std::function<SteadyTime()> clock)
      ABSL_LOCKS_EXCLUDED(io_mu_);

  // A new group; shutdown_started after Shutdown.
  absl::StatusOr<std::shared_ptr<GroupInbox>> CreateGroup()
      ABSL_LOCKS_EXCLUDED(posts_.mu());
  // Closes the group's inbox at once (waking its waiter with
  // shutdown_started; posts to it fail from then on), then its channels
  // (abortively, without notifications). Blocks until the I/O thread has
  // closed them, also when another thread's DestroyGroup of the same group
  // is under way.
  void DestroyGroup(GroupInbox& group) ABSL_LOCKS_EXCLUDED(io_mu_, posts_.mu());

  // Validates (message/post_validation.h), assigns a channel to
  // Hello/WelcomeRequests on channel 0, and queues the message for the I/O
  // thread. On success the message is taken and the prepared header returned;
  // on error the caller keeps it, its status byte set.
  absl::StatusOr<BinaryHeader> Post(GroupInbox& group, MessagePtr& message)
      ABSL_LOCKS_EXCLUDED(io_mu_, posts_.mu());

  // Stops the I/O thread, closes every channel and every group's inbox.
  // Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(io_mu_, posts_.mu());

 private:
  using Posted = PostQueue::Posted;

  Reactor(NetworkSession session, PoolOptions pool_options,
          std::unique_ptr<Poller> poller, std::unique_ptr<Notifier> notifier,
          std::unique_ptr<Network> network);

  // The loop (reactor.cc).

  // The I/O thread's body: RunOnce until shutdown, spinning as Spin::io
  // says.
  void Loop(absl::Duration io_spin) ABSL_LOCKS_EXCLUDED(io_mu_);
  // Any thread.
  void Wake();
  void HandleEvent(const PollEvent& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // The rest of an iteration once events and posts are handled: resume
  // starved channels, write what is queued, hand over deliveries.
  void FinishIteration() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Releases io_mu_, then wakes the applications the loop's work delivered to
  // (DeliveryBatch::TakeWakes): woken after the release, an application that
  // answers at once finds the loop free and writes on its own thread. Every
  // thread that took io_mu_ for the loop's work releases it this way.
  void ReleaseLoop() ABSL_UNLOCK_FUNCTION(io_mu_);
  void ReturnToPool() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // Post intake (post_intake.cc).

  // Post's answer for a channel the engine has closed: the message comes back
  // through `group`'s inbox with status channel_closed.
  BinaryHeader ReturnPostToClosed(GroupInbox& group, MessagePtr& message);
  // Post's fast path: the post runs the loop's work on the posting thread, if
  // no thread is running it (the I/O thread is waiting for readiness or
  // polling), and writes at once. Two cases take it:
  // - request/response latency: right after the loop delivered received
  //   frames (an answer may follow), one post per delivering iteration saves
  //   the I/O thread's wake-up. A stream of small posts is left to the I/O
  //   thread, which batches it into few writes;
  // - `large_uds`, a frame of kInlineWriteMin bytes or more to a UDS channel:
  //   the kernel's write is then a copy of the body, which the posting
  //   thread's core has in its cache; from the I/O thread's core it costs a
  //   second trip across cores (TCP's write does the receiver's work too,
  //   which is better left to the I/O thread).
  // False when the post must wake the I/O thread instead.
  bool TryRunPostedInline(bool large_uds) ABSL_LOCKS_EXCLUDED(io_mu_);
  // Dispatches everything posted so far, in post order; false when the
  // reactor is stopping (then, if `unless_stopping`, nothing is dispatched).
  bool DispatchPosted(bool unless_stopping = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void Dispatch(Posted& posted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Returns (with `reason`) the posts to the opening `token` not dispatched
  // yet, in the batch being dispatched or posted since: they were made before
  // it closed.
  void ReturnPosted(ChannelToken token, GroupInbox* group, StatusCode reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_, posts_.mu());

  // Listeners (listener.cc).

  void StartListen(ChannelToken token, Channel& ch, MessagePtr welcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void AcceptAll(ChannelToken token, Channel& listener)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // After a failed accept: one accept_failed Signal per episode, and the
  // listener unwatched until a channel closes or a retry delay passes.
  void PauseListener(ChannelToken token, Channel& listener,
                     const absl::Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void ResumeListeners() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // A connection's incoming side (connection_read.cc). ReadFrom and Consume
  // return false when the channel was closed (and must not be touched again).

  bool ReadFrom(ChannelToken token, Channel& ch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // `from_pending`: `data` lies in ch.pending_input (a resumed channel), which
  // then keeps what is left without a copy.
  bool Consume(ChannelToken token, Channel& ch, const uint8_t* data,
               size_t size, bool from_pending = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Whether starved channels should try to resume now (see kResumeBatch).
  bool ResumeDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void ResumeStarved() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Resumes channels waiting in capped_ while partial-frame slots are free.
  void ResumeCapped() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // Decodes what a held-back channel kept, and reads on if it may; false when
  // the channel was closed.
  bool Resume(ChannelToken token, Channel& ch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // A channel waiting for a partial-frame slot reads on, its frame's bytes
  // only: a frame the peer has sent whole is then decoded at once into an
  // ordinary pool message, and only a frame really incomplete waits (under
  // the frame deadline). False when the channel was closed.
  bool ReadHeldFrame(ChannelToken token, Channel& ch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // What a read that brought no bytes means: nothing (would block), or the
  // peer's end (mid-frame unless the decoder is between frames) or a receive
  // error, reported to the lifecycle. False when the channel was closed.
  bool ReadEnded(ChannelToken token, Channel& ch, IoResult::Kind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // The frame being received no longer holds a partial-frame pool message.
  void ReleasePartial(Channel& ch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // A connection's outgoing side, and every channel's poller interest
  // (connection_write.cc).

  void StartConnect(ChannelToken token, Channel& ch, MessagePtr hello)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // False when the channel was closed (and must not be touched again).
  bool Send(ChannelToken token, Channel& ch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // For an out-of-band message about to go to the front of ch's queue: the
  // frames encoded but not started go back to the queue, so that it goes out
  // right behind the frame being written.
  void RequeueUnstarted(Channel& ch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void UpdateInterest(ChannelToken token, Channel& ch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // Closing (closing.cc): carrying out what a connection's lifecycle
  // (channel_state.h) decides, and the deadline sweep.

  // Reports `event` to the channel's lifecycle and carries out its decision;
  // false when the channel was closed (and must not be touched again).
  bool OnChannelEvent(ChannelToken token, Channel& ch,
                      ChannelState::Event event,
                      StatusCode cause = StatusCode::kSuccess)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_) ABSL_LOCKS_EXCLUDED(posts_.mu());
  // Closes the channels whose deadline passed at `now` (reactor/deadlines.h).
  void SweepDeadlines(SteadyTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_)
      ABSL_LOCKS_EXCLUDED(posts_.mu());
  // Closes the channel: with `report`, a Signal with status `reason` first;
  // unsent messages back with `reason`, then channel_closed (none of it
  // unless `notify`), socket closed (reset when `abort`), number released.
  // Takes the post lock.
  void CloseChannel(ChannelToken token, Channel& ch, StatusCode reason,
                    bool abort, bool notify = true, bool report = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_) ABSL_LOCKS_EXCLUDED(posts_.mu());
  // Closes, abortively and without notifications, every channel of `group`
  // (of every group when null).
  void CloseSilently(const GroupInbox* group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  // The engine's end: every channel closed, every group's inbox closed, every
  // group destroy still queued released.
  void CloseEverything() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // Pool messages taken at a time for decoding (see spare_).
  static constexpr size_t kSpareBatch = 128;
  // How long a listener that failed to accept (no descriptors) rests before it
  // tries again, unless a channel closes first.
  static constexpr absl::Duration kAcceptRetry = absl::Milliseconds(100);
  // A reader starved of pool messages resumes once this many are idle (at
  // most half the pool), or kResumeDelay after the first came back, whichever
  // is first: resuming on every returned message would cost a wake-up and a
  // re-starve per frame while the application catches up. The delay is the
  // pollers' timeout granularity on Linux; a Windows wait follows the system
  // timer tick (about 16 ms by default), so it is longer there.
  static constexpr size_t kResumeBatch = kSpareBatch;
  static constexpr absl::Duration kResumeDelay = absl::Milliseconds(1);

  // First in, last out: sockets need the socket library (Windows).
  NetworkSession session_;
  // Thread-safe.
  MessagePool pool_;
  // Thread-safe (relaxed atomics). Before deliveries_, which counts into it.
  EngineCounters counters_;
  // Connects and listens for the loop's work only.
  const std::unique_ptr<Network> network_ ABSL_PT_GUARDED_BY(io_mu_);
  // Open, Close, CheckOwner, IsOpen and Hint from any thread (Post opens and
  // checks channels); Find, SetHint and the Channel states themselves under
  // io_mu_ only.
  ChannelTable<Channel> channels_;
  // Wait from the loop thread without io_mu_; Register, Modify and Unregister
  // under io_mu_.
  std::unique_ptr<Poller> poller_;
  // Notify from any thread (Wake); Drain under io_mu_.
  std::unique_ptr<Notifier> notifier_;
  std::thread thread_;

  // Set before the thread starts, read-only after.
  bool driven_ = true;
  // Whether Post may run the loop's work inline (the poller allows control
  // calls from another thread while one waits).
  bool inline_posts_ = false;
  absl::Duration receive_spin_ = absl::ZeroDuration();
  // Starved readers resume once this many pool messages are idle, or at
  // resume_at_, set by the first iteration that finds some idle but fewer.
  // 1 for a driven reactor, which has no clock: it resumes on the first.
  size_t resume_batch_ = 1;

  // Any thread.
  std::atomic<bool> inline_credit_{false};
  // The I/O thread is about to take io_mu_ (see RunOnce).
  std::atomic<bool> io_thread_waiting_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<uint64_t> next_group_id_{1};
  // resume_at_ is set and not reached yet; read outside io_mu_ for the wait's
  // timeout and the spin.
  std::atomic<bool> resume_waiting_{false};
  // !paused_listeners_.empty(), for the wait's timeout outside io_mu_.
  std::atomic<bool> has_paused_listeners_{false};
  // !starved_.empty(), for GroupInbox's on_block.
  std::atomic<bool> has_starved_{false};
  // A group's application blocked on an empty inbox while channels were
  // starved: they are retried at once, and one complete frame for that group
  // may come from outside the pool (GroupInbox::TakeReserve).
  std::atomic<bool> reserve_due_{false};
  // Deadlines are on and a connection exists: the wait's timeout is capped at
  // the sweep interval.
  std::atomic<bool> sweeping_{false};

  // The loop thread only (the I/O thread, or a driven reactor's caller of
  // RunOnce), also outside io_mu_ while it waits for readiness.
  bool finished_ = false;  // the loop ended: everything is closed
  std::vector<PollEvent> events_;

  // The lock order: a thread that holds one of these locks takes only locks
  // further down the list.
  // 1. io_mu_, held by whichever thread runs the loop's work: the I/O thread
  //    after each wait, or a posting thread on the inline path
  //    (TryRunPostedInline). It guards the loop state below.
  // 2. The post lock, posts_.mu(): post intake's queue, stopping flag, groups
  //    and close count. Post and DestroyGroup take it alone, CloseChannel and
  //    ReturnPosted under io_mu_.
  // 3. The locks inside channels_ (ChannelTable), each GroupInbox and pool_
  //    (MessagePool): each is taken and released within one call of its
  //    class, under either lock above or none, and none of them calls back
  //    into the reactor with its lock held, except the pool's refill callback
  //    and a GroupInbox's on_block (also its reserve's refill callback), which
  //    only touch atomics and call Wake (atomics and the notifier).
  // The compiler checks the first two (ABSL_ACQUIRED_BEFORE, with
  // -Wthread-safety-beta); the third are private to their classes, which
  // never take another lock while holding theirs.
  absl::Mutex io_mu_ ABSL_ACQUIRED_BEFORE(posts_.mu());
  PostQueue posts_;

  // Loop state (io_mu_).
  std::vector<Posted> batch_ ABSL_GUARDED_BY(io_mu_);
  // The first entry of batch_ not dispatched yet.
  size_t batch_next_ ABSL_GUARDED_BY(io_mu_) = 0;
  // Packed tokens of channels with a socket.
  absl::flat_hash_set<uint64_t> live_ ABSL_GUARDED_BY(io_mu_);
  // Channels with new frames to send.
  std::vector<ChannelToken> dirty_ ABSL_GUARDED_BY(io_mu_);
  // Channels waiting for pool messages.
  std::vector<ChannelToken> starved_ ABSL_GUARDED_BY(io_mu_);
  // Incomplete frames hold at most partial_cap_ pool messages (half the
  // pool's initial messages, at least one), so that peers stalled in the
  // middle of frames cannot pin the pool; a frame that needs one beyond that
  // waits in capped_, first come first served, until one is freed.
  size_t partials_ ABSL_GUARDED_BY(io_mu_) = 0;
  size_t partial_cap_ = 1;  // set in the constructor
  std::deque<ChannelToken> capped_ ABSL_GUARDED_BY(io_mu_);
  // ResumeCapped is giving the front of capped_ its slot.
  bool serving_capped_ ABSL_GUARDED_BY(io_mu_) = false;
  // Deadlines on peers; swept every sweep_interval_ while connections exist.
  // Off in a driven reactor unless a test sets them.
  Timeouts timeouts_ ABSL_GUARDED_BY(io_mu_){
      absl::ZeroDuration(), absl::ZeroDuration(), absl::ZeroDuration()};
  std::function<SteadyTime()> clock_ ABSL_GUARDED_BY(io_mu_);
  SteadyTime next_sweep_ ABSL_GUARDED_BY(io_mu_){};
  // Written before the loop runs (SetTimeoutsForTesting), read by RunOnce
  // outside io_mu_ for the wait's timeout.
  absl::Duration sweep_interval_ = absl::InfiniteDuration();
  std::chrono::steady_clock::time_point resume_at_ ABSL_GUARDED_BY(io_mu_);
  std::vector<uint8_t> read_buffer_ ABSL_GUARDED_BY(io_mu_);
  // Pool messages taken a batch at a time for decoding, and messages written
  // out; both go back to the pool with one lock at the end of the iteration
  // (ReturnToPool), so the pool sees whole iterations.
  MessageQueue spare_ ABSL_GUARDED_BY(io_mu_);
  MessageQueue sent_ ABSL_GUARDED_BY(io_mu_);
  // What the iteration hands the groups; flushed at its end and before
  // anything that must follow it.
  DeliveryBatch deliveries_ ABSL_GUARDED_BY(io_mu_){&counters_};
  std::vector<ChannelToken> paused_listeners_ ABSL_GUARDED_BY(io_mu_);
  // A channel closed since they paused.
  bool resume_listeners_ ABSL_GUARDED_BY(io_mu_) = false;
  absl::Time accept_retry_at_ ABSL_GUARDED_BY(io_mu_);
  // In this iteration.
  bool delivered_frames_ ABSL_GUARDED_BY(io_mu_) = false;
};

}  // namespace tofu

#endif  // TOFU_REACTOR_REACTOR_H_
