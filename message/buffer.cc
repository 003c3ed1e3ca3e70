#include "message/buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tofu {
namespace {

constexpr size_t kGrowthStep = 256;

size_t RoundUp(size_t n) {
  return (n + kGrowthStep - 1) / kGrowthStep * kGrowthStep;
}

}  // namespace

std::unique_ptr<uint8_t[]> Buffer::Grow(size_t n) {
  if (n <= capacity_) return nullptr;
  const size_t new_capacity = RoundUp(std::max(n, 2 * capacity_));
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[new_capacity]);
  if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
  capacity_ = new_capacity;
  return std::exchange(data_, std::move(bigger));
}

// Append frees the old storage only after copying: what it appends may be a
// view of the buffer's contents. memmove, since after Clear() (Assign)
// such a view may overlap the destination. (Parts of one multi-part Append
// that view bytes past size() could be overwritten by the parts before them;
// views of the contents cannot.)
void Buffer::AppendGrowing(const void* bytes, size_t n) {
  Append({absl::string_view(static_cast<const char*>(bytes), n)});
}

void Buffer::Append(std::initializer_list<absl::string_view> parts) {
  size_t n = 0;
  for (absl::string_view part : parts) n += part.size();
  const std::unique_ptr<uint8_t[]> old = Grow(size_ + n);
  for (absl::string_view part : parts) {
    if (part.empty()) continue;
    std::memmove(data_.get() + size_, part.data(), part.size());
    size_ += part.size();
  }
}

void Buffer::Release() {
  data_.reset();
  size_ = 0;
  capacity_ = 0;
}

}  // namespace tofu
