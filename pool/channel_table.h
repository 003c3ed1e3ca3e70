#ifndef TOFU_POOL_CHANNEL_TABLE_H_
#define TOFU_POOL_CHANNEL_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "message/binary_header.h"
#include "message/status.h"

namespace tofu {

// Names one opening of a channel: its number plus the generation of that
// opening. A token kept after the channel closed never finds the channel that
// later reuses the number. Packs into 64 bits, so it can ride in an epoll/IOCP
// completion key.
struct ChannelToken {
  uint16_t number = 0;
  uint32_t generation = 0;

  uint64_t Pack() const { return (uint64_t{generation} << 16) | number; }
  static ChannelToken Unpack(uint64_t packed) {
    return {static_cast<uint16_t>(packed & 0xFFFF),
            static_cast<uint32_t>(packed >> 16)};
  }
  friend bool operator==(const ChannelToken&, const ChannelToken&) = default;
};

// Hands out channel numbers 1..65534 and keeps each open channel's state at a
// stable address.
//
// A released number is quarantined: it is handed out again only after
// `quarantine` other numbers have been released since (and all never-used
// numbers come first), so a late message for a closed channel cannot land on a
// new one. When every number is open or in quarantine, Open fails with
// resource_exhausted rather than reuse a number early.
//
// Threads: Open, Close, CheckOwner and Hint are thread-safe (application
// threads open channels when they post a Hello/WelcomeRequest; the engine's
// loop opens accepted channels and closes them). Find and SetHint are for the
// owner of the states (in the engine, whichever thread holds the loop's lock);
// the State itself is not synchronised by the table. `owner` is an opaque id
// (the channel group) checked by CheckOwner.
template <typename State>
class ChannelTable {
 public:
  static constexpr size_t kDefaultQuarantine = 1024;

  explicit ChannelTable(size_t quarantine = kDefaultQuarantine)
      : quarantine_(quarantine) {
    for (uint32_t n = kMinChannelNumber; n <= kMaxChannelNumber; ++n) {
      free_.push_back(static_cast<uint16_t>(n));
    }
  }
  ChannelTable(const ChannelTable&) = delete;
  ChannelTable& operator=(const ChannelTable&) = delete;
  ~ChannelTable() {
    for (size_t n = 0; n <= kMaxChannelNumber; ++n) {
      delete slots_[n].load(std::memory_order_relaxed);
    }
  }

  // Opens a new channel owned by `owner`, constructing its State from `args`.
  template <typename... Args>
  absl::StatusOr<ChannelToken> Open(uint64_t owner, Args&&... args) {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) {
      return absl::ResourceExhaustedError(
          "no free channel number: all 65534 are open or quarantined");
    }
    const uint16_t number = free_.front();
    free_.pop_front();
    Slot* slot = slots_[number].load(std::memory_order_relaxed);
    if (slot == nullptr) {
      slot = new Slot;
      slots_[number].store(slot, std::memory_order_release);
    }
    slot->owner.store(owner, std::memory_order_relaxed);
    slot->hint.store(false, std::memory_order_relaxed);
    slot->state.emplace(std::forward<Args>(args)...);
    const uint32_t generation =
        slot->generation.load(std::memory_order_relaxed) + 1;
    slot->generation.store(generation, std::memory_order_release);
    ++open_count_;
    return ChannelToken{number, generation};
  }

  // The open channel's token if `number` is open and owned by `owner`;
  // otherwise channel_closed (it was `owner`'s and is closed now: the
  // quarantine keeps that answer true for a while), invalid_channel_number (not
  // open) or invalid_channel_group (someone else's).
  absl::StatusOr<ChannelToken> CheckOwner(uint16_t number,
                                          uint64_t owner) const {
    // Without the lock for the common answer (open and `owner`'s), as a
    // seqlock reader: the owner read between two equal, odd generations
    // belongs to that opening (an owner changes only while closed).
    if (number >= kMinChannelNumber && number <= kMaxChannelNumber) {
      if (const Slot* slot = slots_[number].load(std::memory_order_acquire)) {
        const uint32_t before =
            slot->generation.load(std::memory_order_acquire);
        const uint64_t slot_owner = slot->owner.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (IsOpenGeneration(before) && slot_owner == owner &&
            slot->generation.load(std::memory_order_relaxed) == before) {
          return ChannelToken{number, before};
        }
      }
    }
    // Every other answer under the lock.
    absl::MutexLock lock(&mu_);
    const Slot* slot = OpenSlotLocked(number);
    if (slot == nullptr) {
      const Slot* closed =
          number >= kMinChannelNumber && number <= kMaxChannelNumber
              ? slots_[number].load(std::memory_order_relaxed)
              : nullptr;
      return ToAbslStatus(
          closed != nullptr &&
                  closed->owner.load(std::memory_order_relaxed) == owner
              ? StatusCode::kChannelClosed
              : StatusCode::kInvalidChannelNumber);
    }
    if (slot->owner.load(std::memory_order_relaxed) != owner)
      return ToAbslStatus(StatusCode::kInvalidChannelGroup);
    return ChannelToken{number,
                        slot->generation.load(std::memory_order_relaxed)};
  }

