#ifndef TOFU_STRESS_SERVER_H_
#define TOFU_STRESS_SERVER_H_

// The server half of the stress sweep (stress/stress_protocol.h): one engine
// listening on one address, one thread that accepts every HelloRequest,
// verifies every Request and stream Signal of every connection (sequence,
// body, size), echoes Requests, credits streams, answers Bye with what it
// verified, and checks that each connection ends with a completed Bye and its
// channel_closed.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "stress/point.h"
#include "tofu/tofu.h"
#include "transport/address.h"

namespace tofu::stress {

struct ServerStats {
  uint64_t connections_opened = 0;  // HelloRequests answered
  uint64_t connections_closed = 0;  // of those, closed (cleanly or not)
  uint64_t messages = 0;            // verified, on closed connections
  uint64_t pool_empty = 0;          // notifications
  // Wall time the serving thread spent checking bodies
  // (SequenceVerifier::Check), on closed connections.
  absl::Duration verify_time = absl::ZeroDuration();
  Violations violations;
};

struct ServerOptions {
  Options engine;  // the server engine's
  // Called on the serving thread with each violation (already counted), e.g.
  // to print it at once. Must not call back into the server.
  std::function<void(const std::string&)> on_violation;
};

// Threads: every method is thread-safe. The serving thread is the server's
// own; nothing else waits on its group.
class StressServer {
 public:
  // Creates the engine, listens on `listen` (a server address; port 0 or an
  // empty UDS path picks one) and starts serving. listen_failed and friends
  // (with the address) when the engine cannot listen; deadline_exceeded when
  // the engine does not answer the WelcomeRequest within `timeout`.
  static absl::StatusOr<std::unique_ptr<StressServer>> Start(
      const Address& listen, ServerOptions options, absl::Duration timeout);
  ~StressServer();  // Stop()
  StressServer(const StressServer&) = delete;
  StressServer& operator=(const StressServer&) = delete;

  // The address really listened on ("tcp|127.0.0.1|40123", "uds|/tmp/...").
  const std::string& address() const { return address_; }

  // Blocks until at least `connections` connections have closed (each is
  // counted once its channel_closed arrived), or fails with deadline_exceeded
  // naming how many opened and closed after `timeout`.
  absl::Status WaitForClosed(uint64_t connections, absl::Duration timeout);

  ServerStats stats() const;

  // Stops serving (connections still open are closed abortively), joins the
  // serving thread and destroys the engine. Idempotent.
  void Stop();

 private:
  struct Connection;

  StressServer(std::unique_ptr<Engine> engine,
               std::unique_ptr<ChannelGroup> group, std::string address,
               std::function<void(const std::string&)> on_violation);

  void Serve();
  // Each handles one message the serving thread received.
  void OnNotification(MessagePtr m);
  void OnHello(MessagePtr m);
  void OnData(MessagePtr m);
  void OnBye(MessagePtr m);
  void PostOrReport(MessagePtr m, const std::string& what);
  void Violation(const std::string& text);

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChannelGroup> group_;
  const std::string address_;
  const std::function<void(const std::string&)> on_violation_;
  std::thread thread_;
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;

  mutable absl::Mutex mu_;
  ServerStats stats_ ABSL_GUARDED_BY(mu_);

  // Serving thread only: open connections by server channel number.
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace tofu::stress

#endif  // TOFU_STRESS_SERVER_H_
