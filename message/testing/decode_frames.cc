#include "message/testing/decode_frames.h"

#include <utility>

namespace tofu {

bool DecodeFrames(FrameDecoder& decoder, absl::Span<const uint8_t> bytes,
                  absl::FunctionRef<void(MessagePtr)> on_frame) {
  while (true) {
    switch (decoder.state()) {
      case FrameDecoder::State::kNeedMessage:
        decoder.Provide(Message::Create());
        continue;
      case FrameDecoder::State::kFrameReady:
        on_frame(decoder.TakeFrame());
        continue;
      case FrameDecoder::State::kFailed:
        return false;
      case FrameDecoder::State::kNeedBytes:
        break;
    }
    if (bytes.empty()) return true;
    bytes.remove_prefix(decoder.Feed(bytes));
  }
}

}  // namespace tofu
