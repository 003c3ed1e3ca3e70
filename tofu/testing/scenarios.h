#ifndef TOFU_TOFU_TESTING_SCENARIOS_H_
#define TOFU_TOFU_TESTING_SCENARIOS_H_

// Building blocks of the engine scenarios, numbered 1 to 12: (1) illegal
// posts, (2) update receiver, (3) create/destroy, (4) listen and connect, (5)
// reconnect on one thread, (6) reconnect on several, (7) echo to many clients,
// (8) loop and simultaneity, (9) graceful vs abortive close, (10)
// backpressure, (11) shutdown, (12) hostile peer. Shared by the
// scenario tests, the loop test and any backend's parity run. Everything
// reports through gtest assertions and may run on any thread; a helper that
// cannot go on returns an empty value after recording the failure.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tofu/tofu.h"
#include "transport/socket.h"

namespace tofu::scenario {

inline constexpr absl::Duration kWait = absl::Seconds(10);

enum class Transport { kTcp, kUds };
std::string TransportName(Transport transport);

// One group on an engine; several Envs may share one engine.
struct Env {
  std::shared_ptr<Engine> engine;
  std::unique_ptr<ChannelGroup> group;
};
Env NewEnv(Options options = {});
// Another group on `env`'s engine.
Env SameEngine(const Env& env);

// The next message, failing the test on timeout or error.
MessagePtr Next(ChannelGroup& group, absl::Duration timeout = kWait);

// A listener's channel and real address (the WelcomeResponse's ~listen_on).
struct Listener {
  uint16_t channel = 0;
  std::string address;
};
// Listens on `host` (TCP; 127.0.0.1 when empty) and `port`, or on the UDS
// `path` (a temporary one when empty), and checks the WelcomeResponse.
Listener Listen(Env& env, Transport transport, const std::string& where = "",
                uint16_t port = 0);

// Where a server that is not up yet will listen: a free port on a random
// 127.x.y.z (so concurrent scenarios do not meet), or a fresh UDS path.
struct FutureAddress {
  Transport transport;
  std::string host_or_path;
  uint16_t port = 0;
};
FutureAddress PickAddress(Transport transport);
Listener Listen(Env& env, const FutureAddress& at);

// Posts a HelloRequest to `address` (a ~listen_on value or FutureAddress).
BinaryHeader Connect(Env& env, const std::string& address);
BinaryHeader Connect(Env& env, const FutureAddress& to);

// Client and server channels of one connection.
struct Connection {
  uint16_t client = 0;
  uint16_t server = 0;
};
// Connects `client` to `l` and has `server` accept.
Connection Handshake(Env& server, Env& client, const Listener& l);

MessagePtr Make(Engine& engine, OpCode op, uint16_t channel,
                absl::string_view body = "", uint64_t id = 0);

// Expects the channel_closed notification of `channel` next.
void ExpectClosed(ChannelGroup& group, uint16_t channel);

// Closes `channel` with an oob ByeSignal and expects it back first.
void Abort(Env& env, uint16_t channel);

// Answers `m` (a HelloRequest, Request or ByeRequest from the peer) with its
// response opcode and posts it back; false for anything else.
bool Answer(ChannelGroup& group, MessagePtr& m);

// The raw bytes of a header, for hostile-peer tests.
std::string Bytes(const WireHeader& header);
// Writes all of `bytes` to a raw non-blocking socket, at most `chunk` bytes
// per call, in a bounded number of attempts.
void WriteRaw(Socket& s, absl::string_view bytes, size_t chunk);

// False (with the reason recorded as a skip) when `transport` is unavailable
// here: AF_UNIX on a Windows without it, such as Wine 8.
bool TransportAvailable(Transport transport);

// Whole scenarios, as numbered above. Each returns at once when
// its transport is unavailable.
void CreateAndDestroy();                          // 3
void ListenAndConnect(Transport transport);       // 4
void ReconnectSingleThread(Transport transport);  // 5
void ReconnectMultiThread(Transport transport);   // 6

}  // namespace tofu::scenario

#endif  // TOFU_TOFU_TESTING_SCENARIOS_H_
