// Fuzzes the Windows poller's bookkeeping (reactor/windows/afd_poll_set.h)
// over the kernel model of FakeAfdSystem: six socket handle values, each
// registered, modified, unregistered, closed (by the reactor after
// unregistering it, or behind the poller's back) and reused by a new socket,
// in an order the fuzzer chooses, with polls completing, cancels failing or
// racing completions, helper opens and poll submissions failing, wake-ups,
// and two sockets per helper handle so that helpers are opened, filled,
// emptied and closed. A register, modify or unregister may also be made while
// Wait dequeues, where its lock is free (as the engine's inline post path
// does from another thread): FakeAfdSystem runs it at the start of Dequeue,
// or after Dequeue popped its packets and before Wait handles them (then a
// cancel of a popped poll answers NOT_FOUND, as on Windows).
// Each run ends by destroying the set with polls still outstanding.
//
// Invariants checked against a model of what the reactor registered: the
// fake's contract checks (never two polls outstanding for one socket handle,
// even across a reuse; never a cancel without a poll or twice; never a helper
// over its share; never a helper closed twice); Register, Modify and
// Unregister succeed or fail as the model says; an event is only ever
// reported for a token registered at the time (never for an unregistered
// socket, never an old socket's events for the new one); a write event only
// with write interest and a read-only event only with read interest; helpers
// never exceed ceil(peak sockets / 2); once faults stop, a few waits report
// every condition that holds for what a registered socket wants, every
// wake-up, and the end of every registered socket closed behind the
// poller's back; destruction leaves no poll outstanding, no packet queued and
// no helper open (and ASan sees any PolledSocket freed early or leaked);
// every dequeued packet is handled before the next op (the fake's popped()
// is empty).
//
// Input: a sequence of operations, one byte each (modulo kOpCount) followed
// by its argument bytes (see Run()). Reading past the end yields zeros.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_support.h"
#include "reactor/windows/afd_poll_set.h"
#include "reactor/windows/poll_state.h"
#include "reactor/windows/testing/fake_afd_system.h"

namespace tofu::afd {
namespace {

constexpr size_t kSlots = 6;
constexpr int kPerHelper = 2;
constexpr Handle kFirstSocket = 0x40;
constexpr Handle kBaseOffset = 0x1000;
constexpr uint64_t kWakeToken = 1ull << 40;
constexpr int kSettleWaits = 6;
constexpr uint32_t kStatusUnsuccessful = 0xC0000001;

// What the reactor knows about one socket handle value.
struct Slot {
  bool registered = false;
  uint64_t token = 0;
  uint32_t interest = 0;
  // The socket behind the handle is open (closed: by the reactor after
  // Unregister, or behind the poller's back).
  bool open = true;
  bool closed_behind_back = false;
  // An error event was reported since it was closed behind the back.
  bool end_reported = false;
};

class Harness {
 public:
  explicit Harness(fuzz::ByteReader& in) : in_(in) {
    system_.set_sockets_per_helper(kPerHelper);
    set_ = std::make_unique<AfdPollSet>(system_, kPerHelper);
    set_->SetWakeToken(kWakeToken);
  }

  void Run() {
    while (!in_.empty()) {
      const size_t slot = in_.Below(kSlots);
      switch (static_cast<Op>(in_.Below(kOpCount))) {
        case kRegister:
          Register(slot, in_.Below(4));
          break;
        case kModify:
          Modify(slot, in_.Below(4));
          break;
        case kUnregisterAndClose:
          Unregister(slot);
          Close(slot);
          break;
        case kUnregister:
          Unregister(slot);
          break;
        case kClose:
          Close(slot);
          break;
        case kSetReady:
          if (slots_[slot].open) {
            ready_[slot] =
                in_.U16() & kPollAllEvents & ~(kPollLocalClose | kPollConnect);
            system_.SetReady(Base(slot), ready_[slot]);
          }
          break;
        case kFire:
          Fire(slot, in_.Below(4), in_.U16());
          break;
        case kWait:
          Wait();
          break;
        case kControlDuringWait: {
          // The kind is the byte modulo 3, as it always was; its two top
          // bits both set (in no seed before this option) move the call
          // after the pop.
          const uint8_t kind = in_.Byte();
          ControlDuringWait(slot, kind % 3, in_.Below(4),
                            (kind & 0xC0) == 0xC0
                                ? FakeAfdSystem::HookPoint::kAfterPop
                                : FakeAfdSystem::HookPoint::kBeforePop);
          break;
        }
        case kWake:
          // As IocpNotifier does: one packet until its wake-up is seen.
          if (!wake_pending_) {
            system_.Wake();
            wake_pending_ = true;
            ++wakes_sent_;
          }
          break;
        case kFailOpen:
          system_.FailNextOpen();
          fail_open_ = true;
          break;
        case kFailSubmit:
          system_.FailNextSubmit(kStatusUnsuccessful);
          break;
        case kFailCancel:
          system_.FailNextCancel(kStatusUnsuccessful);
          break;
        case kRaceCancel:
          system_.RaceNextCancel(in_.U16());
          break;
        case kOpCount:
          break;
      }
      Check();
    }
    Settle();
    TearDown();
  }

