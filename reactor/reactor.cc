// The reactor's loop (see reactor.h), which ties the concerns together:
// creating the engine, the I/O thread's body (Loop), one iteration (RunOnce)
// with each socket event handed to its concern, the iteration's end
// (FinishIteration, ReturnToPool), and Shutdown. Loop and RunOnce run on the
// loop thread (the I/O thread, or a driven reactor's owner), the iteration's
// work under io_mu_; FinishIteration also on a posting thread that took the
// inline path. Shutdown and the destructor: one thread, not racing other
// calls.

#include "reactor/reactor.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "message/status.h"

namespace tofu {
namespace {

// Poll token of the notifier; channel tokens always have a number >= 1.
constexpr uint64_t kNotifierToken = 0;
constexpr size_t kReadBufferSize = 256 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::Create(
    PoolOptions pool_options, Spin spin, Timeouts timeouts) {
  absl::StatusOr<std::unique_ptr<Poller>> poller = CreatePoller();
  if (!poller.ok()) return poller.status();
  absl::StatusOr<std::unique_ptr<Reactor>> reactor =
      CreateDriven(pool_options, std::move(*poller), SystemNetwork());
  if (!reactor.ok()) return reactor;
  Reactor* r = reactor->get();
  r->driven_ = false;
  r->resume_batch_ = std::clamp<size_t>(r->pool_.max() / 2, 1, kResumeBatch);
  r->pool_.SetRefillCallback([r] { r->Wake(); }, r->resume_batch_);
  r->receive_spin_ = spin.receive;
  r->inline_posts_ = r->poller_->SupportsConcurrentControl();
  r->SetTimeoutsForTesting(timeouts,
                           [] { return std::chrono::steady_clock::now(); });
  r->thread_ = std::thread([r, io_spin = spin.io] { r->Loop(io_spin); });
  return reactor;
}

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::CreateDriven(
    PoolOptions pool_options, std::unique_ptr<Poller> poller,
    std::unique_ptr<Network> network) {
  absl::StatusOr<NetworkSession> session = NetworkSession::Start();
  if (!session.ok()) return session.status();
  absl::StatusOr<std::unique_ptr<Notifier>> notifier =
      poller->CreateNotifier(kNotifierToken);
  if (!notifier.ok()) return notifier.status();
  return std::unique_ptr<Reactor>(
      new Reactor(std::move(*session), pool_options, std::move(poller),
                  std::move(*notifier), std::move(network)));
}

Reactor::Reactor(NetworkSession session, PoolOptions pool_options,
                 std::unique_ptr<Poller> poller,
                 std::unique_ptr<Notifier> notifier,
                 std::unique_ptr<Network> network)
    : session_(std::move(session)),
      pool_(pool_options),
      network_(std::move(network)),
      poller_(std::move(poller)),
      notifier_(std::move(notifier)) {
  read_buffer_.resize(kReadBufferSize);
  partial_cap_ = std::max<size_t>(1, pool_.initial() / 2);
  pool_.SetRefillCallback([this] { Wake(); });
}

void Reactor::SetTimeoutsForTesting(Timeouts timeouts,
                                    std::function<SteadyTime()> clock) {
  absl::MutexLock io(&io_mu_);
  timeouts_ = timeouts;
  clock_ = std::move(clock);
  sweep_interval_ = timeouts_.SweepInterval();
}

Reactor::~Reactor() { Shutdown(); }

void Reactor::Wake() {
  // The plain load spares a busy stream of posts a read-modify-write of a
  // line the I/O thread also writes. A stale true is harmless: every waker
  // publishes its work under a lock (the post lock, or the pool's for refills)
  // that the loop takes after it clears the flag, so the loop sees the work.
  if (wake_pending_.load(std::memory_order_seq_cst)) return;
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel))
    notifier_->Notify();
}

void Reactor::Shutdown() {
  if (posts_.Stop()) Wake();
  // Also when the loop stopped on its own (its poller's wait failed): the
  // thread has ended but must still be joined.
  if (thread_.joinable()) thread_.join();
  if (driven_) {
    while (RunOnce(absl::ZeroDuration())) {
    }
  }
  pool_.SetRefillCallback(nullptr);
}

void Reactor::Loop(absl::Duration io_spin) {
  // After an iteration that had events, poll without blocking (yielding the
  // CPU in between) until `io_spin` passes with none: work that arrives
  // meanwhile costs no wake-up of this thread.
  // Without a spin the clock is never read.
  const bool spins = io_spin > absl::ZeroDuration();
  absl::Time last_event = absl::InfinitePast();
  while (true) {
    const bool spin = spins && absl::Now() - last_event < io_spin;
    if (!RunOnce(spin ? absl::ZeroDuration() : absl::InfiniteDuration(),
                 /*skip_if_idle=*/spin)) {
      return;
    }
    if (spins && !events_.empty()) {
      last_event = absl::Now();
    } else if (spin) {
      std::this_thread::yield();
    }
  }
}

