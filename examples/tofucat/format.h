#ifndef TOFU_EXAMPLES_TOFUCAT_FORMAT_H_
#define TOFU_EXAMPLES_TOFUCAT_FORMAT_H_

// How tofucat prints a message: one line, human text or JSON. Pure functions
// of the message; any thread.

#include <string>

#include "tofu/tofu.h"

namespace tofu::tofucat {

// "frame Response ch=3 id=17 status=success headers={a: 1, b: 2}
// body="pong"": what the message is (Classify), its opcode and binary header
// fields, its text headers and its body, with bytes outside printable ASCII
// escaped as \xHH (and \\, \", \r, \n, \t).
std::string HumanLine(const Message& message);

// One JSON object with every field: kind, notification (for notifications),
// op, channel, message_id, status, origin, more, oob, headers (an array of
// [name, value] pairs, in order) and body. Strings are JSON strings; bytes
// outside ASCII are written as \u00HH (each byte one code point).
std::string JsonLine(const Message& message);

}  // namespace tofu::tofucat

#endif  // TOFU_EXAMPLES_TOFUCAT_FORMAT_H_
