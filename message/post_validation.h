#ifndef TOFU_MESSAGE_POST_VALIDATION_H_
#define TOFU_MESSAGE_POST_VALIDATION_H_

#include "message/message.h"
#include "message/status.h"

namespace tofu {

// Checks and prepares a message an application is posting, in the exact order
// of docs/protocol.md, Posting:
//   1. opcode not 0..9 -> invalid_op_code
//   2. origin := application, status := 0
//   3. response role with message_id 0 -> invalid_message_id
//   4. `more` on a non-regular type -> invalid_more_usage
//   5. channel 0 on anything but Hello/WelcomeRequest -> invalid_channel_number
//   6. text headers > 65535 bytes -> invalid_headers_len (else thl := their
//   length)
//   7. Hello/WelcomeRequest without text headers -> wrong_address
//   8. body > 65535 bytes -> invalid_body_len (else bl := its length)
//   9. message_id 0 -> the next process-wide id
// Returns kSuccess, or the error, which is also written into the message's
// status byte. Channel existence and ownership are the engine's checks, not
// this function's.
StatusCode PrepareForPost(Message& message);

}  // namespace tofu

#endif  // TOFU_MESSAGE_POST_VALIDATION_H_
