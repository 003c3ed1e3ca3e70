#ifndef TOFU_STRESS_CLIENT_H_
#define TOFU_STRESS_CLIENT_H_

// The client half of one sweep point (stress/stress_protocol.h): an engine of
// its own, `client_threads` threads with one channel group each, and
// `connections` connections spread over them. Every message sent carries its
// sequence number (message_id) and a self-checking body; every Response is
// verified (order, duplicates, loss, corruption); every connection must end
// with ByeRequest, a ByeResponse confirming what the server verified, and
// channel_closed.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "stress/point.h"
#include "stress/stats.h"
#include "tofu/tofu.h"
#include "transport/address.h"

namespace tofu::stress {

struct ClientPlan {
  Address server;  // client role: where the server half listens
  PointSpec spec;
  // The longest wait for any one event (a Response, credit, HelloResponse,
  // ByeResponse or channel_closed) before the point fails.
  absl::Duration timeout = absl::Seconds(10);
  Options engine;  // the client engine's
};

struct ClientTotals {
  // Verified messages (echo: Responses; stream: what the servers' ByeResponses
  // confirm) and their body bytes, one way.
  uint64_t messages = 0;
  uint64_t body_bytes = 0;
  uint64_t connections_opened = 0;  // HelloResponses received
  uint64_t connections_closed = 0;  // Bye completed and channel_closed seen
  uint64_t pool_empty = 0;
  Violations violations;
  LatencyHistogram rtt;    // echo
  LatencyHistogram setup;  // HelloRequest posted -> HelloResponse
  // Wall time the client threads spent filling bodies (FillPayload) and
  // checking Responses (SequenceVerifier::Check), summed over the threads.
  absl::Duration verify_time = absl::ZeroDuration();
  // The measured phase: from the moment every connection was up (churn: from
  // the start) to the last verified message (stream: the last ByeResponse;
  // churn: the last close).
  absl::Duration elapsed = absl::ZeroDuration();
};

// Runs the client half of `plan` to the end: every connection closed cleanly,
// or the first violation, unexpected status or timeout (then a violation, and
// what is still open is closed abortively). `progress`, if not null, is
// advanced (relaxed) as messages are verified, for display. Blocks the calling
// thread; thread-safe.
ClientTotals RunClients(const ClientPlan& plan,
                        std::atomic<uint64_t>* progress);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_CLIENT_H_