 private:
  enum Op : uint8_t {
    kRegister,
    kModify,
    kUnregisterAndClose,
    kUnregister,
    kClose,
    kSetReady,
    kFire,
    kWait,
    kWake,
    kFailOpen,
    kFailSubmit,
    kFailCancel,
    kRaceCancel,
    kControlDuringWait,
    kOpCount,
  };

  static Handle Socket(size_t slot) { return kFirstSocket + 4 * slot; }
  static Handle Base(size_t slot) { return Socket(slot) + kBaseOffset; }

  void Register(size_t slot, uint32_t interest) {
    Slot& s = slots_[slot];
    if (!s.open && !s.registered) {
      // Windows hands the closed socket's handle value to a new socket.
      system_.ReuseSocket(Base(slot));
      ready_.erase(slot);
      s = Slot{};
    }
    const uint64_t token = ++next_token_;
    const absl::Status status =
        set_->Register(Socket(slot), Base(slot), token, interest);
    if (s.registered) {
      TOFU_FUZZ_CHECK(absl::IsAlreadyExists(status));
      return;
    }
    if (!status.ok()) {
      // Only a scripted helper failure (when a helper had to be opened).
      TOFU_FUZZ_CHECK(fail_open_);
      fail_open_ = false;
      return;
    }
    s.registered = true;
    s.token = token;
    s.interest = interest;
  }

  void Modify(size_t slot, uint32_t interest) {
    Slot& s = slots_[slot];
    const absl::Status status = set_->Modify(Socket(slot), s.token, interest);
    if (!s.registered) {
      TOFU_FUZZ_CHECK(absl::IsNotFound(status));
      return;
    }
    TOFU_FUZZ_CHECK(status.ok());
    s.interest = interest;
  }

  void Unregister(size_t slot) {
    set_->Unregister(Socket(slot));
    slots_[slot].registered = false;
  }

  // `kind`: 0 register, 1 modify, 2 unregister, made inside the next Wait's
  // dequeue at `when` (before or after it pops its packets); if that Wait
  // returns before dequeuing (the re-arm pass had events), made after it
  // instead. A poll it leaves due must still be issued: Settle() checks that
  // every condition is reported.
  void ControlDuringWait(size_t slot, size_t kind, uint32_t interest,
                         FakeAfdSystem::HookPoint when) {
    bool ran = false;
    auto call = [this, slot, kind, interest, &ran] {
      ran = true;
      switch (kind) {
        case 0:
          Register(slot, interest);
          break;
        case 1:
          Modify(slot, interest);
          break;
        default:
          Unregister(slot);
          break;
      }
      // Packets completed later in the same Wait may free sockets again:
      // the peak the helper bound is checked against is taken here.
      NotePeak();
    };
    system_.RunOnNextDequeue(call, when);
    Wait();
    if (!ran) {
      system_.RunOnNextDequeue(nullptr);
      call();
    }
  }

  void Close(size_t slot) {
    Slot& s = slots_[slot];
    if (!s.open) return;
    s.open = false;
    s.closed_behind_back = s.registered;
    system_.CloseSocket(Base(slot));
  }

  // Completes the outstanding poll for the slot's handle, whichever
  // PolledSocket (the current or a previous owner's) issued it.
  void Fire(size_t slot, size_t how, uint32_t bits) {
    const PolledSocket* target = nullptr;
    uint32_t requested = 0;
    for (const auto& [socket, poll] : system_.polls()) {
      if (poll.base == Base(slot) && !poll.completed) {
        target = socket;
        requested = poll.events;
      }
    }
    if (target == nullptr) return;
    const uint32_t events = bits & requested & ~kPollLocalClose;
    switch (how) {
      case 0:
        system_.Fire(target, kStatusSuccess, 1, events);
        break;
      case 1:
        system_.Fire(target, kStatusSuccess, 0, bits);
        break;
      case 2:
        system_.Fire(target, kStatusCancelled, 0, 0);
        break;
      default:
        system_.Fire(target, kStatusUnsuccessful, 0, 0);
        break;
    }
  }

