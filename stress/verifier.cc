#include "stress/verifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "stress/payload.h"

namespace tofu::stress {

absl::Status SequenceVerifier::Corrupt(uint64_t sequence,
                                       absl::string_view what) {
  ++counts_.corrupted;
  return absl::DataLossError(
      absl::StrCat("sequence ", sequence, ": ", what, " (corrupt)"));
}

absl::Status SequenceVerifier::Check(uint64_t message_id,
                                     absl::string_view body) {
  if (message_id == 0) return Corrupt(0, "message_id 0");
  if (body.size() != body_size_) {
    return Corrupt(message_id, absl::StrCat("body has ", body.size(),
                                            " bytes, expected ", body_size_));
  }
  absl::StatusOr<uint64_t> carried = ReadPayload(body, message_id);
  if (!carried.ok()) return Corrupt(message_id, carried.status().message());
  if (*carried != message_id) {
    return Corrupt(message_id,
                   absl::StrCat("body carries sequence ", *carried));
  }
  const uint64_t s = message_id;
  if (s == next_) {
    ++next_;
    ++received_;
    return absl::OkStatus();
  }
  if (s > next_) {
    const uint64_t first_missing = next_;
    gaps_.emplace(next_, s - 1);
    next_ = s + 1;
    ++received_;
    // Not counted yet: the gap is a reorder if it is filled later, else a loss.
    return absl::DataLossError(absl::StrCat(
        "expected sequence ", first_missing, ", got ", s, ": ", first_missing,
        s - 1 > first_missing ? absl::StrCat("..", s - 1) : "",
        " missing so far"));
  }
  // s < next_: either a gap filler arriving late, or a second copy.
  auto it = gaps_.upper_bound(s);
  if (it != gaps_.begin()) {
    --it;
    const uint64_t first = it->first;
    const uint64_t last = it->second;
    if (s <= last) {
      gaps_.erase(it);
      if (first < s) gaps_.emplace(first, s - 1);
      if (s < last) gaps_.emplace(s + 1, last);
      ++received_;
      ++counts_.reordered;
      return absl::DataLossError(absl::StrCat("sequence ", s, " arrived after ",
                                              next_ - 1, " (reordered)"));
    }
  }
  ++counts_.duplicated;
  return absl::DataLossError(
      absl::StrCat("sequence ", s, " arrived again (duplicate)"));
}

absl::Status SequenceVerifier::Finish(uint64_t sent) {
  // Everything from the first gap at or below `sent`, plus next_..sent.
  uint64_t missing = 0;
  uint64_t first_missing = 0;
  for (const auto& [first, last] : gaps_) {
    if (first > sent) break;
    if (first_missing == 0) first_missing = first;
    missing += std::min(last, sent) - first + 1;
  }
  if (next_ <= sent) {
    if (first_missing == 0) first_missing = next_;
    missing += sent - next_ + 1;
  }
  counts_.lost += missing;
  if (missing > 0) {
    return absl::DataLossError(absl::StrCat(
        missing, " of ", sent, " messages lost, the first is sequence ",
        first_missing, " (", received_, " arrived)"));
  }
  if (next_ - 1 > sent) {
    ++counts_.corrupted;
    return absl::DataLossError(absl::StrCat("sender says it sent ", sent,
                                            " messages, but sequence ",
                                            next_ - 1, " arrived"));
  }
  return absl::OkStatus();
}

}  // namespace tofu::stress
