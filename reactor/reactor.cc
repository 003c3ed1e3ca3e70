#include "reactor/reactor.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "message/post_validation.h"
#include "message/status.h"
#include "message/text_headers.h"
#include "transport/address.h"

namespace tofu {
namespace {

// Poll token of the notifier; channel tokens always have a number >= 1.
constexpr uint64_t kNotifierToken = 0;
constexpr size_t kReadBufferSize = 256 * 1024;
// Slices per vectored write (IOV_MAX on Linux is 1024).
constexpr size_t kMaxSlices = 1024;
// Bytes queued for one vectored write at most.
constexpr size_t kMaxBatchBytes = 1024 * 1024;
// Reads per readiness event at most, so one busy channel cannot starve the
// rest.
constexpr int kReadsPerEvent = 4;
// A body with at least this much still to come is read straight into its
// message rather than through the read buffer.
constexpr size_t kDirectReadMin = 16 * 1024;
// The read buffer's share of a read while large bodies flow: a header and the
// start of its body.
constexpr size_t kHeaderReadSize = 4 * 1024;
// Pool messages taken at a time for decoding (see Reactor::spare_).
constexpr size_t kSpareBatch = 128;
// A post of a frame at least this large (text headers and body) to a UDS
// channel is written on the posting thread when no thread runs the loop (see
// TryRunPostedInline). A channel's hint in channels_ says it is UDS (a
// listener's: what it accepts).
constexpr size_t kInlineWriteMin = 16 * 1024;
// Connections accepted per readiness event, so one busy listener cannot starve
// the rest.
constexpr int kMaxAcceptsPerEvent = 256;
// How long a listener that failed to accept (no descriptors) rests before it
// tries again, unless a channel closes first.
constexpr absl::Duration kAcceptRetry = absl::Milliseconds(100);
// A reader starved of pool messages resumes once this many are idle (at most
// half the pool), or kResumeDelay after the first came back, whichever is
// first: resuming on every returned message would cost a wake-up and a
// re-starve per frame while the application catches up. The delay is the
// pollers' timeout granularity on Linux; a Windows wait follows the system
// timer tick (about 16 ms by default), so it is longer there.
constexpr size_t kResumeBatch = kSpareBatch;
constexpr absl::Duration kResumeDelay = absl::Milliseconds(1);

bool IsByeFrame(const Message& m) {
  return TypeOf(m.header().op_code) == MessageType::kBye;
}

// Replaces the value of the first `~listen_on` header (the address the listener
// really bound), keeping every other byte of the block as it was. A block the
// new value would make too long keeps the old one.
void RewriteListenOn(Message& message, absl::string_view value) {
  const absl::string_view block = message.text_headers().view();
  TextHeaderReader reader(block);
  std::optional<TextHeader> h;
  while ((h = reader.Next()) && h->name != kListenOnHeader) {
  }
  if (!h.has_value()) return;
  // The old value's bytes; a header without ':' has none, after its name.
  const bool has_colon = h->value.data() != nullptr;
  const size_t begin = has_colon
                           ? h->value.data() - block.data()
                           : h->name.data() + h->name.size() - block.data();
  const size_t end = begin + h->value.size();
  const absl::string_view colon = has_colon ? "" : ":";
  if (block.size() - (end - begin) + colon.size() + value.size() >
      kMaxTextHeadersLength) {
    return;
  }
  Buffer rewritten;
  rewritten.Append({block.substr(0, begin), colon, value, block.substr(end)});
  message.text_headers().Assign(rewritten.view());
  message.header().text_headers_length =
      static_cast<uint16_t>(message.text_headers().size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::Create(
    PoolOptions pool_options, Spin spin) {
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
  pool_.SetRefillCallback([this] { Wake(); });
}

Reactor::~Reactor() { Shutdown(); }

void Reactor::Wake() {
  // The plain load spares a busy stream of posts a read-modify-write of a
  // line the I/O thread also writes. A stale true is harmless: every waker
  // publishes its work under a lock (mu_, or the pool's for refills) that
  // the loop takes after it clears the flag, so the loop sees the work.
  if (wake_pending_.load(std::memory_order_acquire)) return;
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel))
    notifier_->Notify();
}

absl::StatusOr<std::shared_ptr<GroupInbox>> Reactor::CreateGroup() {
  auto group =
      std::make_shared<GroupInbox>(next_group_id_.fetch_add(1), receive_spin_);
  absl::MutexLock lock(&mu_);
  if (stopping_) return ToAbslStatus(StatusCode::kShutdownStarted);
  groups_[group->id()] = group;
  return group;
}

void Reactor::DestroyGroup(GroupInbox& group) {
  absl::Notification done;
  {
    absl::MutexLock lock(&mu_);
    // Closed under the post lock: a Post that takes the lock after this sees
    // the group closed, so nothing naming the group is queued behind its
    // destroy command (the I/O thread would reach it after the group is
    // gone). Deliveries meanwhile are released, as the destroy would.
    group.Close();
    if (stopping_ || !groups_.contains(group.id())) return;
    posted_.push_back(Posted{nullptr, &group, ChannelToken(), &done});
  }
  Wake();
  if (driven_) {
    // No I/O thread: run the loop here until the command is done.
    while (!done.HasBeenNotified() && RunOnce(absl::ZeroDuration())) {
    }
  }
  done.WaitForNotification();
}

absl::StatusOr<BinaryHeader> Reactor::Post(GroupInbox& group,
                                           MessagePtr& message) {
  if (message == nullptr) return ToAbslStatus(StatusCode::kNullMessage);
  if (group.closed()) {
    message->header().status = StatusCode::kShutdownStarted;
    return ToAbslStatus(StatusCode::kShutdownStarted);
  }
  const StatusCode code = PrepareForPost(*message);
  if (code != StatusCode::kSuccess) return ToAbslStatus(code);
  BinaryHeader& header = message->header();
  // Before the owner check (see closes_).
  const uint64_t closes_seen = closes_.load(std::memory_order_acquire);
  std::optional<ChannelToken> opened;
  ChannelToken checked;
  if (header.channel_number == kUnassignedChannel) {
    absl::StatusOr<ChannelToken> token =
        channels_.Open(group.id(), &group, header.message_id);
    if (!token.ok()) {
      header.status = StatusCode::kAllocationFailed;
      return ToAbslStatus(StatusCode::kAllocationFailed,
                          token.status().message());
    }
    opened = checked = *token;
    header.channel_number = token->number;
    counters_.ChannelOpened();
  } else {
    absl::StatusOr<ChannelToken> token =
        channels_.CheckOwner(header.channel_number, group.id());
    if (!token.ok()) {
      const StatusCode why = StatusCodeOf(token.status());
      if (why == StatusCode::kChannelClosed) {
        return ReturnPostToClosed(group, message);
      }
      header.status = why;
      return token.status();
    }
    checked = *token;
  }
  const BinaryHeader prepared = header;
  const bool large_uds =
      inline_posts_ &&
      message->body().size() + message->text_headers().size() >=
          kInlineWriteMin &&
      channels_.Hint(checked);
  {
    absl::MutexLock lock(&mu_);
    // The group again, now under the lock DestroyGroup closes it under.
    if (stopping_ || group.closed()) {
      if (opened.has_value()) {
        channels_.Close(*opened);
        counters_.ChannelClosed();
      }
      header.status = StatusCode::kShutdownStarted;
      return ToAbslStatus(StatusCode::kShutdownStarted);
    }
    // The channel again if one closed since the check, under the lock its
    // close takes (CloseChannel): open now, the message is queued before the
    // close looks for unsent posts; closed, its channel_closed is in the inbox
    // already.
    if (closes_.load(std::memory_order_relaxed) != closes_seen &&
        !channels_.IsOpen(checked)) {
      return ReturnPostToClosed(group, message);
    }
    posted_.push_back(Posted{std::move(message), &group, checked, nullptr});
  }
  if (!TryRunPostedInline(large_uds)) Wake();
  return prepared;
}

BinaryHeader Reactor::ReturnPostToClosed(GroupInbox& group,
                                         MessagePtr& message) {
  // Closed by the engine already: the message comes back through the inbox,
  // after the channel's channel_closed, as it would had it reached the I/O
  // thread a moment later.
  BinaryHeader& header = message->header();
  const BinaryHeader prepared = header;
  header.status = StatusCode::kChannelClosed;
  header.origin = Origin::kEngine;
  message->set_arrival(Arrival::kReturned);
  counters_.MessageReturned();
  group.Push(std::move(message));
  return prepared;
}

void Reactor::Shutdown() {
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = !stopping_;
    stopping_ = true;
  }
  if (first) Wake();
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
  absl::MutexLock io(&io_mu_);
  io_thread_waiting_.store(false, std::memory_order_relaxed);
  for (const PollEvent& event : events_) {
    if (event.token == kNotifierToken) {
      notifier_->Drain();
      // Cleared before the queue is drained below, so a post after the drain
      // wakes us.
      wake_pending_.store(false, std::memory_order_release);
    } else {
      HandleEvent(event);
    }
  }
  stop = !DispatchPosted() || stop;
  if (stop) {
    {
      // After a failed wait too: later calls must see the engine stopped.
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    FlushDeliveries();
    CloseEverything();
    ReturnToPool();
    finished_ = true;
    return false;
  }
  FinishIteration();
  return true;
}

void Reactor::FinishIteration() {
  if (!starved_.empty() && ResumeDue()) ResumeStarved();
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
  FlushDeliveries();
  if (delivered_frames_) {
    // Someone may be about to answer what arrived: let one post go out
    // inline (see TryRunPostedInline).
    delivered_frames_ = false;
    inline_credit_.store(true, std::memory_order_release);
  }
  ReturnToPool();
}

void Reactor::ReturnToPool() {
  pool_.Recycle(sent_);
  pool_.Recycle(spare_);
}

bool Reactor::TryRunPostedInline(bool large_uds) {
  if (!inline_posts_) return false;
  if (!large_uds &&
      (!inline_credit_.load(std::memory_order_relaxed) ||
       !inline_credit_.exchange(false, std::memory_order_acq_rel))) {
    return false;
  }
  if (io_thread_waiting_.load(std::memory_order_relaxed) || !io_mu_.TryLock()) {
    return false;
  }
  // Once stopping, the I/O thread's last iteration closes everything.
  const bool taken = DispatchPosted(/*unless_stopping=*/true);
  if (taken) FinishIteration();
  io_mu_.Unlock();
  return taken;
}

bool Reactor::DispatchPosted(bool unless_stopping) {
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (stopping && unless_stopping) return false;
    batch_.swap(posted_);
  }
  // By index: a dispatch that closes a channel takes that channel's later
  // entries out of the batch (ReturnPosted), leaving them without a group.
  for (batch_next_ = 0; batch_next_ < batch_.size();) {
    Posted& p = batch_[batch_next_++];
    if (p.group != nullptr) Dispatch(p);
  }
  batch_.clear();
  batch_next_ = 0;
  return !stopping;
}

void Reactor::CloseSilently(const GroupInbox* group) {
  for (uint64_t packed : std::vector<uint64_t>(live_.begin(), live_.end())) {
    const ChannelToken token = ChannelToken::Unpack(packed);
    Channel* ch = channels_.Find(token);
    if (ch != nullptr && (group == nullptr || ch->group == group)) {
      CloseChannel(token, *ch, StatusCode::kShutdownStarted, /*abort=*/true,
                   /*notify=*/false);
    }
  }
}

void Reactor::CloseEverything() {
  CloseSilently(nullptr);
  std::vector<Posted> leftover;
  absl::flat_hash_map<uint64_t, std::shared_ptr<GroupInbox>> groups;
  {
    absl::MutexLock lock(&mu_);
    leftover.swap(posted_);
    groups.swap(groups_);
  }
  for (Posted& p : leftover) {
    if (p.done != nullptr) p.done->Notify();  // its inbox is closed already
  }
  for (auto& [id, group] : groups) group->Close();
}

void Reactor::HandleEvent(const PollEvent& event) {
  const ChannelToken token = ChannelToken::Unpack(event.token);
  Channel* ch = channels_.Find(token);
  if (ch == nullptr) return;  // closed since: a stale event
  if (ch->kind == Channel::Kind::kListener) {
    AcceptAll(token, *ch);
    return;
  }
  if (ch->connecting) {
    if (!event.writable && !event.error) return;
    absl::Status connected = ch->stream->FinishConnect();
    if (!connected.ok()) {
      CloseChannel(token, *ch, StatusCodeOf(connected), /*abort=*/true);
      return;
    }
    ch->connecting = false;
    Send(token, *ch);
    return;
  }
  if (event.readable || event.error) {
    if (!ReadFrom(token, *ch)) return;
  }
  if (event.writable) Send(token, *ch);
}

void Reactor::Dispatch(Posted& posted) {
  GroupInbox* group = posted.group;
  if (posted.done != nullptr) {
    // Group destroy: close its channels without notifications (its inbox is
    // closed already; deliveries to it are released).
    FlushDeliveries();
    CloseSilently(group);
    {
      absl::MutexLock lock(&mu_);
      groups_.erase(group->id());
    }
    posted.done->Notify();
    return;
  }
  MessagePtr message = std::move(posted.message);
  const BinaryHeader& header = message->header();
  // The opening checked at post time: if it closed since, even a reopened
  // number does not take the message.
  const ChannelToken token = posted.channel;
  Channel* ch = channels_.Find(token);
  if (ch == nullptr || ch->group != group) {
    ReturnToApp(group, std::move(message), StatusCode::kChannelClosed);
    return;
  }
  const OpCode op = header.op_code;
  if (op == OpCode::kHelloRequest || op == OpCode::kWelcomeRequest) {
    if (ch->kind != Channel::Kind::kPending) {
      ReturnToApp(group, std::move(message), StatusCode::kNotAllowed);
    } else if (op == OpCode::kHelloRequest) {
      StartConnect(token, *ch, std::move(message));
    } else {
      StartListen(token, *ch, std::move(message));
    }
    return;
  }
  if (op == OpCode::kByeSignal && header.oob) {
    // Local abortive close: the ByeSignal comes back first, then the unsent
    // messages, then channel_closed.
    ReturnToApp(group, std::move(message), StatusCode::kChannelClosed);
    CloseChannel(token, *ch, StatusCode::kChannelClosed, /*abort=*/true);
    return;
  }
  if (op == OpCode::kWelcomeResponse || ch->kind != Channel::Kind::kIo) {
    // WelcomeResponse is the engine's; listeners carry no frames.
    ReturnToApp(group, std::move(message), StatusCode::kNotAllowed);
    return;
  }
  const bool was_idle = ch->send_queue.empty() && ch->encoder.empty();
  if (header.oob) {
    RequeueUnstarted(*ch);
    ch->send_queue.PushFront(std::move(message));
  } else {
    ch->send_queue.PushBack(std::move(message));
  }
  if (was_idle && !ch->connecting) dirty_.push_back(token);
}

void Reactor::StartConnect(ChannelToken token, Channel& ch, MessagePtr hello) {
  // The HelloRequest goes straight to the encoder, so nothing posted later,
  // oob messages included, can be written before it.
  ch.encoder.Add(*hello);
  ch.in_flight.PushBack(std::move(hello));
  absl::StatusOr<Address> address = ParseMessageAddress(*ch.in_flight.front());
  if (address.ok() && address->role != Address::Role::kClient) {
    address = ToAbslStatus(StatusCode::kInvalidAddress,
                           "HelloRequest needs ~connect_to");
  }
  bool connected = false;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      address.ok() ? network_->Connect(*address, &connected) : address.status();
  if (!stream.ok()) {
    CloseChannel(token, ch, StatusCodeOf(stream.status()), /*abort=*/true);
    return;
  }
  ch.kind = Channel::Kind::kIo;
  ch.stream = std::move(*stream);
  ch.connecting = !connected;
  channels_.SetHint(token, address->transport == Address::Transport::kUds);
  live_.insert(token.Pack());
  UpdateInterest(token, ch);
  if (connected) dirty_.push_back(token);
}

void Reactor::StartListen(ChannelToken token, Channel& ch, MessagePtr welcome) {
  GroupInbox* group = ch.group;
  absl::StatusOr<Address> address = ParseMessageAddress(*welcome);
  if (address.ok() && address->role != Address::Role::kServer) {
    address = ToAbslStatus(StatusCode::kInvalidAddress,
                           "WelcomeRequest needs ~listen_on");
  }
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      address.ok() ? network_->Listen(*address) : address.status();
  absl::StatusOr<Address> bound =
      stream.ok() ? (*stream)->LocalAddress() : stream.status();
  welcome->header().op_code = OpCode::kWelcomeResponse;
  if (!bound.ok()) {
    ReturnToApp(group, std::move(welcome), StatusCodeOf(bound.status()));
    CloseChannel(token, ch, StatusCode::kChannelClosed, /*abort=*/true);
    return;
  }
  ch.kind = Channel::Kind::kListener;
  ch.stream = std::move(*stream);
  channels_.SetHint(token, bound->transport == Address::Transport::kUds);
  live_.insert(token.Pack());
  UpdateInterest(token, ch);
  RewriteListenOn(*welcome, bound->Value());
  ReturnToApp(group, std::move(welcome), StatusCode::kSuccess);
}

void Reactor::AcceptAll(ChannelToken token, Channel& listener) {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    absl::StatusOr<std::unique_ptr<Stream>> accepted =
        listener.stream->Accept();
    if (!accepted.ok()) {
      PauseListener(token, listener, accepted.status());
      return;
    }
    if (*accepted == nullptr) return;
    listener.accept_failure_reported = false;  // the episode is over
    absl::StatusOr<ChannelToken> opened =
        channels_.Open(listener.group->id(), listener.group, /*opening_id=*/0);
    if (!opened.ok()) {
      (*accepted)->Abort();  // no channel number left: refuse it
      counters_.ConnectionRefused();
      continue;
    }
    counters_.ChannelOpened();
    counters_.ConnectionAccepted();
    Channel* ch = channels_.Find(*opened);
    ch->opening_id_known = false;  // the first frame's id, when it comes
    ch->kind = Channel::Kind::kIo;
    ch->stream = std::move(*accepted);
    channels_.SetHint(*opened, channels_.Hint(token));  // the listener's
    live_.insert(opened->Pack());
    UpdateInterest(*opened, *ch);
  }
}

