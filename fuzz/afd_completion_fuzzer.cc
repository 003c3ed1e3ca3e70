// Fuzzes the Windows poller's per-socket AFD state machine
// (reactor/windows/poll_state.h) against a model of the kernel side: up to
// four sockets, each a real heap object (as in the poller, so ASan sees a
// use-after-free or a double free), driven in an order the fuzzer chooses
// through register, interest changes, unregister, closes, the lazy re-arm
// pass, and completions of every kind (events, zero handles, STATUS_CANCELLED,
// LOCAL_CLOSE, failures), with cancels that fail, find nothing (NOT_FOUND) or
// race a completion.
//
// The kernel model: a poll stays outstanding from its submission until its
// packet is dequeued; it completes at once if a requested condition already
// holds (AFD polls are level-triggered at submission), when such a condition
// arises, when the fuzzer fires it, when it is cancelled, or when its socket
// is closed (LOCAL_CLOSE, a cancellation, or STATUS_INVALID_HANDLE); a closed
// socket refuses new polls with STATUS_INVALID_HANDLE.
//
// Invariants checked: never two polls outstanding on one socket, never a
// cancel without a poll or twice for one poll, never a poll for an
// unregistered or uninterested socket, never AFD_POLL_CONNECT, always
// LOCAL_CLOSE; the machine's status matches the kernel's; an object is freed
// exactly once, only when the machine says so and only after its final
// packet; nothing is reported for an unregistered socket; every completion of
// a registered socket reports exactly what its packet says, filtered by the
// interest current at delivery (so interest changes take effect and nothing
// is lost); closed sockets end; and once faults stop, a few re-arm passes
// report every condition that holds for what a live socket is interested in.
//
// Input: a sequence of operations, one byte each (modulo kOpCount) followed
// by its argument bytes (see Run()). Reading past the end yields zeros.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "reactor/windows/poll_state.h"

namespace tofu::afd {
namespace {

constexpr size_t kSlots = 4;
constexpr uint32_t kStatusUnsuccessful = 0xC0000001;
constexpr uint32_t kStatusNoMemory = 0xC0000017;
constexpr uint32_t kStatusInformational = 0x40000000;
constexpr int kSettleRounds = 3;

class Harness;

// The poller's per-socket heap object, with the driver bound to it (as the
// Windows poller binds its system calls to one PolledSocket).
struct SocketObject : PollState {
  class Driver final : public PollDriver {
   public:
    Driver(Harness& harness, SocketObject& obj)
        : harness_(harness), obj_(obj) {}
    uint32_t Submit(uint32_t afd_events) override;
    uint32_t Cancel() override;

   private:
    Harness& harness_;
    SocketObject& obj_;
  };

  explicit SocketObject(Harness& harness) : driver(harness, *this) {}
  Driver driver;
};

// What the kernel knows about one socket.
struct KernelSocket {
  // Conditions that hold now (level-triggered), as AFD bits.
  uint32_t ready = 0;
  bool closed = false;
  // A poll is outstanding: submitted, its packet not yet dequeued.
  bool polled = false;
  uint32_t poll_events = 0;
  // Its packet is queued.
  bool completed = false;
  bool cancel_requested = false;
};

struct Packet {
  SocketObject* target;
  uint32_t status;
  uint32_t handles;
  uint32_t events;
};

struct Expected {
  Readiness readiness;
  bool ended = false;
};

// What a completion must report for a socket whose interest is `interest`
// (docs/windows.md, Design), written out again here as the oracle.
Readiness ExpectedReadiness(uint32_t afd_events, uint32_t interest) {
  Readiness r;
  if (interest == 0) return r;
  const uint32_t readable =
      kPollReceive | kPollAccept | kPollDisconnect | kPollConnectFail;
  r.readable = (interest & kInterestRead) && (afd_events & readable);
  r.writable = (interest & kInterestWrite) &&
               (afd_events & (kPollSend | kPollConnectFail));
  r.error = (afd_events & (kPollAbort | kPollConnectFail)) != 0;
  return r;
}

Expected ExpectedCompletion(const Packet& p, uint32_t interest) {
  Expected e;
  if (p.status == kStatusCancelled) {
  } else if (p.status == kStatusInvalidHandle) {
    e.ended = true;
  } else if ((p.status & 0x80000000) != 0) {
    e.readiness.error = interest != 0;
  } else if (p.handles == 0) {
  } else if (p.events & kPollLocalClose) {
    e.ended = true;
  } else {
    e.readiness = ExpectedReadiness(p.events, interest);
  }
  return e;
}

class Harness final {
 public:
  explicit Harness(fuzz::ByteReader& in) : in_(in) {}

