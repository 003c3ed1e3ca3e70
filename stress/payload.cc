#include "stress/payload.h"

#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tofu {
namespace {

constexpr size_t kChecksumOffset = 8;

uint8_t PatternByte(uint64_t sequence, size_t offset) {
  return static_cast<uint8_t>((sequence * 131 + offset * 7) >> 1);
}

uint32_t Fnv1a(const uint8_t* data, size_t n, uint32_t h = 2166136261u) {
  for (size_t i = 0; i < n; ++i) h = (h ^ data[i]) * 16777619u;
  return h;
}

// Covers the sequence number and everything after the checksum field.
uint32_t Checksum(const uint8_t* body, size_t size) {
  return Fnv1a(body + kMinCheckedSize, size - kMinCheckedSize,
               Fnv1a(body, kChecksumOffset));
}

}  // namespace

void FillPayload(uint64_t sequence, size_t size, Buffer& body) {
  body.ResizeUninitialized(size);
  uint8_t* p = body.data();
  if (size < kMinCheckedSize) {
    for (size_t i = 0; i < size; ++i) p[i] = PatternByte(sequence, i);
    return;
  }
  absl::little_endian::Store64(p, sequence);
  for (size_t i = kMinCheckedSize; i < size; ++i) {
    p[i] = PatternByte(sequence, i);
  }
  absl::little_endian::Store32(p + kChecksumOffset, Checksum(p, size));
}

absl::StatusOr<uint64_t> ReadPayload(absl::string_view body,
                                     uint64_t expected) {
  const auto* p = reinterpret_cast<const uint8_t*>(body.data());
  uint64_t sequence = expected;
  size_t first = 0;
  if (body.size() >= kMinCheckedSize) {
    sequence = absl::little_endian::Load64(p);
    if (Checksum(p, body.size()) !=
        absl::little_endian::Load32(p + kChecksumOffset)) {
      return absl::DataLossError(absl::StrCat("body of ", body.size(),
                                              " bytes (sequence ", sequence,
                                              "?) fails its checksum"));
    }
    first = kMinCheckedSize;
  }
  for (size_t i = first; i < body.size(); ++i) {
    if (p[i] != PatternByte(sequence, i)) {
      return absl::DataLossError(
          absl::StrCat("body of sequence ", sequence, " differs at byte ", i));
    }
  }
  return sequence;
}

}  // namespace tofu