void Reactor::PauseListener(ChannelToken token, Channel& listener,
                            const absl::Status& why) {
  // Out of descriptors or memory: the listener stays readable, so accepting
  // again at once would spin. Stop watching it until a channel closes or
  // kAcceptRetry passes, and tell the application once per episode.
  if (!listener.accept_failure_reported) {
    listener.accept_failure_reported = true;
    MessagePtr signal = NewSignal(StatusCodeOf(why) == StatusCode::kSuccess
                                      ? StatusCode::kAcceptFailed
                                      : StatusCodeOf(why),
                                  token.number, listener.opening_id);
    Deliver(listener.group, std::move(signal));
  }
  listener.accept_paused = true;
  paused_listeners_.push_back(token);
  has_paused_listeners_.store(true, std::memory_order_relaxed);
  accept_retry_at_ = absl::Now() + kAcceptRetry;
  UpdateInterest(token, listener);
}

void Reactor::ResumeListeners() {
  std::vector<ChannelToken> paused;
  paused.swap(paused_listeners_);
  has_paused_listeners_.store(false, std::memory_order_relaxed);
  for (const ChannelToken& token : paused) {
    Channel* ch = channels_.Find(token);
    if (ch == nullptr || !ch->accept_paused) continue;
    ch->accept_paused = false;
    UpdateInterest(token, *ch);
  }
}

