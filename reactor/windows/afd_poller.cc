// The Windows poller: readiness emulated with IOCTL_AFD_POLL on \Device\Afd
// helper handles, completions dequeued in batches from one completion port
// (WINDOWS.md section 8). Each registered socket has one heap SocketState at
// a fixed address (its ApcContext), driven by afd::SocketPoll: at most one
// poll outstanding, re-armed lazily just before waiting, freed only after its
// final packet.
#include <algorithm>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reactor/poller.h"
#include "reactor/windows/afd.h"
#include "reactor/windows/completion_port.h"
#include "reactor/windows/iocp_notifier.h"
#include "reactor/windows/poll_state.h"

namespace tofu {
namespace {

static_assert(afd::kInterestRead == kInterestRead &&
              afd::kInterestWrite == kInterestWrite);

// AFD helpers carry their polls on key 0; wake-ups come on this one.
constexpr ULONG_PTR kWakeKey = 1;
// Polls per helper handle: cancelling gets slow with many IRPs on one handle
// (WINDOWS.md 1.7; wepoll uses 32).
constexpr int kSocketsPerHelper = 32;
constexpr size_t kBatch = 256;
// How long the destructor waits for the packets of cancelled polls.
constexpr absl::Duration kDrainOnClose = absl::Seconds(2);

struct Helper {
  HANDLE handle = nullptr;
  int sockets = 0;
};

// Everything the kernel may write to until the final packet is dequeued.
struct SocketState : afd::SocketPoll {
  IO_STATUS_BLOCK iosb{};
  afd::PollInfo info{};
  NativeSocket socket = kInvalidSocket;
  SOCKET base = INVALID_SOCKET;
  Helper* helper = nullptr;
  uint64_t token = 0;
  bool queued = false;  // in the update queue
};

class AfdPoller final : public Poller, private afd::PollDriver {
 public:
  explicit AfdPoller(CompletionPort port) : port_(std::move(port)) {}
  ~AfdPoller() override;

  absl::Status Register(NativeSocket socket, uint64_t token,
                        uint32_t interest) override;
  absl::Status Modify(NativeSocket socket, uint64_t token,
                      uint32_t interest) override;
  void Unregister(NativeSocket socket) override;
  absl::StatusOr<std::unique_ptr<Notifier>> CreateNotifier(
      uint64_t token) override;
  absl::Status Wait(absl::Duration timeout,
                    std::vector<PollEvent>& events) override;

 private:
  // afd::PollDriver.
  uint32_t Submit(afd::SocketPoll& poll, uint32_t afd_events) override;
  uint32_t Cancel(afd::SocketPoll& poll) override;

  absl::StatusOr<Helper*> HelperWithRoom();
  void Enqueue(SocketState* state);
  void Free(SocketState* state);
  // Submits polls for queued sockets that want one; reports sockets that
  // turned out to be gone.
  void FlushUpdates(std::vector<PollEvent>& events);
  // Runs one dequeued packet through its socket's state machine.
  void Complete(const OVERLAPPED_ENTRY& entry, std::vector<PollEvent>& events);

