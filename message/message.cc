#include "message/message.h"

#include "message/text_headers.h"

namespace tofu {

void MessageReleaser::operator()(Message* message) const noexcept {
  if (message->owner_ != nullptr) {
    message->owner_->Release(message);
  } else {
    delete message;
  }
}

MessagePtr Message::Create() { return MessagePtr(new Message); }

absl::Status Message::AddTextHeader(absl::string_view name,
                                    absl::string_view value) {
  return AppendTextHeader(text_headers_, name, value);
}

std::optional<absl::string_view> Message::FindTextHeader(
    absl::string_view name) const {
  return tofu::FindTextHeader(text_headers_.view(), name);
}

void Message::Reset() {
  header_ = BinaryHeader();
  text_headers_.Clear();
  body_.Clear();
  arrival_ = Arrival::kNone;
}

MessagePtr Message::Clone() const {
  MessagePtr copy = Create();
  copy->header_ = header_;
  copy->text_headers_.Append(text_headers_.view());
  copy->body_.Append(body_.view());
  return copy;
}

}  // namespace tofu
