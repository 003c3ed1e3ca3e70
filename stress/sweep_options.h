#ifndef TOFU_STRESS_SWEEP_OPTIONS_H_
#define TOFU_STRESS_SWEEP_OPTIONS_H_

// The stress sweep's options: parsing the command-line text, validating it,
// the documented defaults, and what a run needs from the system (descriptors,
// ports, pool sizes). Pure functions, so all of it is unit-tested.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "stress/point.h"
#include "transport/address.h"

namespace tofu::stress {

// Limits the options are checked against.
inline constexpr int kMaxPipeline = 4096;
inline constexpr int kMaxClientThreads = 64;
inline constexpr int kMaxBodySize = 65535;
// An engine has channel numbers 1..65534 and keeps the last 1024 closed ones in
// quarantine; the server's engine also needs one for its listener.
inline constexpr int kMaxConnections = 65534 - 1024 - 1;
// Descriptors beyond one per socket: stdio, each engine's epoll and eventfd,
// the listener, files the run writes.
inline constexpr uint64_t kDescriptorSlack = 64;

// --messages=0 (the default) picks, per point, about
// min(kAutoMessageBudget, kAutoByteBudget / size) messages in all, split
// evenly over the connections, but at least kAutoMinPerConnection each.
inline constexpr int64_t kAutoMessageBudget = 60000;
inline constexpr int64_t kAutoByteBudget = int64_t{384} << 20;
inline constexpr int64_t kAutoMinPerConnection = 10;

// The flags as given (lists still as text). Defaults are the sweep's.
struct SweepFlags {
  std::string transports = "tcp,uds";
  std::string connections = "1,20,100,1000";
  std::string sizes = "64,1024,65535";
  std::string pattern = "echo";
  int64_t messages = 0;
  absl::Duration duration = absl::ZeroDuration();
  int64_t pipeline = 1;
  int64_t client_threads = 1;
  bool churn = false;
  int64_t churn_messages = 10;
  int64_t pool_messages = 0;
  // The engines' WaitReceive and I/O thread spins; nullopt keeps the engine's
  // default.
  std::optional<absl::Duration> receive_spin;
  std::optional<absl::Duration> io_spin;
  absl::Duration timeout = absl::Seconds(10);
  std::string listen;
  std::string connect;
};

// What the sweep runs, checked.
struct SweepOptions {
  std::vector<Transport> transports;
  std::vector<Pattern> patterns;
  std::vector<int> connections;  // ascending
  std::vector<int> sizes;        // ascending
  int64_t messages = 0;          // per connection; 0 = automatic
  absl::Duration duration = absl::ZeroDuration();
  int pipeline = 1;
  int client_threads = 1;
  bool churn = false;
  int churn_messages = 10;
  int pool_messages = 0;                       // per engine; 0 = automatic
  std::optional<absl::Duration> receive_spin;  // nullopt: the engine's default
  std::optional<absl::Duration> io_spin;       // nullopt: the engine's default
  absl::Duration timeout = absl::Seconds(10);
  // Exactly one half only: serve here (server role) ...
  std::optional<Address> listen;
  // ... or run the clients against a server there (client role).
  std::optional<Address> connect;
};

// "1,20,100": distinct integers in [min, max], returned ascending.
// invalid_argument naming `flag` and the offending item otherwise.
absl::StatusOr<std::vector<int>> ParseIntList(absl::string_view text,
                                              absl::string_view flag, int min,
                                              int max);
// "tcp,uds" and "echo,stream" (either order, each at most once).
absl::StatusOr<std::vector<Transport>> ParseTransports(absl::string_view text);
absl::StatusOr<std::vector<Pattern>> ParsePatterns(absl::string_view text);

// Parses and validates every flag; invalid_argument saying which flag is wrong
// and what is allowed.
absl::StatusOr<SweepOptions> MakeSweepOptions(const SweepFlags& flags);

// Fits `options` to a system without AF_UNIX stream sockets (`uds_supported`
// false; Wine, old Windows): uds is dropped from the transports, and the
// notice to print is returned (empty when nothing changed).
// failed_precondition when only uds was asked for, or --connect names a uds
// address.
absl::StatusOr<std::string> DropUnsupportedTransports(SweepOptions& options,
                                                      bool uds_supported);

// Messages per connection when --messages is 0 (see kAutoMessageBudget).
int64_t AutoMessages(int connections, int size);

// The points of the sweep in run order: transport, pattern, size, then
// connections ascending (so each chart line is contiguous). With --connect only
// the points of that address's transport.
std::vector<PointSpec> PlanPoints(const SweepOptions& options);

// Descriptors the run holds at most at once: one socket per connection for
// each half this process runs (two in-process), plus kDescriptorSlack.
uint64_t DescriptorsNeeded(const SweepOptions& options);

// OK unless the run opens more TCP connections at once than the system has
// ephemeral ports (`available`, unknown when nullopt): then
// resource_exhausted naming both numbers.
absl::Status CheckEphemeralPorts(const SweepOptions& options,
                                 std::optional<uint64_t> available);

// Messages each engine's pool keeps (initial = max) for `spec`:
// `pool_messages` if set, else room for two messages per one in flight plus
// 64, within a memory budget of about 128 MiB of bodies and at least 64.
uint16_t PoolMessagesFor(const PointSpec& spec, int pool_messages);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_SWEEP_OPTIONS_H_
