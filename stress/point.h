#ifndef TOFU_STRESS_POINT_H_
#define TOFU_STRESS_POINT_H_

// One point of the stress sweep: what it runs (PointSpec) and what it measured
// (PointResult). Plain values, shared by the sweep, its two halves and the
// report writers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "stress/stats.h"

namespace tofu::stress {

enum class Transport { kTcp, kUds };
// Echo: Request/Response, `pipeline` requests in flight per connection.
// Stream: one-way Signals from client to server, at most `pipeline` of them
// not yet acknowledged by the server's credit Signals.
enum class Pattern { kEcho, kStream };

absl::string_view TransportName(Transport transport);  // "tcp", "uds"
absl::string_view PatternName(Pattern pattern);        // "echo", "stream"

struct PointSpec {
  Transport transport = Transport::kTcp;
  Pattern pattern = Pattern::kEcho;
  int connections = 1;
  int size = 64;  // body bytes, 0..65535
  // Messages per connection (churn: over all of its cycles). Unused when
  // `duration` is set.
  int64_t messages = 0;
  // When positive, every connection exchanges messages for this long instead.
  absl::Duration duration = absl::ZeroDuration();
  int pipeline = 1;
  int client_threads = 1;
  // Connect, exchange `churn_messages`, Bye, reconnect, ... per connection.
  bool churn = false;
  int churn_messages = 10;
};

// "tcp echo 100 conns 1024 B" (plus " churn").
std::string DescribePoint(const PointSpec& spec);

// Violations and unexpected engine statuses: how many there were, and the
// text of the first few (each naming the connection and sequence number).
struct Violations {
  static constexpr size_t kKept = 20;

  uint64_t count = 0;
  std::vector<std::string> first;

  void Add(std::string text);
  void Merge(const Violations& other);
};

struct PointResult {
  PointSpec spec;
  // Messages delivered and verified (echo: round trips) and their body bytes
  // (one way), during `elapsed`: from the moment every connection was up
  // (churn: from the first connect) until the last message was verified.
  uint64_t messages = 0;
  uint64_t body_bytes = 0;
  absl::Duration elapsed = absl::ZeroDuration();
  LatencySummary rtt;    // echo round trips
  LatencySummary setup;  // HelloRequest posted -> HelloResponse received
  uint64_t connections_opened = 0;
  // Process CPU (user + system) over the point, both halves when in-process.
  absl::Duration cpu = absl::ZeroDuration();
  // Wall time spent filling and checking bodies (stress/payload.h): the client
  // half's, plus the server half's when it runs in this process. Part of
  // `elapsed` wherever it sits on the path of a message (always, for one
  // connection), so MB/s is the engine's rate plus this verification.
  absl::Duration verify_time = absl::ZeroDuration();
  // Peak resident set: of the point where the platform can reset the peak
  // (Linux), else of the process so far.
  uint64_t peak_rss_bytes = 0;
  uint64_t pool_empty = 0;  // notifications, client and server
  Violations violations;    // client and server

  bool passed() const { return violations.count == 0; }
  double MessagesPerSecond() const;
  double MegabytesPerSecond() const;  // 10^6 bytes
  // verify_time per message (echo: per round trip), in ns; 0 without any.
  double VerifyNanosPerMessage() const;
  // verify_time as a share of `cpu` (0 to 1, or more when threads verified
  // while others slept); 0 without CPU time.
  double VerifyShareOfCpu() const;
};

// True when there was at least one point and every point passed.
bool AllPassed(const std::vector<PointResult>& results);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_POINT_H_