  // The state of the opening `token` names, or nullptr if that opening was
  // closed.
  State* Find(ChannelToken token) const {
    Slot* slot = SlotOf(token);
    return slot == nullptr ? nullptr : &*slot->state;
  }

  // Whether the opening `token` names is still open. Thread-safe; exact when
  // the caller holds a lock that every Close of it is made under, otherwise
  // true only a moment ago.
  bool IsOpen(ChannelToken token) const { return SlotOf(token) != nullptr; }

  // A flag of the opening `token` names, false when it opens, for other threads
  // to read with Hint: advice only, since a reader may see it a moment late
  // (the engine's loop says how a channel's frames are best written). The
  // states' owner only; nothing happens if that opening is closed.
  void SetHint(ChannelToken token, bool value) {
    if (Slot* slot = SlotOf(token)) {
      slot->hint.store(value, std::memory_order_relaxed);
    }
  }
  // The flag SetHint set on the opening `token` names; false once it closed.
  bool Hint(ChannelToken token) const {
    // As CheckOwner reads the owner: between two loads of the same open
    // generation (SlotOf's, then the one below), the flag read belongs to
    // that opening (Open clears it before it publishes the generation).
    const Slot* slot = SlotOf(token);
    if (slot == nullptr) return false;
    const bool hint = slot->hint.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    return hint &&
           slot->generation.load(std::memory_order_relaxed) == token.generation;
  }

  // Closes the opening `token` names: destroys its State and quarantines the
  // number. Returns false (and does nothing) if that opening is already closed.
  bool Close(ChannelToken token) {
    std::optional<State> dying;
    {
      absl::MutexLock lock(&mu_);
      Slot* slot = OpenSlotLocked(token.number);
      if (slot == nullptr || slot->generation.load(std::memory_order_relaxed) !=
                                 token.generation) {
        return false;
      }
      slot->generation.store(token.generation + 1, std::memory_order_release);
      dying = std::move(slot->state);
      slot->state.reset();
      --open_count_;
      quarantined_.push_back(token.number);
      if (quarantined_.size() > quarantine_) {
        free_.push_back(quarantined_.front());
        quarantined_.pop_front();
      }
    }
    return true;
  }

  size_t open_count() const {
    absl::MutexLock lock(&mu_);
    return open_count_;
  }

 private:
  struct Slot {
    // Odd while open, even while closed; bumped on every open and close.
    std::atomic<uint32_t> generation{0};
    // Written under the lock while closed; read by CheckOwner without it.
    std::atomic<uint64_t> owner{0};
    // See SetHint.
    std::atomic<bool> hint{false};
    std::optional<State> state;
  };

  static bool IsOpenGeneration(uint32_t generation) {
    return (generation & 1) != 0;
  }

  // The slot of the opening `token` names, while that opening is open;
  // without the lock (the generation is loaded with acquire).
  Slot* SlotOf(ChannelToken token) const {
    if (token.number < kMinChannelNumber || token.number > kMaxChannelNumber ||
        !IsOpenGeneration(token.generation)) {
      return nullptr;
    }
    Slot* slot = slots_[token.number].load(std::memory_order_acquire);
    if (slot == nullptr ||
        slot->generation.load(std::memory_order_acquire) != token.generation) {
      return nullptr;
    }
    return slot;
  }

  Slot* OpenSlotLocked(uint16_t number) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (number < kMinChannelNumber || number > kMaxChannelNumber)
      return nullptr;
    Slot* slot = slots_[number].load(std::memory_order_relaxed);
    if (slot == nullptr ||
        !IsOpenGeneration(slot->generation.load(std::memory_order_relaxed))) {
      return nullptr;
    }
    return slot;
  }

  const size_t quarantine_;
  mutable absl::Mutex mu_;
  std::deque<uint16_t> free_ ABSL_GUARDED_BY(mu_);
  std::deque<uint16_t> quarantined_ ABSL_GUARDED_BY(mu_);
  size_t open_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Indexed by channel number; a slot, once created, lives as long as the
  // table.
  std::unique_ptr<std::atomic<Slot*>[]> slots_storage_ =
      std::make_unique<std::atomic<Slot*>[]>(size_t{kMaxChannelNumber} + 1);
  std::atomic<Slot*>* const slots_ = slots_storage_.get();
};

}  // namespace tofu

#endif  // TOFU_POOL_CHANNEL_TABLE_H_
