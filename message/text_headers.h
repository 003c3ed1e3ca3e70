#ifndef TOFU_MESSAGE_TEXT_HEADERS_H_
#define TOFU_MESSAGE_TEXT_HEADERS_H_

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tofu {

class Buffer;

// Text headers are a block of `name:value\r\n` lines (docs/protocol.md,
// Text headers).

// Appends `name:value\r\n` to `block`. The name is trimmed of spaces and tabs
// and must then be non-empty and free of ':'; neither name nor value may
// contain CR or LF (no header injection). On error `block` is unchanged and the
// result is an InvalidArgument status naming the problem, carrying tofu status
// invalid_message (see ToAbslStatus). The block's total length is checked when
// the message is posted, not here.
absl::Status AppendTextHeader(Buffer& block, absl::string_view name,
                              absl::string_view value);

// One parsed line: the name as written (not trimmed) and the value trimmed of
// spaces and tabs. Views into the block being read.
struct TextHeader {
  absl::string_view name;
  absl::string_view value;
};

// A tolerant reader over a header block. Never fails: empty lines are skipped,
// a last line without CRLF still counts, a line splits at its first ':' (no ':'
// means an empty value), and an empty name ends the iteration. A lone CR or LF
// is ordinary content.
class TextHeaderReader {
 public:
  explicit TextHeaderReader(absl::string_view block) : block_(block) {}

  // The next header, or nullopt at the end.
  std::optional<TextHeader> Next();
  void Rewind() { pos_ = 0; }

 private:
  absl::string_view block_;
  size_t pos_ = 0;
};

// The headers of a block in order, for a range-for:
//   for (const TextHeader& h : TextHeaderRange(block)) ...
// Follows TextHeaderReader's rules; the views point into `block`, which must
// outlive the iteration.
class TextHeaderRange {
 public:
  class Iterator {
   public:
    using value_type = TextHeader;
    using difference_type = std::ptrdiff_t;
    using reference = const TextHeader&;
    using pointer = const TextHeader*;
    using iterator_category = std::input_iterator_tag;

    Iterator() = default;  // the end
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    Iterator& operator++() {
      current_ = reader_.Next();
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    // Iterators compare equal when both are at the end (an input range).
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.current_.has_value() == b.current_.has_value() &&
             (!a.current_.has_value() ||
              a.current_->name.data() == b.current_->name.data());
    }

   private:
    friend class TextHeaderRange;
    explicit Iterator(absl::string_view block)
        : reader_(block), current_(reader_.Next()) {}

    TextHeaderReader reader_{absl::string_view()};
    std::optional<TextHeader> current_;
  };

  explicit TextHeaderRange(absl::string_view block) : block_(block) {}
  Iterator begin() const { return Iterator(block_); }
  Iterator end() const { return Iterator(); }

 private:
  absl::string_view block_;
};

// The value of the first header named exactly `name`, following the reader's
// rules.
std::optional<absl::string_view> FindTextHeader(absl::string_view block,
                                                absl::string_view name);

}  // namespace tofu

#endif  // TOFU_MESSAGE_TEXT_HEADERS_H_