bool Reactor::ReadFrom(ChannelToken token, Channel& ch) {
  IoResult r;
  for (int i = 0; i < kReadsPerEvent; ++i) {
    if (ch.starved) return true;
    // A large body still to come is read straight into its message, and what
    // follows it into read_buffer_, in the same call; read_buffer_'s share
    // stays short while large bodies flow (see Channel::large_bodies), so the
    // next body is mostly read directly too.
    absl::Span<uint8_t> body = ch.decoder.BodyRemainder();
    if (body.size() < kDirectReadMin) body = {};
    const absl::Span<uint8_t> buffer(
        read_buffer_.data(),
        ch.large_bodies ? kHeaderReadSize : read_buffer_.size());
    r = ch.stream->ReadSome(body.empty() ? buffer : body,
                            body.empty() ? absl::Span<uint8_t>() : buffer);
    if (r.kind != IoResult::Kind::kDone) break;
    counters_.BytesIn(r.bytes);
    const size_t direct = std::min(r.bytes, body.size());
    if (direct > 0) ch.decoder.CommitBody(direct);
    if (!Consume(token, ch, buffer.data(), r.bytes - direct)) return false;
    // A short read emptied the socket; a full one may have left more.
    if (r.bytes < body.size() + buffer.size()) return true;
  }
  switch (r.kind) {
    case IoResult::Kind::kDone:
    case IoResult::Kind::kWouldBlock:
      return true;
    case IoResult::Kind::kClosed:
      CloseChannel(token, ch,
                   ch.decoder.at_frame_boundary()
                       ? StatusCode::kPeerDisconnected
                       : StatusCode::kRecvFailed,
                   /*abort=*/false);
      return false;
    case IoResult::Kind::kError:
      CloseChannel(token, ch, StatusCode::kRecvFailed, /*abort=*/true);
      return false;
  }
  return true;
}

