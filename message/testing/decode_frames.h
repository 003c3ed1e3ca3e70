#ifndef TOFU_MESSAGE_TESTING_DECODE_FRAMES_H_
#define TOFU_MESSAGE_TESTING_DECODE_FRAMES_H_

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "message/frame_decoder.h"
#include "message/message.h"

namespace tofu {

// For code that plays a peer (tests, fuzzers): feeds all of `bytes` to
// `decoder`, assembling each frame in a new message of no pool, and passes
// every complete frame to `on_frame`. A partial frame stays in the decoder for
// the next call. False, with the rest of `bytes` unread, once the stream
// proves invalid (decoder.error() says why).
bool DecodeFrames(FrameDecoder& decoder, absl::Span<const uint8_t> bytes,
                  absl::FunctionRef<void(MessagePtr)> on_frame);

}  // namespace tofu

#endif  // TOFU_MESSAGE_TESTING_DECODE_FRAMES_H_