  void Run() {
    while (!in_.empty()) {
      switch (static_cast<Op>(in_.Below(kOpCount))) {
        case kRegister:
          Register(in_.Below(kSlots), in_.Below(4));
          break;
        case kSetInterest:
          SetInterest(in_.Below(kSlots), in_.Below(4));
          break;
        case kUnregister:
          Unregister(in_.Below(kSlots), in_.Bit());
          break;
        case kClose:
          if (SocketObject* obj = Pick(Open())) Close(*obj, in_.Below(3));
          break;
        case kSubmitPass:
          SubmitPass();
          break;
        case kDeliver:
          if (!queue_.empty()) Deliver(in_.Below(queue_.size()));
          break;
        case kFire:
          if (SocketObject* obj = Pick(Waiting())) {
            Complete(
                *obj, kStatusSuccess, 1,
                in_.U16() & kernel_.at(obj).poll_events & ~kPollLocalClose);
          }
          break;
        case kFireNoHandles:
          // Events is not meaningful then: garbage must be ignored.
          if (SocketObject* obj = Pick(Waiting())) {
            Complete(*obj, kStatusSuccess, 0, in_.U16());
          }
          break;
        case kFireStatus:
          if (SocketObject* obj = Pick(Waiting())) {
            static constexpr uint32_t kStatuses[] = {
                kStatusCancelled, kStatusInvalidHandle, kStatusUnsuccessful,
                kStatusInformational};
            const uint32_t status = kStatuses[in_.Below(4)];
            Complete(
                *obj, status, 1,
                in_.U16() & kernel_.at(obj).poll_events & ~kPollLocalClose);
          }
          break;
        case kSetReady:
          if (SocketObject* obj = Pick(Live())) SetReady(*obj, in_.U16());
          break;
        case kFailNextSubmit:
          fail_next_submit_ = true;
          break;
        case kFailNextCancel:
          fail_next_cancel_ = true;
          break;
        case kRaceNextCancel:
          race_next_cancel_ = true;
          race_events_ = in_.U16();
          break;
        case kOpCount:
          break;
      }
      CheckConsistency();
    }
    Settle();
    TearDown();
  }

  // The kernel's side of SocketObject::Driver.
  uint32_t Submit(SocketObject* obj, uint32_t afd_events) {
    TOFU_FUZZ_CHECK(kernel_.count(obj) == 1);
    KernelSocket& k = kernel_.at(obj);
    TOFU_FUZZ_CHECK(!k.polled);
    TOFU_FUZZ_CHECK(SlotOf(obj) >= 0);
    TOFU_FUZZ_CHECK(!obj->delete_pending());
    TOFU_FUZZ_CHECK(obj->interest() != 0);
    TOFU_FUZZ_CHECK(afd_events == AfdEventsForInterest(obj->interest()));
    TOFU_FUZZ_CHECK((afd_events & kPollLocalClose) != 0);
    TOFU_FUZZ_CHECK((afd_events & kPollConnect) == 0);
    if (k.closed) return kStatusInvalidHandle;
    if (fail_next_submit_ && !settling_) {
      fail_next_submit_ = false;
      ++faults_;
      return kStatusNoMemory;
    }
    k.polled = true;
    k.poll_events = afd_events;
    k.completed = false;
    k.cancel_requested = false;
    if (k.ready & afd_events) {
      Complete(*obj, kStatusSuccess, 1, k.ready & afd_events);
      return in_.Bit() ? kStatusSuccess : kStatusPending;
    }
    return kStatusPending;
  }