bool Reactor::Consume(ChannelToken token, Channel& ch, const uint8_t* data,
                      size_t size, bool from_pending) {
  size_t pos = 0;
  while (true) {
    switch (ch.decoder.state()) {
      case FrameDecoder::State::kNeedMessage: {
        if (spare_.empty()) {
          // No more than the frames that can start in what is left (one for
          // a frame in progress), so a small read leaves the pool alone.
          pool_.GetBatch(
              std::min(kSpareBatch, (size - pos) / kBinaryHeaderSize + 1),
              spare_);
        }
        MessagePtr m = spare_.PopFront();
        if (m == nullptr) {
          // Starved: keep the rest, stop reading, tell the application once.
          if (from_pending) {
            ch.pending_pos = (data + pos) - ch.pending_input.data();
          } else {
            ch.pending_input.assign(data + pos, data + size);
            ch.pending_pos = 0;
          }
          if (!ch.starved) {
            ch.starved = true;
            starved_.push_back(token);
            UpdateInterest(token, ch);
          }
          if (!ch.pool_empty_reported) {
            ch.pool_empty_reported = true;
            Deliver(ch.group,
                    NewSignal(StatusCode::kPoolEmpty, token.number, 0));
          }
          return true;
        }
        ch.large_bodies =
            ch.decoder.pending_header().body_length >= kDirectReadMin;
        ch.decoder.Provide(std::move(m));
        break;
      }
      case FrameDecoder::State::kFrameReady: {
        MessagePtr m = ch.decoder.TakeFrame();
        BinaryHeader& h = m->header();
        // A peer cannot forge engine notifications, and channel numbers are
        // local.
        h.origin = Origin::kApplication;
        h.channel_number = token.number;
        h.status = StatusCodeFromByte(static_cast<uint8_t>(h.status));
        m->set_arrival(Arrival::kFrame);
        counters_.FrameIn();
        if (!ch.opening_id_known) {
          ch.opening_id = h.message_id;
          ch.opening_id_known = true;
        }
        const bool bye_response = h.op_code == OpCode::kByeResponse;
        Deliver(ch.group, std::move(m));
        delivered_frames_ = true;
        if (bye_response) {
          CloseChannel(token, ch, StatusCode::kChannelClosed, /*abort=*/false);
          return false;
        }
        break;
      }
      case FrameDecoder::State::kFailed:
        // Protocol violation: say so, then close this channel only.
        counters_.ProtocolViolation();
        Deliver(ch.group,
                NewSignal(ch.decoder.error(), token.number, ch.opening_id));
        CloseChannel(token, ch, ch.decoder.error(), /*abort=*/true);
        return false;
      case FrameDecoder::State::kNeedBytes:
        if (pos == size) {
          // Nothing is kept: a resumed channel gives its buffer back.
          if (from_pending) std::vector<uint8_t>().swap(ch.pending_input);
          ch.pending_pos = 0;
          return true;
        }
        pos += ch.decoder.Feed(absl::MakeConstSpan(data + pos, size - pos));
        break;
    }
  }
}

