#ifndef TOFU_STRESS_PAYLOAD_H_
#define TOFU_STRESS_PAYLOAD_H_

// Self-checking message bodies for the examples and the stress sweep.
//
// Every byte of a body is a function of its sequence number, the body's size
// and the byte's position, so a reader compares the whole body against what it
// must be: any changed byte is caught (not merely most of them, as with a
// checksum), and so is a body of another message or of another length. A body
// of `size` bytes that is at least kMinCheckedSize long carries its sequence
// number (8 bytes, little-endian), then a 32-bit check of that number and the
// size, then filler words derived from both. A reader can therefore tell a
// corrupted body (bad check or filler) from one that arrived out of order
// (intact, unexpected sequence number). Shorter bodies hold only filler bytes
// derived from the sequence number the reader expects.
//
// Filling and reading go a 64-bit word at a time, at about the speed of a
// memory copy (a 64 KiB body in a few microseconds), so the sweep measures the
// engine rather than its own verification. Pure functions; thread-safe.

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
