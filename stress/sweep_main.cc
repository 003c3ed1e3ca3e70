// sweep: the tofu stress sweep. See kUsage below, or run with --help.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "examples/stop_signal.h"
#include "stress/platform.h"
#include "stress/point.h"
#include "stress/progress.h"
#include "stress/report.h"
#include "stress/server.h"
#include "stress/svg_chart.h"
#include "stress/sweep.h"
#include "stress/sweep_options.h"
#include "tofu/tofu.h"
#include "transport/socket.h"

namespace {

const tofu::stress::SweepFlags kDefaults;

constexpr char kUsage[] =
    R"(tofu stress sweep: throughput, latency and correctness of
the engine over TCP and AF_UNIX loopback, point by point.

  sweep [flags]                       server and clients in this process
  sweep --listen=tcp|127.0.0.1|0      only the server half; prints its address
  sweep --connect=tcp|127.0.0.1|PORT  only the clients, against that server

Every point (transport x pattern x size x connections) gets a fresh server
engine and a fresh client engine. Each message carries its sequence number
(message_id) and a self-checking body (every byte compared, a word at a time);
the receiver checks that nothing is lost, duplicated, reordered or corrupted,
and every connection must close with ByeRequest/ByeResponse and
channel_closed on both sides. Any violation, unexpected engine status or
timeout (--timeout: the longest wait for any one event) stops the sweep with a
message naming the connection and the sequence number.

Measured per point: messages/s and MB/s (body bytes, one way; echo counts
round trips) over the phase after all connections are up (churn: all of it),
round-trip latency p50/p99/p99.9/max (echo), connection setup time (Hello to
HelloResponse), process CPU time, the verification's own cost (time spent
filling and checking bodies in both halves: ns per message and % of the CPU;
it is part of the time behind msg/s and MB/s), peak RSS, pool_empty
notifications, errors.

Default run (no flags): tcp and uds, 1/20/100/1000 connections, 64, 1024 and
65535-byte bodies, echo with 1 request in flight, 24 points in about a minute
on 2 cores. --messages=0 (the default) picks per point about
min(60000, 384 MiB / size) messages in all, split evenly over the
connections, at least 10 per connection: 60000 of 64 or 1024 bytes, 6144 of
65535 bytes (at 1000 connections: 60, 60 and 10 per connection).

Progress goes to stderr (a redrawn line on a terminal, else one line per
point), the table to stdout; --csv, --json and --svg write files as well.
Exit status: 0 all points passed, 1 a point failed or the system lacks
resources (descriptors, ports), 2 bad flags or an output file that cannot be
written.)";

}  // namespace

ABSL_FLAG(std::string, transports, kDefaults.transports,
          "comma-separated transports to sweep: tcp, uds");
ABSL_FLAG(std::string, connections, kDefaults.connections,
          "comma-separated connection counts (1..64509)");
ABSL_FLAG(std::string, sizes, kDefaults.sizes,
          "comma-separated body sizes in bytes (0..65535)");
ABSL_FLAG(std::string, pattern, kDefaults.pattern,
          "echo (Request/Response), stream (one-way Signals, credit-based "
          "flow control), or both: echo,stream");
ABSL_FLAG(int64_t, messages, kDefaults.messages,
          "messages per connection (churn: over all its cycles); 0 = "
          "automatic, see above");
ABSL_FLAG(absl::Duration, duration, kDefaults.duration,
          "run each point for this long (e.g. 10s) instead of a message "
          "count; 0 = use --messages");
ABSL_FLAG(int64_t, pipeline, kDefaults.pipeline,
          "requests in flight per connection (stream: unacknowledged "
          "messages), 1..4096");
ABSL_FLAG(int64_t, client_threads, kDefaults.client_threads,
          "client threads (one channel group each), 1..64; at most one per "
          "connection");
ABSL_FLAG(bool, churn, kDefaults.churn,
          "connect, exchange --churn_messages, Bye, reconnect, ... on every "
          "connection");
ABSL_FLAG(int64_t, churn_messages, kDefaults.churn_messages,
          "messages per connection cycle under --churn");