bool Reactor::ResumeDue() {
  if (resume_batch_ <= 1) return true;
  const size_t idle = pool_.stats().idle;
  // None idle: the attempt finds the pool empty, and that miss makes the
  // next returned message wake us.
  bool due = idle == 0 || idle >= resume_batch_;
  if (!due) {
    // A monotonic clock: a wall clock stepped back would hold the reader.
    const auto now = std::chrono::steady_clock::now();
    if (!resume_waiting_.load(std::memory_order_relaxed)) {
      resume_at_ = now + absl::ToChronoNanoseconds(kResumeDelay);
      resume_waiting_.store(true, std::memory_order_relaxed);
    }
    due = now >= resume_at_;
  }
  if (due) resume_waiting_.store(false, std::memory_order_relaxed);
  return due;
}

void Reactor::ResumeStarved() {
  std::vector<ChannelToken> starved;
  starved.swap(starved_);
  for (const ChannelToken& token : starved) {
    Channel* ch = channels_.Find(token);
    if (ch == nullptr) continue;
    ch->starved = false;
    if (!Consume(token, *ch, ch->pending_input.data() + ch->pending_pos,
                 ch->pending_input.size() - ch->pending_pos,
                 /*from_pending=*/true)) {
      continue;
    }
    if (ch->starved)
      continue;  // still starved: Consume kept the rest and re-queued it
    ch->pool_empty_reported = false;
    UpdateInterest(token, *ch);
  }
}