bool Reactor::RunOnce(absl::Duration timeout, bool skip_if_idle) {
  if (finished_) return false;
  if (has_paused_listeners_.load(std::memory_order_relaxed)) {
    timeout = std::min(timeout, kAcceptRetry);  // to retry paused listeners
  }
  if (resume_waiting_.load(std::memory_order_relaxed)) {
    timeout = std::min(timeout, kResumeDelay);  // to resume starved readers
  }
  if (sweeping_.load(std::memory_order_relaxed)) {
    timeout = std::min(timeout, sweep_interval_);  // to check deadlines
  }
  // A failed wait ends the loop, as a shutdown does.
  bool stop = !poller_->Wait(timeout, events_).ok();
  if (stop) events_.clear();
  // Every post either ran inline or woke the notifier, so with no event
  // there is nothing to do; io_mu_ stays free for Post's inline path.
  // A starved reader waiting for its resume deadline, or a paused listener
  // for its retry, needs the iteration's work even without events.
  if (skip_if_idle && !stop && events_.empty() &&
      !resume_waiting_.load(std::memory_order_relaxed) &&
      !has_paused_listeners_.load(std::memory_order_relaxed)) {
    return true;
  }
  // Posting threads leave the loop's work to us while we wait for it (see
  // TryRunPostedInline): TryLock would otherwise keep winning against us.
  io_thread_waiting_.store(true, std::memory_order_relaxed);
  io_mu_.Lock();
  io_thread_waiting_.store(false, std::memory_order_relaxed);
  for (const PollEvent& event : events_) {
    if (event.token == kNotifierToken) {
      notifier_->Drain();
      // Cleared before the queue is drained below, so a post after the drain
      // wakes us.
      wake_pending_.store(false, std::memory_order_seq_cst);
    } else {
      HandleEvent(event);
    }
  }
  stop = !DispatchPosted() || stop;
  if (stop) {
    // After a failed wait too: later calls must see the engine stopped.
    posts_.Stop();
    deliveries_.Flush();
    CloseEverything();
    ReturnToPool();
    finished_ = true;
    ReleaseLoop();
    return false;
  }
  FinishIteration();
  ReleaseLoop();
  return true;
}

void Reactor::ReleaseLoop() {
  DeliveryBatch::Wakes wakes;
  deliveries_.TakeWakes(wakes);
  io_mu_.Unlock();
  for (const std::shared_ptr<GroupInbox>& group : wakes) group->WakeWaiter();
}

void Reactor::FinishIteration() {
  const bool reserve = reserve_due_.exchange(false, std::memory_order_seq_cst);
  if (!starved_.empty() && (reserve || ResumeDue())) ResumeStarved();
  if (!capped_.empty() && partials_ < partial_cap_) ResumeCapped();
  if (sweeping_.load(std::memory_order_relaxed)) {
    const SteadyTime now = clock_();
    if (now >= next_sweep_) {
      SweepDeadlines(now);
      next_sweep_ = now + absl::ToChronoNanoseconds(sweep_interval_);
    }
  }
  if (!paused_listeners_.empty() &&
      (resume_listeners_ || (!driven_ && absl::Now() >= accept_retry_at_))) {
    resume_listeners_ = false;
    ResumeListeners();
  }
  std::vector<ChannelToken> dirty;
  dirty.swap(dirty_);
  for (const ChannelToken& token : dirty) {
    if (Channel* ch = channels_.Find(token)) Send(token, *ch);
  }
  if (delivered_frames_) {
    // Someone may be about to answer what arrived: let one post go out
    // inline (see TryRunPostedInline). Before the delivery wakes them.
    delivered_frames_ = false;
    inline_credit_.store(true, std::memory_order_release);
  }
  deliveries_.Flush();
  ReturnToPool();
}

void Reactor::ReturnToPool() {
  pool_.Recycle(sent_);
  pool_.Recycle(spare_);
}

void Reactor::HandleEvent(const PollEvent& event) {
  const ChannelToken token = ChannelToken::Unpack(event.token);
  Channel* ch = channels_.Find(token);
  if (ch == nullptr) return;  // closed since: a stale event
  if (ch->kind == Channel::Kind::kListener) {
    AcceptAll(token, *ch);
    return;
  }
  if (ch->state.phase() == ChannelState::Phase::kConnecting) {
    if (!event.writable && !event.error) return;
    absl::Status connected = ch->stream->FinishConnect();
    if (!connected.ok()) {
      OnChannelEvent(token, *ch, ChannelState::Event::kConnectFailed,
                     StatusCodeOf(connected));
      return;
    }
    OnChannelEvent(token, *ch, ChannelState::Event::kConnected);
    Send(token, *ch);
    return;
  }
  if (event.readable || event.error) {
    if (!ReadFrom(token, *ch)) return;
  }
  if (event.writable) Send(token, *ch);
}

}  // namespace tofu
