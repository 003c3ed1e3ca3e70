#include "message/text_headers.h"

#include "absl/strings/str_cat.h"
#include "message/buffer.h"
#include "message/status.h"

namespace tofu {
namespace {

constexpr absl::string_view kCrLf = "\r\n";

absl::string_view TrimSpacesAndTabs(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool HasLineBreak(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

}  // namespace

absl::Status AppendTextHeader(Buffer& block, absl::string_view name,
                              absl::string_view value) {
  const absl::string_view trimmed = TrimSpacesAndTabs(name);
  if (trimmed.empty()) {
    return ToAbslStatus(StatusCode::kInvalidMessage, "empty text header name");
  }
  if (HasLineBreak(trimmed) || trimmed.find(':') != absl::string_view::npos) {
    return ToAbslStatus(StatusCode::kInvalidMessage,
                        "text header name contains CR, LF or ':'");
  }
  if (HasLineBreak(value)) {
    return ToAbslStatus(
        StatusCode::kInvalidMessage,
        absl::StrCat("value of text header '", trimmed, "' contains CR or LF"));
  }
  // One Append: `name` or `value` may be a view of `block` itself (a header
  // copied within its message), which growing must not free before the copy.
  block.Append({trimmed, ":", value, kCrLf});
  return absl::OkStatus();
}

std::optional<TextHeader> TextHeaderReader::Next() {
  while (pos_ < block_.size()) {
    const size_t crlf = block_.find(kCrLf, pos_);
    absl::string_view line;
    if (crlf == absl::string_view::npos) {
      line = block_.substr(pos_);
      pos_ = block_.size();
    } else if (crlf == pos_) {
      pos_ += kCrLf.size();
      continue;
    } else {
      line = block_.substr(pos_, crlf - pos_);
      pos_ = crlf + kCrLf.size();
    }
    const size_t colon = line.find(':');
    TextHeader header;
    if (colon == absl::string_view::npos) {
      header.name = line;
    } else {
      header.name = line.substr(0, colon);
      header.value = TrimSpacesAndTabs(line.substr(colon + 1));
    }
    if (header.name.empty()) {
      pos_ = block_.size();
      return std::nullopt;
    }
    return header;
  }
  return std::nullopt;
}

std::optional<absl::string_view> FindTextHeader(absl::string_view block,
                                                absl::string_view name) {
  TextHeaderReader reader(block);
  while (std::optional<TextHeader> header = reader.Next()) {
    if (header->name == name) return header->value;
  }
  return std::nullopt;
}

}  // namespace tofu