  void Wait() {
    std::vector<SocketEvent> events;
    TOFU_FUZZ_CHECK(set_->Wait(absl::ZeroDuration(), events).ok());
    for (const SocketEvent& e : events) {
      if (e.token == kWakeToken) {
        TOFU_FUZZ_CHECK(e.readable && !e.writable && !e.error);
        ++wakes_seen_;
        TOFU_FUZZ_CHECK(wakes_seen_ <= wakes_sent_);
        wake_pending_ = false;
        continue;
      }
      Slot* owner = nullptr;
      for (Slot& s : slots_) {
        if (s.registered && s.token == e.token) owner = &s;
      }
      // Never for an unregistered socket, nor for a handle's previous owner.
      TOFU_FUZZ_CHECK(owner != nullptr);
      TOFU_FUZZ_CHECK(e.readable || e.writable || e.error);
      if (e.writable) TOFU_FUZZ_CHECK(owner->interest & kInterestWrite);
      if (e.readable && !e.error) {
        TOFU_FUZZ_CHECK(owner->interest & kInterestRead);
      }
      if (e.error && owner->closed_behind_back) {
        owner->end_reported = true;
      }
      Readiness& seen = seen_[e.token];
      seen.readable |= e.readable;
      seen.writable |= e.writable;
      seen.error |= e.error;
    }
  }

  // The sockets the set holds now (registered, or waiting for their final
  // packet), folded into the peak.
  size_t NotePeak() {
    const size_t sockets = set_->registered() + set_->unregistering();
    if (sockets > peak_sockets_) peak_sockets_ = sockets;
    return sockets;
  }

  void Check() {
    TOFU_FUZZ_CHECK(system_.violations().empty());
    TOFU_FUZZ_CHECK(system_.popped().empty());
    size_t registered = 0;
    for (const Slot& s : slots_) registered += s.registered;
    TOFU_FUZZ_CHECK(set_->registered() == registered);
    // Every unregistering PolledSocket still has its poll outstanding.
    TOFU_FUZZ_CHECK(set_->unregistering() <= system_.polls().size());
    const size_t sockets = NotePeak();
    const size_t bound = (peak_sockets_ + kPerHelper - 1) / kPerHelper;
    TOFU_FUZZ_CHECK(set_->helpers() <= bound);
    TOFU_FUZZ_CHECK(set_->helpers() <= sockets + 1);
    TOFU_FUZZ_CHECK(system_.open_helpers() == set_->helpers());
  }

  // No more faults: a few waits report every wake-up, every condition that
  // holds for what a registered open socket wants, and the end of every
  // registered socket closed behind the poller's back and watched.
  void Settle() {
    system_.ClearFaults();
    fail_open_ = false;
    seen_.clear();
    for (int i = 0; i < kSettleWaits; ++i) {
      Wait();
      Check();
    }
    TOFU_FUZZ_CHECK(wakes_seen_ == wakes_sent_);
    for (size_t slot = 0; slot < kSlots; ++slot) {
      const Slot& s = slots_[slot];
      if (!s.registered) continue;
      if (s.closed_behind_back) {
        if (s.interest != 0) TOFU_FUZZ_CHECK(s.end_reported);
        continue;
      }
      const Readiness want = ReadinessFromAfdEvents(ReadyOf(slot), s.interest);
      const Readiness& seen = seen_[s.token];
      TOFU_FUZZ_CHECK(!want.readable || seen.readable);
      TOFU_FUZZ_CHECK(!want.writable || seen.writable);
      TOFU_FUZZ_CHECK(!want.error || seen.error);
    }
  }

  uint32_t ReadyOf(size_t slot) const {
    auto it = ready_.find(slot);
    return it == ready_.end() ? 0 : it->second;
  }

  // The poller goes away with the polls of every registered socket still
  // outstanding, and those of unregistered ones whose cancel failed.
  void TearDown() {
    set_.reset();
    TOFU_FUZZ_CHECK(system_.violations().empty());
    TOFU_FUZZ_CHECK(system_.polls().empty());
    TOFU_FUZZ_CHECK(system_.popped().empty());
    TOFU_FUZZ_CHECK(system_.queued() == 0);
    TOFU_FUZZ_CHECK(system_.open_helpers() == 0);
  }

  fuzz::ByteReader& in_;
  FakeAfdSystem system_;
  std::unique_ptr<AfdPollSet> set_;
  std::array<Slot, kSlots> slots_{};
  std::map<size_t, uint32_t> ready_;
  std::map<uint64_t, Readiness> seen_;
  uint64_t next_token_ = 0;
  bool fail_open_ = false;
  bool wake_pending_ = false;
  int wakes_sent_ = 0;
  int wakes_seen_ = 0;
  size_t peak_sockets_ = 0;
};

}  // namespace
}  // namespace tofu::afd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tofu::fuzz::ByteReader in(data, size);
  tofu::afd::Harness(in).Run();
  return 0;
}