bool Reactor::Send(ChannelToken token, Channel& ch) {
  if (ch.connecting) return true;
  IoSlice slices[kMaxSlices];
  while (true) {
    while (!ch.send_closed && !ch.bye_queued && !ch.send_queue.empty() &&
           ch.encoder.slice_bound() + 3 <= kMaxSlices &&
           ch.encoder.pending_bytes() < kMaxBatchBytes) {
      MessagePtr m = ch.send_queue.PopFront();
      // Nothing is sent after a bye frame, even while it is half written.
      ch.bye_queued = IsByeFrame(*m);
      ch.encoder.Add(*m);
      ch.in_flight.PushBack(std::move(m));
    }
    if (ch.encoder.empty()) break;
    const size_t n = ch.encoder.Gather(absl::MakeSpan(slices));
    const IoResult r = ch.stream->WriteV(absl::MakeConstSpan(slices, n));
    if (r.kind == IoResult::Kind::kWouldBlock) break;
    if (r.kind != IoResult::Kind::kDone) {
      CloseChannel(token, ch, StatusCode::kSendFailed, /*abort=*/true);
      return false;
    }
    counters_.BytesOut(r.bytes);
    const size_t frames = ch.encoder.Advance(r.bytes);
    counters_.FramesOut(frames);
    for (size_t done = frames; done > 0; --done) {
      MessagePtr sent = ch.in_flight.PopFront();
      if (IsByeFrame(*sent)) {
        ch.send_closed = true;
        if (sent->header().op_code == OpCode::kByeResponse)
          ch.bye_response_sent = true;
      }
      sent_.PushBack(std::move(sent));
    }
    if (ch.send_closed && ch.encoder.empty()) break;
  }
  if (ch.bye_response_sent && ch.encoder.empty()) {
    // Our ByeResponse is out: the Bye exchange is complete on this side.
    CloseChannel(token, ch, StatusCode::kChannelClosed, /*abort=*/false);
    return false;
  }
  UpdateInterest(token, ch);
  return true;
}

