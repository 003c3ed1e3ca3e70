#include "stress/payload.h"

#include <algorithm>
#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tofu {
namespace {

constexpr size_t kCheckOffset = 8;
// Filler word k is Seed + k * kStep: odd, so no two words of a body are equal.
constexpr uint64_t kStep = 0x9e3779b97f4a7c15u;
// Words compared per block: the block's differences are OR-ed together
// without a branch (which the compiler can vectorise), and only a block that
// differs is searched for its first bad byte.
constexpr size_t kBlockWords = 32;

// A bijective 64-bit mix (the splitmix64 finaliser): nearby sequence numbers
// get unrelated seeds.
uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

uint64_t Seed(uint64_t sequence, size_t size) {
  return Mix(sequence ^ Mix(static_cast<uint64_t>(size) + kStep));
}

uint32_t Check(uint64_t sequence, size_t size) {
  return static_cast<uint32_t>(Seed(sequence, size) >> 32);
}

// Writes the filler of `seed` over p[0, n).
void Fill(uint64_t seed, uint8_t* p, size_t n) {
  const size_t words = n / 8;
  for (size_t k = 0; k < words; ++k) {
    absl::little_endian::Store64(p + 8 * k, seed + k * kStep);
  }
  if (n % 8 == 0) return;  // and p may be null when n is 0
  uint8_t tail[8];
  absl::little_endian::Store64(tail, seed + words * kStep);
  std::memcpy(p + 8 * words, tail, n % 8);
}

// The offset in [0, n) of the first byte of p that differs from the filler of
// `seed`, or n when none does.
size_t FirstMismatch(uint64_t seed, const uint8_t* p, size_t n) {
  const size_t words = n / 8;
  for (size_t block = 0; block < words; block += kBlockWords) {
    const size_t end = std::min(words, block + kBlockWords);
    uint64_t diff = 0;
    for (size_t k = block; k < end; ++k) {
      diff |= absl::little_endian::Load64(p + 8 * k) ^ (seed + k * kStep);
    }
    if (diff == 0) continue;
    for (size_t k = block; k < end; ++k) {
      const uint64_t d =
          absl::little_endian::Load64(p + 8 * k) ^ (seed + k * kStep);
      if (d != 0) return 8 * k + static_cast<size_t>(__builtin_ctzll(d)) / 8;
    }
  }
  uint8_t tail[8];
  absl::little_endian::Store64(tail, seed + words * kStep);
  for (size_t i = 8 * words; i < n; ++i) {
    if (p[i] != tail[i - 8 * words]) return i;
  }
  return n;
}

}  // namespace

void FillPayload(uint64_t sequence, size_t size, Buffer& body) {
  body.ResizeUninitialized(size);
  uint8_t* p = body.data();
  if (size < kMinCheckedSize) {
    Fill(Seed(sequence, size), p, size);
    return;
  }
  absl::little_endian::Store64(p, sequence);
  absl::little_endian::Store32(p + kCheckOffset, Check(sequence, size));
  Fill(Seed(sequence, size), p + kMinCheckedSize, size - kMinCheckedSize);
}

absl::StatusOr<uint64_t> ReadPayload(absl::string_view body,
                                     uint64_t expected) {
  const auto* p = reinterpret_cast<const uint8_t*>(body.data());
  const size_t size = body.size();
  if (size < kMinCheckedSize) {
    const size_t bad = FirstMismatch(Seed(expected, size), p, size);
    if (bad == size) return expected;
    return absl::DataLossError(
        absl::StrCat("body of sequence ", expected, " differs at byte ", bad));
  }
  const uint64_t sequence = absl::little_endian::Load64(p);
  if (absl::little_endian::Load32(p + kCheckOffset) != Check(sequence, size)) {
    return absl::DataLossError(absl::StrCat("body of ", size,
                                            " bytes (sequence ", sequence,
                                            "?) fails its header check"));
  }
  const size_t bad = FirstMismatch(Seed(sequence, size), p + kMinCheckedSize,
                                   size - kMinCheckedSize);
  if (bad == size - kMinCheckedSize) return sequence;
  return absl::DataLossError(absl::StrCat("body of sequence ", sequence,
                                          " differs at byte ",
                                          kMinCheckedSize + bad));
}

}  // namespace tofu
