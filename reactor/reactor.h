#ifndef TOFU_REACTOR_REACTOR_H_
#define TOFU_REACTOR_REACTOR_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
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
#include "reactor/engine_counters.h"
#include "reactor/group_inbox.h"
#include "reactor/notifier.h"
#include "reactor/poller.h"
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
      PoolOptions pool_options, Spin spin);
  static absl::StatusOr<std::unique_ptr<Reactor>> CreateDriven(
      PoolOptions pool_options, std::unique_ptr<Poller> poller,
      std::unique_ptr<Network> network);
  ~Reactor();

  // Driven reactors only: one loop iteration, waiting at most `timeout` for
  // readiness. False once the reactor has shut down (everything closed).
  // With `skip_if_idle`, an iteration without events does nothing more.
  bool RunOnce(absl::Duration timeout, bool skip_if_idle = false);

  MessagePool& pool() { return pool_; }
  const EngineCounters& counters() const { return counters_; }

  // A new group; shutdown_started after Shutdown.
  absl::StatusOr<std::shared_ptr<GroupInbox>> CreateGroup();
  // Closes the group's inbox at once (waking its waiter with
  // shutdown_started; posts to it fail from then on), then its channels
  // (abortively, without notifications). Blocks until the I/O thread has
  // closed them, also when another thread's DestroyGroup of the same group
  // is under way.
  void DestroyGroup(GroupInbox& group);

  // Validates (PROTOCOL.md section 4), assigns a channel to
  // Hello/WelcomeRequests on channel 0, and queues the message for the I/O
  // thread. On success the message is taken and the prepared header returned;
  // on error the caller keeps it, its status byte set.
  absl::StatusOr<BinaryHeader> Post(GroupInbox& group, MessagePtr& message);

  // Stops the I/O thread, closes every channel and every group's inbox.
  // Idempotent.
  void Shutdown();

 private:
  struct Posted {
    MessagePtr message;        // null for a group command
    GroupInbox* group;         // the posting group
    ChannelToken channel;      // the opening the message was checked against
    absl::Notification* done;  // group destroy: signalled when processed
  };

  Reactor(NetworkSession session, PoolOptions pool_options,
          std::unique_ptr<Poller> poller, std::unique_ptr<Notifier> notifier,
          std::unique_ptr<Network> network);

  // The I/O thread's body: RunOnce until shutdown, spinning as Spin::io
  // says.
  void Loop(absl::Duration io_spin);
  void Wake();
  // Post's answer for a channel the engine has closed: the message comes back
  // through `group`'s inbox with status channel_closed.
  BinaryHeader ReturnPostToClosed(GroupInbox& group, MessagePtr& message);
  // Returns (with `reason`) the posts to the opening `token` not dispatched
  // yet, in the batch being dispatched or posted since: they were made before
  // it closed.
  void ReturnPosted(ChannelToken token, GroupInbox* group, StatusCode reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The rest of an iteration once events and posts are handled: resume
  // starved channels, write what is queued, hand over deliveries.
  void FinishIteration() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
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
  bool TryRunPostedInline(bool large_uds);
  // Dispatches everything posted so far, in post order; false when the
  // reactor is stopping (then, if `unless_stopping`, nothing is dispatched).
  bool DispatchPosted(bool unless_stopping = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  // The loop's work: the I/O thread, or a posting thread on the inline path
  // (io_mu_ held either way).
  void HandleEvent(const PollEvent& event);
  void Dispatch(Posted& posted);
  void StartConnect(ChannelToken token, Channel& ch, MessagePtr hello);
  void StartListen(ChannelToken token, Channel& ch, MessagePtr welcome);
  void AcceptAll(ChannelToken token, Channel& listener);
  // After a failed accept: one accept_failed Signal per episode, and the
  // listener unwatched until a channel closes or a retry delay passes.
  void PauseListener(ChannelToken token, Channel& listener,
                     const absl::Status& why);
  void ResumeListeners();
  // Each returns false when the channel was closed (and must not be touched
  // again).
  bool ReadFrom(ChannelToken token, Channel& ch);
  // `from_pending`: `data` lies in ch.pending_input (a resumed channel), which
  // then keeps what is left without a copy.
  bool Consume(ChannelToken token, Channel& ch, const uint8_t* data,
               size_t size, bool from_pending = false);
  bool Send(ChannelToken token, Channel& ch);
  // For an out-of-band message about to go to the front of ch's queue: the
  // frames encoded but not started go back to the queue, so that it goes out
  // right behind the frame being written (PROTOCOL.md section 5).
  void RequeueUnstarted(Channel& ch);
  void UpdateInterest(ChannelToken token, Channel& ch);
  // Whether starved channels should try to resume now (see kResumeBatch).
  bool ResumeDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  void ResumeStarved();
  // Closes the channel: unsent messages back with `reason`, then channel_closed
  // (unless `notify` is false), socket closed (reset when `abort`), number
  // released.
  // Closes, abortively and without notifications, every channel of `group`
  // (of every group when null).
  void CloseSilently(const GroupInbox* group);
  void CloseChannel(ChannelToken token, Channel& ch, StatusCode reason,
                    bool abort, bool notify = true);
  // Queues `message` for `group`; FlushDeliveries hands each group its
  // messages with one lock (at the end of each iteration, and before anything
  // that must follow them).
  void Deliver(GroupInbox* group, MessagePtr message);
  void FlushDeliveries();
  void ReturnToPool();
  // Hands `message` back to `group` with `status` and origin engine.
  void ReturnToApp(GroupInbox* group, MessagePtr message, StatusCode status);
  MessagePtr NewSignal(StatusCode status, uint16_t channel,
                       uint64_t message_id);
  void CloseEverything();

  // First in, last out: sockets need the socket library (Windows).
  NetworkSession session_;
  MessagePool pool_;
  EngineCounters counters_;
  std::unique_ptr<Network> network_;
  ChannelTable<Channel> channels_;
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<Notifier> notifier_;
  std::thread thread_;
  bool driven_ = true;  // set before the thread starts
  // Whether Post may run the loop's work inline (the poller allows control
  // calls from another thread while one waits); set before the thread starts.
  bool inline_posts_ = false;
  std::atomic<bool> inline_credit_{false};
  // The I/O thread is about to take io_mu_ (see RunOnce).
  std::atomic<bool> io_thread_waiting_{false};
  // Held by whichever thread runs the loop's work (the I/O thread after each
  // wait, or a posting thread inline): everything below "Loop state" is
  // touched only under it.
  absl::Mutex io_mu_;
  std::atomic<bool> wake_pending_{false};
  std::atomic<uint64_t> next_group_id_{1};
  absl::Duration receive_spin_ = absl::ZeroDuration();  // set before use

  absl::Mutex mu_;
  std::vector<Posted> posted_ ABSL_GUARDED_BY(mu_);
  // Channels closed by CloseChannel, counted under mu_ once the number is
  // released. A Post that reads the same count before its owner check and
  // under mu_ knows that no channel closed in between, so its check still
  // holds; otherwise it checks its channel again under mu_.
  std::atomic<uint64_t> closes_{0};
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, std::shared_ptr<GroupInbox>> groups_
      ABSL_GUARDED_BY(mu_);

  // The loop thread only.
  bool finished_ = false;  // the loop ended: everything is closed
  std::vector<PollEvent> events_;
  // Loop state (io_mu_).
  std::vector<Posted> batch_;
  size_t batch_next_ = 0;  // the first entry of batch_ not dispatched yet
  absl::flat_hash_set<uint64_t>
      live_;                         // packed tokens of channels with a socket
  std::vector<ChannelToken> dirty_;  // channels with new frames to send
  std::vector<ChannelToken> starved_;  // channels waiting for pool messages
  // Starved readers resume once this many pool messages are idle, or at
  // resume_at_, set by the first iteration that finds some idle but fewer.
  // 1 for a driven reactor, which has no clock: it resumes on the first.
  size_t resume_batch_ = 1;  // set before the thread starts
  std::chrono::steady_clock::time_point resume_at_;
  // resume_at_ is set and not reached yet; read outside io_mu_ for the wait's
  // timeout and the spin.
  std::atomic<bool> resume_waiting_{false};
  std::vector<uint8_t> read_buffer_;
  // Pool messages taken a batch at a time for decoding, and messages written
  // out; both go back to the pool with one lock at the end of the iteration
  // (ReturnToPool), so the pool sees whole iterations.
  MessageQueue spare_;
  MessageQueue sent_;
  struct PendingDelivery {
    GroupInbox* group;
    MessageQueue messages;
  };
  std::vector<PendingDelivery> deliveries_;
  std::vector<ChannelToken> paused_listeners_;
  bool resume_listeners_ = false;  // a channel closed since they paused
  absl::Time accept_retry_at_;
  // !paused_listeners_.empty(), for the wait's timeout outside io_mu_.
  std::atomic<bool> has_paused_listeners_{false};
  bool delivered_frames_ = false;  // in this iteration
};

}  // namespace tofu

#endif  // TOFU_REACTOR_REACTOR_H_