ABSL_FLAG(int64_t, pool_messages, kDefaults.pool_messages,
          "pool size of each engine (0 = two per message in flight plus 64, "
          "within ~128 MiB of bodies)");
ABSL_FLAG(absl::Duration, receive_spin, tofu::Options().receive_spin,
          "how long each engine's WaitReceive spins before it sleeps "
          "(tofu::Options::receive_spin; 0 = never)");
ABSL_FLAG(absl::Duration, io_spin, tofu::Options().io_spin,
          "how long each engine's I/O thread keeps polling after its last "
          "event before it sleeps (tofu::Options::io_spin; 0 = never)");
ABSL_FLAG(absl::Duration, timeout, kDefaults.timeout,
          "longest wait for any one event before a point fails");
ABSL_FLAG(std::string, listen, kDefaults.listen,
          "run only the server half, listening here (tcp|host|port or "
          "uds|path; port 0 picks one), until SIGINT/SIGTERM");
ABSL_FLAG(std::string, connect, kDefaults.connect,
          "run only the clients, against the server half listening here");
ABSL_FLAG(std::string, csv, "", "also write the results as CSV to this file");
ABSL_FLAG(std::string, json, "", "also write the results as JSON to this file");
ABSL_FLAG(std::string, svg, "",
          "also write an SVG chart (throughput and p99 latency against "
          "connections) to this file");

namespace tofu::stress {
namespace {

SweepFlags FlagsFromCommandLine() {
  SweepFlags f;
  f.transports = absl::GetFlag(FLAGS_transports);
  f.connections = absl::GetFlag(FLAGS_connections);
  f.sizes = absl::GetFlag(FLAGS_sizes);
  f.pattern = absl::GetFlag(FLAGS_pattern);
  f.messages = absl::GetFlag(FLAGS_messages);
  f.duration = absl::GetFlag(FLAGS_duration);
  f.pipeline = absl::GetFlag(FLAGS_pipeline);
  f.client_threads = absl::GetFlag(FLAGS_client_threads);
  f.churn = absl::GetFlag(FLAGS_churn);
  f.churn_messages = absl::GetFlag(FLAGS_churn_messages);
  f.pool_messages = absl::GetFlag(FLAGS_pool_messages);
  f.receive_spin = absl::GetFlag(FLAGS_receive_spin);
  f.io_spin = absl::GetFlag(FLAGS_io_spin);
  f.timeout = absl::GetFlag(FLAGS_timeout);
  f.listen = absl::GetFlag(FLAGS_listen);
  f.connect = absl::GetFlag(FLAGS_connect);
  return f;
}

absl::Status WriteFile(const std::string& path, const std::string& contents,
                       absl::string_view flag) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the --", flag, " file '", path, "'"));
  }
  return absl::OkStatus();
}

std::string Subtitle(const SweepOptions& o) {
  const unsigned cpus = std::thread::hardware_concurrency();
  return absl::StrCat(
      cpus, cpus == 1 ? " CPU" : " CPUs", ", pipeline ", o.pipeline, ", ",
      o.client_threads,
      o.client_threads == 1 ? " client thread" : " client threads", ", ",
      o.duration > absl::ZeroDuration()
          ? absl::StrCat(absl::FormatDuration(o.duration), " per point")
      : o.messages > 0 ? absl::StrCat(o.messages, " messages per connection")
                       : "automatic message counts",
      o.churn ? absl::StrCat(", churn every ", o.churn_messages, " messages")
              : "",
      o.connect.has_value() ? absl::StrCat(", server at ", o.connect->Value())
                            : "");
}

