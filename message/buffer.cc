#include "message/buffer.h"

#include <algorithm>
#include <cstring>

namespace tofu {
namespace {

constexpr size_t kGrowthStep = 256;

size_t RoundUp(size_t n) {
  return (n + kGrowthStep - 1) / kGrowthStep * kGrowthStep;
}

}  // namespace

void Buffer::Reserve(size_t n) {
  if (n <= capacity_) return;
  const size_t new_capacity = RoundUp(std::max(n, 2 * capacity_));
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[new_capacity]);
  if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  capacity_ = new_capacity;
}

void Buffer::ResizeUninitialized(size_t n) {
  Reserve(n);
  size_ = n;
}

void Buffer::Append(const void* bytes, size_t n) {
  if (n == 0) return;
  Reserve(size_ + n);
  std::memcpy(data_.get() + size_, bytes, n);
  size_ += n;
}

void Buffer::Release() {
  data_.reset();
  size_ = 0;
  capacity_ = 0;
}

}  // namespace tofu
