#ifndef TOFU_TOFU_REQUESTS_H_
#define TOFU_TOFU_REQUESTS_H_

// Helpers that shape a message for the engine: Hello/WelcomeRequests from an
// Address, a reply from a received request, the address out of a
// WelcomeResponse. Included by tofu/tofu.h; applications include that. They
// touch only the message, so any thread that holds it may call them.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "message/message.h"
#include "transport/address.h"

namespace tofu {

// Turns `message` into a HelloRequest for `to` (text header `~connect_to`):
// the binary header is reset, other text headers and the body are kept (the
// peer receives them with the HelloRequest). invalid_address for an address
// the protocol cannot carry (an empty host, a path too long); the message is
// then unchanged.
absl::Status MakeHelloRequest(const Address& to, Message& message);

// Turns `message` into a WelcomeRequest to listen on `on` (text header
// `~listen_on`): an empty TCP host listens on all interfaces, port 0 picks a
// free port, an empty UDS path a temporary file. As MakeHelloRequest
// otherwise.
absl::Status MakeWelcomeRequest(const Address& on, Message& message);

// The address a listener is bound to, from the WelcomeResponse (status
// success) that answered its WelcomeRequest: the real port for port 0, the
// real path for an empty path. A listener on all interfaces reports the
// wildcard host ("0.0.0.0" or "::"): connect to a real address of the host
// instead (Windows refuses the wildcard). invalid_address for any other
// message.
absl::StatusOr<Address> ListenAddressOf(const Message& welcome_response);

// Turns a received request into its answer in place: Request -> Response,
// HelloRequest -> HelloResponse, ByeRequest -> ByeResponse. Channel number,
// message id, text headers and body are kept (an echo; clear or change them
// before posting as you like); status, origin, `more` and `oob` are cleared.
// invalid_op_code for any other opcode (a Signal has no answer); the message is
// then unchanged.
absl::Status MakeReply(Message& message);

}  // namespace tofu

#endif  // TOFU_TOFU_REQUESTS_H_