// --listen: the server half alone, until SIGINT/SIGTERM.
int ServeOnly(const SweepOptions& options) {
  absl::Notification stop;
  // Before the engine starts its thread (see StopSignal).
  std::unique_ptr<StopSignal> watch =
      StopSignal::Watch([&stop] { stop.Notify(); });
  PointSpec largest;
  largest.connections = options.connections.back();
  largest.size = options.sizes.back();
  largest.pipeline = options.pipeline;
  ServerOptions server_options;
  server_options.engine = EngineOptionsFor(largest, options);
  server_options.on_violation = [](const std::string& v) {
    std::fprintf(stderr, "sweep: %s\n", v.c_str());
  };
  absl::StatusOr<std::unique_ptr<StressServer>> server =
      StressServer::Start(*options.listen, server_options, options.timeout);
  if (!server.ok()) {
    std::fprintf(stderr, "sweep: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);
  stop.WaitForNotification();
  (*server)->Stop();
  const ServerStats s = (*server)->stats();
  std::fprintf(stderr,
               "sweep: served %llu connections (%llu closed), verified %llu "
               "messages, %llu pool_empty, %llu errors\n",
               static_cast<unsigned long long>(s.connections_opened),
               static_cast<unsigned long long>(s.connections_closed),
               static_cast<unsigned long long>(s.messages),
               static_cast<unsigned long long>(s.pool_empty),
               static_cast<unsigned long long>(s.violations.count));
  return s.violations.count == 0 ? 0 : 1;
}

int Main(int argc, char** argv, const std::vector<char*>& positional) {
  if (positional.size() > 1) {
    std::fprintf(stderr, "sweep: unexpected argument '%s' (see --help)\n",
                 positional[1]);
    return 2;
  }
  absl::StatusOr<SweepOptions> options =
      MakeSweepOptions(FlagsFromCommandLine());
  if (!options.ok()) {
    std::fprintf(stderr, "sweep: %s (see --help)\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::string> notice =
      DropUnsupportedTransports(*options, UnixSocketsSupported());
  if (!notice.ok()) {
    std::fprintf(stderr, "sweep: %s\n",
                 std::string(notice.status().message()).c_str());
    return 1;
  }
  if (!notice->empty()) std::fprintf(stderr, "sweep: %s\n", notice->c_str());
  if (absl::Status s = EnsureDescriptorLimit(DescriptorsNeeded(*options));
      !s.ok()) {
    std::fprintf(stderr, "sweep: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (options->listen.has_value()) return ServeOnly(*options);
  if (absl::Status s = CheckEphemeralPorts(*options, EphemeralPortCount());
      !s.ok()) {
    std::fprintf(stderr, "sweep: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  std::vector<PointResult> results;
  std::vector<std::string> args(argv, argv + argc);
  const RunInfo info{static_cast<int>(std::thread::hardware_concurrency()),
                     absl::StrJoin(args, " ")};
  struct Output {
    std::string path;
    absl::string_view flag;
    std::function<std::string()> format;
  };
  const Output outputs[] = {
      {absl::GetFlag(FLAGS_csv), "csv", [&] { return FormatCsv(results); }},
      {absl::GetFlag(FLAGS_json), "json",
       [&] { return FormatJson(results, info); }},
      {absl::GetFlag(FLAGS_svg), "svg",
       [&] { return FormatSvgChart(results, Subtitle(*options)); }},
  };
  // A path that cannot be written fails now, not after the sweep.
  for (const Output& o : outputs) {
    if (o.path.empty()) continue;
    if (absl::Status s = WriteFile(o.path, "", o.flag); !s.ok()) {
      std::fprintf(stderr, "sweep: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }

  {
    ProgressPrinter progress(std::cerr, StderrIsTerminal());
    results = RunSweep(*options, &progress);
  }
  std::fputs(FormatTable(results).c_str(), stdout);
  std::fflush(stdout);

  int exit_code = AllPassed(results) ? 0 : 1;
  if (!results.empty() && !results.back().passed()) {
    const PointResult& failed = results.back();
    std::fprintf(stderr, "sweep: FAILED at %s with %llu errors:\n",
                 DescribePoint(failed.spec).c_str(),
                 static_cast<unsigned long long>(failed.violations.count));
    for (const std::string& v : failed.violations.first) {
      std::fprintf(stderr, "  %s\n", v.c_str());
    }
  }
  for (const Output& o : outputs) {
    if (o.path.empty()) continue;
    if (absl::Status s = WriteFile(o.path, o.format(), o.flag); !s.ok()) {
      std::fprintf(stderr, "sweep: %s\n", std::string(s.message()).c_str());
      exit_code = 1;
    }
  }
  return exit_code;
}

}  // namespace
}  // namespace tofu::stress

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return tofu::stress::Main(argc, argv, positional);
}