  CompletionPort port_;
  uint64_t notifier_token_ = 0;
  bool has_notifier_ = false;
  std::vector<std::unique_ptr<Helper>> helpers_;
  absl::flat_hash_map<NativeSocket, SocketState*> registered_;
  // Unregistered sockets whose final packet has not arrived yet; a socket
  // registered again meanwhile is not polled until it has (one poll per
  // socket in the whole process).
  absl::flat_hash_map<NativeSocket, SocketState*> unregistering_;
  std::vector<SocketState*> updates_;
  OVERLAPPED_ENTRY entries_[kBatch];
};

AfdPoller::~AfdPoller() {
  // Cancel whatever is outstanding and wait (bounded) for the packets, so no
  // state is freed while the kernel may still write to it.
  for (auto& [socket, state] : registered_) {
    if (state->Unregister(*this)) {
      Free(state);
    } else {
      unregistering_.emplace(socket, state);
    }
  }
  registered_.clear();
  const absl::Time deadline = absl::Now() + kDrainOnClose;
  while (!unregistering_.empty() && absl::Now() < deadline) {
    absl::StatusOr<size_t> n =
        port_.Dequeue(absl::MakeSpan(entries_), deadline - absl::Now());
    if (!n.ok() || *n == 0) break;
    std::vector<PollEvent> ignored;
    for (size_t i = 0; i < *n; ++i) Complete(entries_[i], ignored);
  }
  // Any state left is leaked on purpose: the kernel may still write to it.
  for (const std::unique_ptr<Helper>& h : helpers_) CloseHandle(h->handle);
}

absl::StatusOr<Helper*> AfdPoller::HelperWithRoom() {
  for (const std::unique_ptr<Helper>& h : helpers_) {
    if (h->sockets < kSocketsPerHelper) return h.get();
  }
  absl::StatusOr<HANDLE> handle = afd::OpenHelper(port_.handle());
  if (!handle.ok()) return handle.status();
  helpers_.push_back(std::make_unique<Helper>(Helper{*handle, 0}));
  return helpers_.back().get();
}

absl::Status AfdPoller::Register(NativeSocket socket, uint64_t token,
                                 uint32_t interest) {
  if (registered_.contains(socket)) {
    return absl::AlreadyExistsError(
        absl::StrCat("socket ", socket, " is already registered"));
  }
  absl::StatusOr<SOCKET> base = afd::BaseSocket(static_cast<SOCKET>(socket));
  if (!base.ok()) return base.status();
  absl::StatusOr<Helper*> helper = HelperWithRoom();
  if (!helper.ok()) return helper.status();
  auto* state = new SocketState;
  state->socket = socket;
  state->base = *base;
  state->helper = *helper;
  state->token = token;
  ++state->helper->sockets;
  state->SetInterest(interest, *this);
  registered_.emplace(socket, state);
  Enqueue(state);
  return absl::OkStatus();
}

absl::Status AfdPoller::Modify(NativeSocket socket, uint64_t token,
                               uint32_t interest) {
  auto it = registered_.find(socket);
  if (it == registered_.end()) {
    return absl::NotFoundError(
        absl::StrCat("socket ", socket, " is not registered"));
  }
  SocketState* state = it->second;
  state->token = token;
  // A failed cancel leaves the poll pending; the next flush retries it.
  state->SetInterest(interest, *this);
  Enqueue(state);
  return absl::OkStatus();
}

void AfdPoller::Unregister(NativeSocket socket) {
  auto it = registered_.find(socket);
  if (it == registered_.end()) return;
  SocketState* state = it->second;
  registered_.erase(it);
  if (state->Unregister(*this)) {
    Free(state);
  } else {
    unregistering_.emplace(socket, state);
  }
}

absl::StatusOr<std::unique_ptr<Notifier>> AfdPoller::CreateNotifier(
    uint64_t token) {
  notifier_token_ = token;
  has_notifier_ = true;
  return std::make_unique<IocpNotifier>(port_, kWakeKey);
}

uint32_t AfdPoller::Submit(afd::SocketPoll& poll, uint32_t afd_events) {
  auto& state = static_cast<SocketState&>(poll);
  return static_cast<uint32_t>(afd::SubmitPoll(state.helper->handle, state.base,
                                               afd_events, &state.iosb,
                                               &state.info, &state));
}

uint32_t AfdPoller::Cancel(afd::SocketPoll& poll) {
  auto& state = static_cast<SocketState&>(poll);
  // The IRP has finished: its packet is queued, nothing to cancel.
  if (static_cast<uint32_t>(state.iosb.Status) != afd::kStatusPending) {
    return afd::kStatusNotFound;
  }
  return static_cast<uint32_t>(
      afd::CancelPoll(state.helper->handle, &state.iosb));
}

void AfdPoller::Enqueue(SocketState* state) {
  if (state->queued) return;
  state->queued = true;
  updates_.push_back(state);
}

void AfdPoller::Free(SocketState* state) {
  if (state->queued) {
    updates_.erase(std::remove(updates_.begin(), updates_.end(), state),
                   updates_.end());
  }
  --state->helper->sockets;
  delete state;
}

void AfdPoller::FlushUpdates(std::vector<PollEvent>& events) {
  std::vector<SocketState*> waiting;
  for (SocketState* state : updates_) {
    state->queued = false;
    if (unregistering_.contains(state->socket)) {
      waiting.push_back(state);  // its previous poll is still outstanding
      continue;
    }
    const afd::SocketPoll::SubmitResult r = state->Submit(*this);
    using Kind = afd::SocketPoll::SubmitResult::Kind;
    if (r.kind == Kind::kEnded || r.kind == Kind::kFailed) {
      // Closed behind our back, or AFD refused the poll: reading tells the
      // reactor what happened, and it closes the channel.
      events.push_back(PollEvent{state->token, true, false, true});
    }
  }
  updates_.clear();
  for (SocketState* state : waiting) Enqueue(state);
}

void AfdPoller::Complete(const OVERLAPPED_ENTRY& entry,
                         std::vector<PollEvent>& events) {
  if (entry.lpCompletionKey == kWakeKey) {
    if (has_notifier_) {
      events.push_back(PollEvent{notifier_token_, true, false, false});
    }
    return;
  }
  // The ApcContext given at submission.
  auto* state = reinterpret_cast<SocketState*>(entry.lpOverlapped);
  const afd::SocketPoll::CompletionResult r = state->OnCompletion(
      static_cast<uint32_t>(state->iosb.Status), state->info.number_of_handles,
      state->info.handles[0].events);
  if (r.free_now) {
    auto it = unregistering_.find(state->socket);
    if (it != unregistering_.end() && it->second == state) {
      unregistering_.erase(it);
      // A socket registered again under this handle may be polled now.
      auto again = registered_.find(state->socket);
      if (again != registered_.end()) Enqueue(again->second);
    }
    Free(state);
    return;
  }
  if (r.readiness.any() || r.ended) {
    events.push_back(PollEvent{state->token, r.readiness.readable || r.ended,
                               r.readiness.writable,
                               r.readiness.error || r.ended});
  }
  if (state->WantsSubmit()) Enqueue(state);
}

absl::Status AfdPoller::Wait(absl::Duration timeout,
                             std::vector<PollEvent>& events) {
  events.clear();
  const bool forever = timeout == absl::InfiniteDuration();
  const absl::Time deadline =
      forever ? absl::InfiniteFuture() : absl::Now() + timeout;
  while (true) {
    FlushUpdates(events);
    if (!events.empty()) return absl::OkStatus();
    const absl::Duration left =
        forever ? absl::InfiniteDuration()
                : std::max(deadline - absl::Now(), absl::ZeroDuration());
    absl::StatusOr<size_t> n = port_.Dequeue(absl::MakeSpan(entries_), left);
    if (!n.ok()) return n.status();
    for (size_t i = 0; i < *n; ++i) Complete(entries_[i], events);
    // Cancelled and zero-event packets report nothing: wait on within the
    // remaining time.
    if (!events.empty() || *n == 0 || absl::Now() >= deadline) {
      return absl::OkStatus();
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Poller>> CreatePoller() {
  absl::StatusOr<CompletionPort> port = CompletionPort::Create();
  if (!port.ok()) return port.status();
  return std::make_unique<AfdPoller>(std::move(*port));
}

}  // namespace tofu
