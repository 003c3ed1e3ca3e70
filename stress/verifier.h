#ifndef TOFU_STRESS_VERIFIER_H_
#define TOFU_STRESS_VERIFIER_H_

// Checks the messages one channel receives against what its sender promises:
// sequence numbers 1, 2, 3, ... in order, each exactly once, each body intact
// (stress/payload.h) and of the agreed size.

#include <cstddef>
#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tofu::stress {

// How many of each kind of violation a verifier has seen.
struct ViolationCounts {
  uint64_t lost = 0;        // never arrived (known at Finish)
  uint64_t duplicated = 0;  // arrived again
  uint64_t reordered = 0;   // arrived after a later one
  uint64_t corrupted = 0;   // bad body, size, or id/body mismatch
  uint64_t total() const { return lost + duplicated + reordered + corrupted; }
};

// One per channel; not thread-safe. A message's sequence number is its
// message_id, which a body of kMinCheckedSize bytes or more also carries (the
// two must agree). Memory is proportional to the number of gaps, not to the
// sequence numbers, so a corrupted id cannot make it allocate much.
class SequenceVerifier {
 public:
  explicit SequenceVerifier(size_t body_size) : body_size_(body_size) {}

  // Checks one received message. OK when it is intact and is the next in
  // sequence; otherwise data_loss saying what is wrong with which sequence
  // number ("sequence 7 arrived after 9 (reordered)", "sequence 3 arrived
  // again (duplicate)", "expected sequence 4, got 6: 4..5 missing so far",
  // "sequence 5: body of sequence 5 differs at byte 40", ...). A message out of
  // order still advances the tracking, so one loss is reported once.
  absl::Status Check(uint64_t message_id, absl::string_view body);

  // Called once the sender says it sent `sent` messages: data_loss naming the
  // first missing sequence numbers and how many are missing, or the surplus if
  // sequence numbers above `sent` arrived. Counts lost messages.
  absl::Status Finish(uint64_t sent);

  // Messages that passed Check (in order or late, not duplicates or corrupt).
  uint64_t received() const { return received_; }
  // The sequence number an in-order message would carry next.
  uint64_t next_expected() const { return next_; }
  const ViolationCounts& counts() const { return counts_; }

 private:
  absl::Status Corrupt(uint64_t sequence, absl::string_view what);

  const size_t body_size_;
  uint64_t next_ = 1;
  uint64_t received_ = 0;
  // Missing sequence numbers below next_: first -> last (inclusive).
  std::map<uint64_t, uint64_t> gaps_;
  ViolationCounts counts_;
};

}  // namespace tofu::stress

#endif  // TOFU_STRESS_VERIFIER_H_