  uint32_t Cancel(SocketObject* obj) {
    TOFU_FUZZ_CHECK(kernel_.count(obj) == 1);
    KernelSocket& k = kernel_.at(obj);
    ++cancels_;
    TOFU_FUZZ_CHECK(k.polled);
    TOFU_FUZZ_CHECK(!k.cancel_requested);
    if (fail_next_cancel_ && !settling_) {
      fail_next_cancel_ = false;
      ++faults_;
      return kStatusUnsuccessful;
    }
    if (k.completed) return kStatusNotFound;
    k.cancel_requested = true;
    if (race_next_cancel_ && !settling_) {
      // The poll fired before the cancel took hold.
      race_next_cancel_ = false;
      Complete(*obj, kStatusSuccess, 1,
               race_events_ & k.poll_events & ~kPollLocalClose);
    } else {
      Complete(*obj, kStatusCancelled, 0, 0);
    }
    return kStatusSuccess;
  }

 private:
  enum Op : uint8_t {
    kRegister,
    kSetInterest,
    kUnregister,
    kClose,
    kSubmitPass,
    kDeliver,
    kFire,
    kFireNoHandles,
    kFireStatus,
    kSetReady,
    kFailNextSubmit,
    kFailNextCancel,
    kRaceNextCancel,
    kOpCount,
  };

  int SlotOf(const SocketObject* obj) const {
    for (size_t i = 0; i < kSlots; ++i) {
      if (registered_[i] == obj) return static_cast<int>(i);
    }
    return -1;
  }

  // Every object alive, registered ones by slot first, then the unregistered
  // ones waiting for their final packet (a stable order, so that a choice
  // does not depend on heap addresses).
  std::vector<SocketObject*> Live() const {
    std::vector<SocketObject*> all;
    for (SocketObject* obj : registered_) {
      if (obj != nullptr) all.push_back(obj);
    }
    all.insert(all.end(), zombies_.begin(), zombies_.end());
    return all;
  }
  std::vector<SocketObject*> Open() const {
    std::vector<SocketObject*> open;
    for (SocketObject* obj : Live()) {
      if (!kernel_.at(obj).closed) open.push_back(obj);
    }
    return open;
  }
  // Objects whose poll is outstanding and not completed yet.
  std::vector<SocketObject*> Waiting() const {
    std::vector<SocketObject*> waiting;
    for (SocketObject* obj : Live()) {
      const KernelSocket& k = kernel_.at(obj);
      if (k.polled && !k.completed) waiting.push_back(obj);
    }
    return waiting;
  }
  SocketObject* Pick(const std::vector<SocketObject*>& from) {
    return from.empty() ? nullptr : from[in_.Below(from.size())];
  }

  void Complete(SocketObject& obj, uint32_t status, uint32_t handles,
                uint32_t events) {
    KernelSocket& k = kernel_.at(&obj);
    TOFU_FUZZ_CHECK(k.polled && !k.completed);
    k.completed = true;
    queue_.push_back(Packet{&obj, status, handles, events});
  }

  void Register(size_t slot, uint32_t interest) {
    if (registered_[slot] != nullptr) return;
    SocketObject* obj = new SocketObject(*this);
    ++live_objects_;
    kernel_[obj] = KernelSocket{};
    registered_[slot] = obj;
    reported_[slot] = Readiness{};
    TOFU_FUZZ_CHECK(obj->SetInterest(interest, obj->driver) == kStatusSuccess);
    TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kIdle);
    TOFU_FUZZ_CHECK(obj->WantsSubmit() == (interest != 0));
  }

