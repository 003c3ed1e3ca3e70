#ifndef TOFU_FUZZ_FUZZ_SUPPORT_H_
#define TOFU_FUZZ_FUZZ_SUPPORT_H_

// What every fuzz target shares: an invariant check that works in every build
// (libFuzzer, the replay tests, with or without NDEBUG) and a reader that turns
// the fuzzer's bytes into choices.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace tofu::fuzz {

[[noreturn]] inline void InvariantFailed(const char* condition,
                                         const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line,
               condition);
  std::abort();
}

// Hands out the input's bytes as choices. Reading past the end yields zeros,
// so every input, however short, is a complete run.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ == size_; }
  size_t remaining() const { return size_ - pos_; }
  const uint8_t* position() const { return data_ + pos_; }

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A value in [0, n), n > 0.
  size_t Below(size_t n) { return Byte() % n; }
  bool Bit() { return (Byte() & 1) != 0; }
  // Big-endian, like the wire format.
  uint16_t U16() {
    const uint16_t high = Byte();
    return static_cast<uint16_t>(high << 8 | Byte());
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace tofu::fuzz

// Aborts with the failed condition when an invariant does not hold: libFuzzer
// then saves the input as a crash, and a replay test fails.
#define TOFU_FUZZ_CHECK(condition) \
  ((condition)                     \
       ? static_cast<void>(0)      \
       : ::tofu::fuzz::InvariantFailed(#condition, __FILE__, __LINE__))

#endif  // TOFU_FUZZ_FUZZ_SUPPORT_H_
