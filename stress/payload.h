#ifndef TOFU_STRESS_PAYLOAD_H_
#define TOFU_STRESS_PAYLOAD_H_

// Self-checking message bodies for the examples and the stress sweep.
//
// A body of `size` bytes that is at least kMinCheckedSize long carries its
// sequence number (8 bytes, little-endian), then a 32-bit FNV-1a checksum of
// everything after it, then bytes derived from the sequence number. A reader
// can therefore tell a corrupted body (bad checksum) from one that arrived out
// of order (good checksum, unexpected sequence number). Shorter bodies hold
// only the derived bytes. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "message/buffer.h"

namespace tofu {

inline constexpr size_t kMinCheckedSize = 12;

// Replaces `body` with the payload of `sequence`.
void FillPayload(uint64_t sequence, size_t size, Buffer& body);

// The sequence number `body` carries, or data_loss naming the first bad byte.
// Bodies shorter than kMinCheckedSize carry no number: they are checked
// against `expected` instead, which is then returned.
absl::StatusOr<uint64_t> ReadPayload(absl::string_view body, uint64_t expected);

}  // namespace tofu

#endif  // TOFU_STRESS_PAYLOAD_H_