void Reactor::RequeueUnstarted(Channel& ch) {
  const size_t unstarted = ch.encoder.unstarted_count();
  if (unstarted == 0) return;
  // The encoder's frames are in_flight's messages, in order: the last
  // `unstarted` go back to the front of the queue, unless one of them must
  // stay ahead of the oob: a Hello frame (it opens the channel) or a bye
  // frame at their head (nothing follows a bye).
  const size_t kept = ch.in_flight.size() - unstarted;
  std::vector<MessagePtr> all;
  all.reserve(ch.in_flight.size());
  while (MessagePtr m = ch.in_flight.PopFront()) all.push_back(std::move(m));
  bool movable = !IsByeFrame(*all[kept]);
  for (size_t i = kept; i < all.size() && movable; ++i) {
    const OpCode op = all[i]->header().op_code;
    movable = op != OpCode::kHelloRequest && op != OpCode::kHelloResponse;
  }
  MessageQueue requeued;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < kept || !movable) {
      ch.in_flight.PushBack(std::move(all[i]));
    } else {
      requeued.PushBack(std::move(all[i]));
    }
  }
  if (!movable) return;
  ch.encoder.RemoveUnstarted();
  requeued.Splice(ch.send_queue);
  ch.send_queue.Swap(requeued);
  ch.bye_queued = false;  // a bye frame among them is queued again
}

void Reactor::UpdateInterest(ChannelToken token, Channel& ch) {
  uint32_t interest = kInterestNone;
  if (ch.kind == Channel::Kind::kListener) {
    interest = ch.accept_paused ? kInterestNone : kInterestRead;
  } else if (ch.connecting) {
    interest = kInterestWrite;
  } else {
    if (!ch.starved) interest |= kInterestRead;
    if (!ch.encoder.empty() ||
        (!ch.send_closed && !ch.bye_queued && !ch.send_queue.empty())) {
      interest |= kInterestWrite;
    }
  }
  if (ch.registered && interest == ch.interest) return;
  absl::Status s =
      ch.registered
          ? poller_->Modify(ch.stream->handle(), token.Pack(), interest)
          : poller_->Register(ch.stream->handle(), token.Pack(), interest);
  if (s.ok()) {
    ch.registered = true;
    ch.interest = interest;
  }
}

