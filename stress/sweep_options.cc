#include "stress/sweep_options.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tofu::stress {
namespace {

absl::Status Invalid(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
}

std::vector<absl::string_view> Items(absl::string_view text) {
  std::vector<absl::string_view> items = absl::StrSplit(text, ',');
  for (absl::string_view& item : items) {
    item = absl::StripAsciiWhitespace(item);
  }
  return items;
}

// Parses a list of names into distinct values of `T`, in the order given.
template <typename T, size_t N>
absl::StatusOr<std::vector<T>> ParseNames(
    absl::string_view text, absl::string_view flag,
    const std::pair<absl::string_view, T> (&names)[N]) {
  std::vector<T> out;
  std::string allowed;
  for (const auto& [name, value] : names) {
    absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", name);
  }
  for (absl::string_view item : Items(text)) {
    const auto* found =
        std::find_if(std::begin(names), std::end(names),
                     [item](const auto& n) { return n.first == item; });
    if (found == std::end(names)) {
      return Invalid(flag, absl::StrCat("'", item, "' is not one of ", allowed,
                                        " (comma-separated)"));
    }
    if (std::find(out.begin(), out.end(), found->second) != out.end()) {
      return Invalid(flag, absl::StrCat("'", item, "' is listed twice"));
    }
    out.push_back(found->second);
  }
  return out;
}

absl::Status CheckRange(int64_t value, absl::string_view flag, int64_t min,
                        int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return Invalid(flag, absl::StrCat(value, " is outside ", min, "..", max));
}

absl::StatusOr<Address> ParseAddressFlag(const std::string& text,
                                         absl::string_view flag,
                                         Address::Role role) {
  absl::StatusOr<Address> a = ParseAddressValue(text, role);
  if (a.ok()) return a;
  return Invalid(flag,
                 absl::StrCat("'", text, "' is not tcp|host|port or uds|path: ",
                              a.status().message()));
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseIntList(absl::string_view text,
                                              absl::string_view flag, int min,
                                              int max) {
  std::vector<int> out;
  for (absl::string_view item : Items(text)) {
    int value = 0;
    if (!absl::SimpleAtoi(item, &value)) {
      return Invalid(flag,
                     absl::StrCat("'", item,
                                  "' is not an integer (expected a "
                                  "comma-separated list such as 1,20,100)"));
    }
    if (absl::Status s = CheckRange(value, flag, min, max); !s.ok()) return s;
    if (std::find(out.begin(), out.end(), value) != out.end()) {
      return Invalid(flag, absl::StrCat(value, " is listed twice"));
    }
    out.push_back(value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<Transport>> ParseTransports(absl::string_view text) {
  static constexpr std::pair<absl::string_view, Transport> kNames[] = {
      {"tcp", Transport::kTcp}, {"uds", Transport::kUds}};
  return ParseNames(text, "transports", kNames);
}

absl::StatusOr<std::vector<Pattern>> ParsePatterns(absl::string_view text) {
  static constexpr std::pair<absl::string_view, Pattern> kNames[] = {
      {"echo", Pattern::kEcho}, {"stream", Pattern::kStream}};
  return ParseNames(text, "pattern", kNames);
}

absl::StatusOr<SweepOptions> MakeSweepOptions(const SweepFlags& flags) {
  SweepOptions o;
  absl::StatusOr<std::vector<Transport>> transports =
      ParseTransports(flags.transports);
  if (!transports.ok()) return transports.status();
  o.transports = *std::move(transports);
  absl::StatusOr<std::vector<Pattern>> patterns = ParsePatterns(flags.pattern);
  if (!patterns.ok()) return patterns.status();
  o.patterns = *std::move(patterns);
  absl::StatusOr<std::vector<int>> connections =
      ParseIntList(flags.connections, "connections", 1, kMaxConnections);
  if (!connections.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        connections.status().message(),
        " (an engine has 65534 channel numbers, 1024 of them held in "
        "quarantine after closes and one for the server's listener)"));
  }
  o.connections = *std::move(connections);
  absl::StatusOr<std::vector<int>> sizes =
      ParseIntList(flags.sizes, "sizes", 0, kMaxBodySize);
  if (!sizes.ok()) return sizes.status();
  o.sizes = *std::move(sizes);

  struct Bounded {
    int64_t value;
    absl::string_view flag;
    int64_t min;
    int64_t max;
  };
  for (const Bounded& b : {
           Bounded{flags.messages, "messages", 0, INT64_MAX},
           Bounded{flags.pipeline, "pipeline", 1, kMaxPipeline},
           Bounded{flags.client_threads, "client_threads", 1,
                   kMaxClientThreads},
           Bounded{flags.churn_messages, "churn_messages", 1, INT32_MAX},
           Bounded{flags.pool_messages, "pool_messages", 0, 65535},
       }) {
    if (absl::Status s = CheckRange(b.value, b.flag, b.min, b.max); !s.ok()) {
      return s;
    }
  }
  if (flags.duration < absl::ZeroDuration()) {
    return Invalid("duration", "must not be negative");
  }
  if (flags.messages > 0 && flags.duration > absl::ZeroDuration()) {
    return Invalid("duration",
                   "give either --messages or --duration, not both");
  }
  if (flags.receive_spin.has_value() &&
      *flags.receive_spin < absl::ZeroDuration()) {
    return Invalid("receive_spin", "must not be negative");
  }
  if (flags.io_spin.has_value() && *flags.io_spin < absl::ZeroDuration()) {
    return Invalid("io_spin", "must not be negative");
  }
  if (flags.timeout <= absl::ZeroDuration()) {
    return Invalid("timeout", "must be positive");
  }
  o.messages = flags.messages;
  o.duration = flags.duration;
  o.pipeline = static_cast<int>(flags.pipeline);
  o.client_threads = static_cast<int>(flags.client_threads);
  o.churn = flags.churn;
  o.churn_messages = static_cast<int>(flags.churn_messages);
  o.pool_messages = static_cast<int>(flags.pool_messages);
  o.receive_spin = flags.receive_spin;
  o.io_spin = flags.io_spin;
  o.timeout = flags.timeout;

  if (!flags.listen.empty() && !flags.connect.empty()) {
    return Invalid("listen", "--listen and --connect exclude each other");
  }
  if (!flags.listen.empty()) {
    absl::StatusOr<Address> a =
        ParseAddressFlag(flags.listen, "listen", Address::Role::kServer);
    if (!a.ok()) return a.status();
    o.listen = *a;
  }
  if (!flags.connect.empty()) {
    absl::StatusOr<Address> a =
        ParseAddressFlag(flags.connect, "connect", Address::Role::kClient);
    if (!a.ok()) return a.status();
    const Transport t = a->transport == Address::Transport::kTcp
                            ? Transport::kTcp
                            : Transport::kUds;
    if (std::find(o.transports.begin(), o.transports.end(), t) ==
        o.transports.end()) {
      return Invalid("connect",
                     absl::StrCat("the address is ", TransportName(t),
                                  ", which --transports does not list"));
    }
    o.connect = *a;
  }
  return o;
}

absl::StatusOr<std::string> DropUnsupportedTransports(SweepOptions& options,
                                                      bool uds_supported) {
  std::vector<Transport>& t = options.transports;
  const auto uds = std::find(t.begin(), t.end(), Transport::kUds);
  if (uds_supported || uds == t.end()) return std::string();
  constexpr absl::string_view kWhy =
      "AF_UNIX stream sockets are not available on this system";
  if (t.size() == 1 ||
      (options.connect.has_value() &&
       options.connect->transport == Address::Transport::kUds)) {
    return absl::FailedPreconditionError(
        absl::StrCat("uds: ", kWhy, "; use --transports=tcp"));
  }
  t.erase(uds);
  return absl::StrCat("skipping uds: ", kWhy);
}

int64_t AutoMessages(int connections, int size) {
  const int64_t total = std::min<int64_t>(kAutoMessageBudget,
                                          kAutoByteBudget / std::max(size, 1));
  return std::max<int64_t>(kAutoMinPerConnection, total / connections);
}

std::vector<PointSpec> PlanPoints(const SweepOptions& options) {
  std::vector<PointSpec> points;
  for (Transport transport : options.transports) {
    if (options.connect.has_value() &&
        (transport == Transport::kTcp) !=
            (options.connect->transport == Address::Transport::kTcp)) {
      continue;
    }
    for (Pattern pattern : options.patterns) {
      for (int size : options.sizes) {
        for (int connections : options.connections) {
          PointSpec p;
          p.transport = transport;
          p.pattern = pattern;
          p.connections = connections;
          p.size = size;
          p.duration = options.duration;
          if (options.duration <= absl::ZeroDuration()) {
            p.messages = options.messages > 0 ? options.messages
                                              : AutoMessages(connections, size);
          }
          p.pipeline = options.pipeline;
          p.client_threads = std::min(options.client_threads, connections);
          p.churn = options.churn;
          p.churn_messages = options.churn_messages;
          points.push_back(p);
        }
      }
    }
  }
  return points;
}

uint64_t DescriptorsNeeded(const SweepOptions& options) {
  const uint64_t most = static_cast<uint64_t>(options.connections.back());
  const bool both_halves = !options.listen && !options.connect;
  return (both_halves ? 2 : 1) * most + kDescriptorSlack;
}

absl::Status CheckEphemeralPorts(const SweepOptions& options,
                                 std::optional<uint64_t> available) {
  const bool tcp_clients =
      !options.listen &&
      std::find(options.transports.begin(), options.transports.end(),
                Transport::kTcp) != options.transports.end() &&
      (!options.connect ||
       options.connect->transport == Address::Transport::kTcp);
  const uint64_t most = static_cast<uint64_t>(options.connections.back());
  if (!tcp_clients || !available.has_value() || most <= *available) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "--connections=", most, " needs ", most,
      " local TCP ports at once, but the system hands out only ", *available,
      " (net.ipv4.ip_local_port_range): widen the range or use fewer "
      "connections"));
}

uint16_t PoolMessagesFor(const PointSpec& spec, int pool_messages) {
  if (pool_messages > 0) return static_cast<uint16_t>(pool_messages);
  constexpr int64_t kBodyBudget = int64_t{128} << 20;
  const int64_t in_flight =
      static_cast<int64_t>(spec.connections) * spec.pipeline;
  const int64_t cap =
      std::clamp<int64_t>(kBodyBudget / (spec.size + 512), 64, 65535);
  return static_cast<uint16_t>(
      std::clamp<int64_t>(2 * in_flight + 64, 64, cap));
}

}  // namespace tofu::stress