  void SetInterest(size_t slot, uint32_t interest) {
    SocketObject* obj = registered_[slot];
    if (obj == nullptr) return;
    const PollState::Status before = obj->status();
    const uint32_t old_interest = obj->interest();
    const uint32_t pending = obj->pending_interest();
    const bool ended = obj->ended();
    const int cancels = cancels_;
    const int faults = faults_;
    const uint32_t result = obj->SetInterest(interest, obj->driver);
    if (ended) {
      TOFU_FUZZ_CHECK(result == kStatusSuccess);
      TOFU_FUZZ_CHECK(obj->interest() == old_interest);
      TOFU_FUZZ_CHECK(cancels_ == cancels);
      return;
    }
    TOFU_FUZZ_CHECK(obj->interest() == interest);
    if (before == PollState::Status::kPending && (interest & ~pending) != 0) {
      // Wider than the pending poll: cancelled, never a second poll.
      TOFU_FUZZ_CHECK(cancels_ == cancels + 1);
      if (faults_ != faults) {
        TOFU_FUZZ_CHECK(result == kStatusUnsuccessful);
        TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kPending);
        TOFU_FUZZ_CHECK(obj->WantsSubmit());
      } else {
        TOFU_FUZZ_CHECK(result == kStatusSuccess);
        TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kCancelled);
      }
    } else {
      TOFU_FUZZ_CHECK(result == kStatusSuccess);
      TOFU_FUZZ_CHECK(cancels_ == cancels);
      TOFU_FUZZ_CHECK(obj->status() == before);
    }
  }

  void Unregister(size_t slot, bool then_close) {
    SocketObject* obj = registered_[slot];
    if (obj == nullptr) return;
    const bool was_pending = obj->status() == PollState::Status::kPending;
    const int cancels = cancels_;
    const bool free_now = obj->Unregister(obj->driver);
    registered_[slot] = nullptr;
    TOFU_FUZZ_CHECK(cancels_ == cancels + (was_pending ? 1 : 0));
    TOFU_FUZZ_CHECK(free_now == !kernel_.at(obj).polled);
    // Only a cancel that failed is left to do (by the next pass).
    TOFU_FUZZ_CHECK(obj->WantsSubmit() ==
                    (obj->status() == PollState::Status::kPending));
    if (free_now) {
      Free(obj);
      return;
    }
    zombies_.push_back(obj);
    // The reactor closes the socket right after unregistering it.
    if (then_close && !kernel_.at(obj).closed) Close(*obj, in_.Below(3));
  }

  // closesocket(): completes the outstanding poll (how depends on where the
  // poll was issued: LOCAL_CLOSE through a helper handle; possibly a
  // cancellation or an invalid handle when issued on the socket itself).
  void Close(SocketObject& obj, size_t how) {
    KernelSocket& k = kernel_.at(&obj);
    const uint32_t ready = k.ready;
    k.closed = true;
    k.ready = 0;
    if (!k.polled || k.completed) return;
    switch (how) {
      case 0:
        // Whatever else held is reported with it, and must be ignored.
        Complete(obj, kStatusSuccess, 1,
                 kPollLocalClose | (ready & k.poll_events));
        break;
      case 1:
        Complete(obj, kStatusCancelled, 0, 0);
        break;
      default:
        Complete(obj, kStatusInvalidHandle, 0, 0);
        break;
    }
  }

  void SetReady(SocketObject& obj, uint32_t conditions) {
    KernelSocket& k = kernel_.at(&obj);
    if (k.closed) return;
    k.ready = conditions & kPollAllEvents & ~kPollLocalClose;
    if (k.polled && !k.completed && (k.ready & k.poll_events)) {
      Complete(obj, kStatusSuccess, 1, k.ready & k.poll_events);
    }
  }

  // The poller's lazy re-arm pass, just before it waits.
  void SubmitPass() {
    for (SocketObject* obj : registered_) {
      if (obj == nullptr) continue;
      const bool idle = obj->status() == PollState::Status::kIdle;
      const bool wants =
          !obj->ended() &&
          (idle ? obj->interest() != 0
                : obj->status() == PollState::Status::kPending &&
                      (obj->interest() & ~obj->pending_interest()) != 0);
      TOFU_FUZZ_CHECK(obj->WantsSubmit() == wants);
      const int faults = faults_;
      const PollState::SubmitResult r = obj->Submit(obj->driver);
      using Kind = PollState::SubmitResult::Kind;
      const KernelSocket& k = kernel_.at(obj);
      switch (r.kind) {
        case Kind::kNothing:
          TOFU_FUZZ_CHECK(!wants);
          break;
        case Kind::kSubmitted:
          TOFU_FUZZ_CHECK(wants && idle && k.polled);
          TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kPending);
          TOFU_FUZZ_CHECK(obj->pending_interest() == obj->interest());
          break;
        case Kind::kCancelRequested:
          TOFU_FUZZ_CHECK(wants && !idle);
          TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kCancelled);
          break;
        case Kind::kEnded:
          TOFU_FUZZ_CHECK(wants && idle && k.closed && !k.polled);
          TOFU_FUZZ_CHECK(obj->ended() && !obj->WantsSubmit());
          break;
        case Kind::kFailed:
          TOFU_FUZZ_CHECK(wants && faults_ == faults + 1);
          TOFU_FUZZ_CHECK(obj->WantsSubmit());
          break;
      }
      // Lazy re-arm is complete: a live, interested socket has its poll.
      if (faults_ == faults && !obj->ended() && obj->interest() != 0) {
        TOFU_FUZZ_CHECK(obj->status() != PollState::Status::kIdle);
        TOFU_FUZZ_CHECK(!obj->WantsSubmit());
      }
    }
    // Unregistered sockets: the pass retries a cancel that failed, and
    // nothing else.
    for (SocketObject* obj : zombies_) {
      const bool wants = obj->status() == PollState::Status::kPending;
      TOFU_FUZZ_CHECK(obj->WantsSubmit() == wants);
      const int faults = faults_;
      const PollState::SubmitResult r = obj->Submit(obj->driver);
      using Kind = PollState::SubmitResult::Kind;
      switch (r.kind) {
        case Kind::kNothing:
          TOFU_FUZZ_CHECK(!wants);
          break;
        case Kind::kCancelRequested:
          TOFU_FUZZ_CHECK(wants);
          TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kCancelled);
          break;
        case Kind::kFailed:
          TOFU_FUZZ_CHECK(wants && faults_ == faults + 1);
          break;
        case Kind::kSubmitted:
        case Kind::kEnded:
          TOFU_FUZZ_CHECK(false);  // never a poll for an unregistered socket
          break;
      }
    }
  }

  void Deliver(size_t index) {
    const Packet p = queue_[index];
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(index));
    SocketObject* obj = p.target;
    KernelSocket& k = kernel_.at(obj);
    TOFU_FUZZ_CHECK(k.polled && k.completed);
    TOFU_FUZZ_CHECK(obj->status() != PollState::Status::kIdle);
    TOFU_FUZZ_CHECK(!obj->ended());
    k.polled = false;
    k.completed = false;
    k.cancel_requested = false;
    const int slot = SlotOf(obj);
    const uint32_t interest = obj->interest();
    const PollState::CompletionResult r =
        obj->OnCompletion(p.status, p.handles, p.events);
    if (slot < 0) {
      // Unregistered: its final packet frees it, and reports nothing.
      TOFU_FUZZ_CHECK(r.free_now);
      TOFU_FUZZ_CHECK(!r.readiness.any());
      TOFU_FUZZ_CHECK(!r.ended);
      for (size_t i = 0; i < zombies_.size(); ++i) {
        if (zombies_[i] == obj) {
          zombies_.erase(zombies_.begin() + static_cast<std::ptrdiff_t>(i));
          break;
        }
      }
      Free(obj);
      return;
    }
    TOFU_FUZZ_CHECK(!r.free_now);
    const Expected want = ExpectedCompletion(p, interest);
    TOFU_FUZZ_CHECK(r.readiness == want.readiness);
    TOFU_FUZZ_CHECK(r.ended == want.ended);
    TOFU_FUZZ_CHECK(obj->ended() == want.ended);
    TOFU_FUZZ_CHECK(obj->status() == PollState::Status::kIdle);
    TOFU_FUZZ_CHECK(obj->WantsSubmit() ==
                    (!want.ended && obj->interest() != 0));
    Readiness& seen = reported_[static_cast<size_t>(slot)];
    seen.readable = seen.readable || r.readiness.readable;
    seen.writable = seen.writable || r.readiness.writable;
    seen.error = seen.error || r.readiness.error;
  }

  void Free(SocketObject* obj) {
    TOFU_FUZZ_CHECK(kernel_.count(obj) == 1);
    TOFU_FUZZ_CHECK(!kernel_.at(obj).polled);
    for (const Packet& p : queue_) TOFU_FUZZ_CHECK(p.target != obj);
    TOFU_FUZZ_CHECK(SlotOf(obj) < 0);
    kernel_.erase(obj);
    delete obj;
    --live_objects_;
  }

  void CheckConsistency() const {
    const std::vector<SocketObject*> live = Live();
    TOFU_FUZZ_CHECK(kernel_.size() == live.size());
    TOFU_FUZZ_CHECK(static_cast<size_t>(live_objects_) == live.size());
    for (SocketObject* obj : live) {
      const KernelSocket& k = kernel_.at(obj);
      TOFU_FUZZ_CHECK((obj->status() != PollState::Status::kIdle) == k.polled);
      if (obj->status() == PollState::Status::kPending) {
        TOFU_FUZZ_CHECK(k.poll_events ==
                        AfdEventsForInterest(obj->pending_interest()));
      }
      if (obj->status() == PollState::Status::kCancelled) {
        TOFU_FUZZ_CHECK(k.completed);
      }
      if (obj->ended()) TOFU_FUZZ_CHECK(!k.polled);
    }
    for (SocketObject* obj : zombies_) {
      TOFU_FUZZ_CHECK(obj->delete_pending());
      TOFU_FUZZ_CHECK(kernel_.at(obj).polled);
    }
    for (const Packet& p : queue_) {
      TOFU_FUZZ_CHECK(kernel_.count(p.target) == 1);
      TOFU_FUZZ_CHECK(kernel_.at(p.target).completed);
    }
  }

  // No more faults: a few re-arm passes, each followed by dequeuing every
  // packet, must report every condition that holds for what a live socket
  // wants, whatever state the fuzzer left it in.
  void Settle() {
    settling_ = true;
    reported_.fill(Readiness{});
    for (int round = 0; round < kSettleRounds; ++round) {
      SubmitPass();
      while (!queue_.empty()) Deliver(0);
      CheckConsistency();
    }
    for (size_t slot = 0; slot < kSlots; ++slot) {
      SocketObject* obj = registered_[slot];
      if (obj == nullptr) continue;
      const KernelSocket& k = kernel_.at(obj);
      if (k.closed) {
        // A closed socket that is watched for anything has ended.
        if (obj->interest() != 0) TOFU_FUZZ_CHECK(obj->ended());
        continue;
      }
      if (obj->ended()) continue;
      const Readiness want = ExpectedReadiness(k.ready, obj->interest());
      const Readiness& seen = reported_[slot];
      TOFU_FUZZ_CHECK(!want.readable || seen.readable);
      TOFU_FUZZ_CHECK(!want.writable || seen.writable);
      TOFU_FUZZ_CHECK(!want.error || seen.error);
    }
  }

  // Unregister and close everything, dequeue every packet: every object must
  // have been freed, once.
  void TearDown() {
    for (size_t slot = 0; slot < kSlots; ++slot) {
      if (registered_[slot] != nullptr) Unregister(slot, true);
    }
    for (SocketObject* obj : Live()) {
      if (!kernel_.at(obj).closed) Close(*obj, 0);
    }
    while (!queue_.empty()) Deliver(0);
    TOFU_FUZZ_CHECK(zombies_.empty());
    TOFU_FUZZ_CHECK(kernel_.empty());
    TOFU_FUZZ_CHECK(live_objects_ == 0);
  }

  fuzz::ByteReader& in_;
  std::array<SocketObject*, kSlots> registered_{};
  // Unregistered objects waiting for their final packet.
  std::vector<SocketObject*> zombies_;
  std::map<const SocketObject*, KernelSocket> kernel_;
  std::vector<Packet> queue_;
  int live_objects_ = 0;
  int cancels_ = 0;
  int faults_ = 0;
  bool fail_next_submit_ = false;
  bool fail_next_cancel_ = false;
  bool race_next_cancel_ = false;
  uint32_t race_events_ = 0;
  bool settling_ = false;
  std::array<Readiness, kSlots> reported_{};
};

uint32_t SocketObject::Driver::Submit(uint32_t afd_events) {
  return harness_.Submit(&obj_, afd_events);
}

uint32_t SocketObject::Driver::Cancel() { return harness_.Cancel(&obj_); }

}  // namespace
}  // namespace tofu::afd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tofu::fuzz::ByteReader in(data, size);
  tofu::afd::Harness harness(in);
  harness.Run();
  return 0;
}
