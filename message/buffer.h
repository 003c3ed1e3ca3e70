#ifndef TOFU_MESSAGE_BUFFER_H_
#define TOFU_MESSAGE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <utility>

#include "absl/strings/string_view.h"

namespace tofu {

// A byte buffer whose capacity survives Clear(), so pooled messages reuse their
// memory. Growth is geometric (at least doubling, in steps of 256 bytes) and
// never less than what is asked for. Not thread-safe; a buffer belongs to its
// message.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  // Moving leaves `other` empty with no memory.
  Buffer(Buffer&& other) noexcept
      : data_(std::move(other.data_)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  Buffer& operator=(Buffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(data_.get()), size_);
  }

  // Length 0; capacity kept.
  void Clear() { size_ = 0; }
  // Sets the length to `n`. Bytes past the old length are left uninitialised:
  // the caller is about to overwrite them (a network read, a memcpy).
  void ResizeUninitialized(size_t n) {
    Reserve(n);
    size_ = n;
  }
  void Reserve(size_t n) {
    if (n > capacity_) Grow(n);
  }
  // The bytes appended or assigned may be a view of this buffer itself. Inline
  // while they fit: the engine appends every frame it decodes.
  void Append(const void* bytes, size_t n) {
    if (n > capacity_ - size_) return AppendGrowing(bytes, n);
    if (n > 0) std::memmove(data_.get() + size_, bytes, n);
    size_ += n;
  }
  void Append(absl::string_view bytes) { Append(bytes.data(), bytes.size()); }
  // Appends every part in order, growing at most once. Parts may view this
  // buffer's contents (up to size()), not its unused capacity.
  void Append(std::initializer_list<absl::string_view> parts);
  void Assign(absl::string_view bytes) {
    Clear();
    Append(bytes);
  }
  // Frees the memory (capacity 0).
  void Release();

 private:
  // Makes room for `n` bytes in all; returns the old storage (null if none
  // was needed), for the caller to free once it has copied from it.
  std::unique_ptr<uint8_t[]> Grow(size_t n);
  void AppendGrowing(const void* bytes, size_t n);

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace tofu

#endif  // TOFU_MESSAGE_BUFFER_H_