void Reactor::CloseChannel(ChannelToken token, Channel& ch, StatusCode reason,
                           bool abort, bool notify) {
  if (ch.stream != nullptr) {
    if (ch.registered) poller_->Unregister(ch.stream->handle());
    if (abort) {
      ch.stream->Abort();
    } else {
      ch.stream->Close();
    }
  }
  live_.erase(token.Pack());
  // A descriptor was freed: paused listeners may accept again.
  if (ch.kind == Channel::Kind::kIo && !paused_listeners_.empty()) {
    resume_listeners_ = true;
  }
  GroupInbox* group = ch.group;
  const uint64_t opening_id = ch.opening_id;
  if (notify) {
    ch.encoder.Clear();
    while (MessagePtr m = ch.in_flight.PopFront())
      ReturnToApp(group, std::move(m), reason);
    while (MessagePtr m = ch.send_queue.PopFront())
      ReturnToApp(group, std::move(m), reason);
  }
  // Under the post lock, which Post holds while it checks the channel and
  // queues: every post to this opening is either queued already (and comes
  // back here, before channel_closed, as unsent) or finds it closed and comes
  // back straight to the inbox, after channel_closed.
  absl::MutexLock lock(&mu_);
  if (notify) {
    ReturnPosted(token, group, reason);
    Deliver(group,
            NewSignal(StatusCode::kChannelClosed, token.number, opening_id));
    FlushDeliveries();
  }
  channels_.Close(token);  // destroys `ch`
  counters_.ChannelClosed();
  closes_.fetch_add(1, std::memory_order_release);
}

void Reactor::ReturnPosted(ChannelToken token, GroupInbox* group,
                           StatusCode reason) {
  auto unsent = [token](const Posted& p) {
    return p.group != nullptr && p.message != nullptr && p.channel == token;
  };
  // First the batch being dispatched (its entries not reached yet), then
  // what was posted since: post order.
  for (size_t i = batch_next_; i < batch_.size(); ++i) {
    if (!unsent(batch_[i])) continue;
    ReturnToApp(group, std::move(batch_[i].message), reason);
    batch_[i].group = nullptr;
  }
  if (std::none_of(posted_.begin(), posted_.end(), unsent)) return;
  std::vector<Posted> kept;
  for (Posted& p : posted_) {
    if (unsent(p)) {
      ReturnToApp(group, std::move(p.message), reason);
    } else {
      kept.push_back(std::move(p));
    }
  }
  posted_.swap(kept);
}

void Reactor::Deliver(GroupInbox* group, MessagePtr message) {
  if (deliveries_.empty() || deliveries_.back().group != group) {
    auto it = std::find_if(
        deliveries_.begin(), deliveries_.end(),
        [group](const PendingDelivery& d) { return d.group == group; });
    if (it == deliveries_.end()) {
      deliveries_.push_back(PendingDelivery{group, MessageQueue()});
    } else {
      std::iter_swap(it, deliveries_.end() - 1);
    }
  }
  deliveries_.back().messages.PushBack(std::move(message));
}

void Reactor::FlushDeliveries() {
  for (PendingDelivery& d : deliveries_) d.group->PushAll(d.messages);
  deliveries_.clear();
}

void Reactor::ReturnToApp(GroupInbox* group, MessagePtr message,
                          StatusCode status) {
  message->header().status = status;
  message->header().origin = Origin::kEngine;
  message->set_arrival(Arrival::kReturned);
  if (status != StatusCode::kSuccess) counters_.MessageReturned();
  Deliver(group, std::move(message));
}

MessagePtr Reactor::NewSignal(StatusCode status, uint16_t channel,
                              uint64_t message_id) {
  MessagePtr m = pool_.Get(AllocationStrategy::kAlways);
  BinaryHeader& h = m->header();
  h.op_code = OpCode::kSignal;
  h.origin = Origin::kEngine;
  h.status = status;
  h.channel_number = channel;
  h.message_id = message_id;
  m->set_arrival(Arrival::kNotification);
  return m;
}

}  // namespace tofu
