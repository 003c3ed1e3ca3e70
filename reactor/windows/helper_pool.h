#ifndef TOFU_REACTOR_WINDOWS_HELPER_POOL_H_
#define TOFU_REACTOR_WINDOWS_HELPER_POOL_H_

// The \Device\Afd helper handles a poller issues its polls on, managed as
// wepoll manages its poll groups: each carries at most kSocketsPerHelper
// sockets, because NtCancelIoFileEx slows down as the polls pending on one
// handle grow in number (kSocketsPerHelper); a helper with room is found in
// constant time; a helper left with no sockets is closed unless it is the only
// one with room.
//
// Bound: a helper is opened only when every open helper is full, and at most
// one open helper has no sockets, so a pool never holds more than
// ceil(peak sockets / sockets per helper) helpers (peak: the most sockets
// acquired and not yet released at any one time), and never more than
// (sockets now) + 1.
//
// Not thread-safe: AfdPollSet calls it under its lock. Syscall-free: helpers
// are opened and closed through AfdSystem.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "reactor/windows/afd_system.h"

namespace tofu::afd {

// wepoll's figure; c-ares uses 128.
inline constexpr int kSocketsPerHelper = 32;

// One helper handle. `sockets` counts the PolledSockets assigned to it,
// including unregistered ones whose final packet is still to come.
struct Helper {
  Handle handle = 0;
  int sockets = 0;
  // Position in HelperPool::all_, and in HelperPool::with_room_ (-1 if full).
  size_t index = 0;
  int64_t room_index = -1;
};

class HelperPool {
 public:
  // `sockets_per_helper` (at least 1) is kSocketsPerHelper but in tests and
  // fuzzers, which use small values to reach many helpers with few sockets.
  explicit HelperPool(AfdSystem& system,
                      int sockets_per_helper = kSocketsPerHelper)
      : system_(system), per_helper_(sockets_per_helper) {}
  HelperPool(const HelperPool&) = delete;
  HelperPool& operator=(const HelperPool&) = delete;
  // Closes every helper still open. Polls still outstanding on them are then
  // cancelled by the system; their PolledSockets must be leaked, not freed.
  ~HelperPool();

  // A helper with room for one more socket, counted as taken: one already
  // open, or a new one. O(1).
  absl::StatusOr<Helper*> Acquire();
  // Gives back the place taken by Acquire() once the socket's final packet is
  // dequeued (no poll of it remains on the helper). O(1).
  void Release(Helper* helper);

  size_t helpers() const { return all_.size(); }

 private:
  void AddRoom(Helper* helper);
  void RemoveRoom(Helper* helper);

  AfdSystem& system_;
  const int per_helper_;
  std::vector<std::unique_ptr<Helper>> all_;
  std::vector<Helper*> with_room_;
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_HELPER_POOL_H_
