// //stress:bench: tofu against raw sockets. For each transport and body size,
// one-way throughput (one sender posting as fast as the API allows, the
// receiving application counting every message) and ping-pong latency (one
// request in flight), each measured together with a raw-socket baseline doing
// the same work with two blocking sockets and the same 16-byte framing. The
// ping-pong runs twice for the engine: with its default spinning, and with
// receive_spin = io_spin = 0, beside what one round trip of thread hand-offs
// costs in the same run (stress/handoff_baseline.h). Beside every
// figure, the process CPU time (getrusage: user + system, every thread) over
// the same timed phase, per message or round trip. Each figure is the median of
// --runs runs; ratios are engine / raw.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "stress/engine_bench.h"
#include "stress/engine_cost.h"
#include "stress/handoff_baseline.h"
#include "stress/raw_baseline.h"

ABSL_FLAG(std::string, transports, "tcp,uds", "tcp, uds or both");
ABSL_FLAG(std::string, sizes, "64,1024,65535", "body sizes in bytes");
ABSL_FLAG(int64_t, bytes, 256 << 20,
          "throughput: body bytes sent per run (at least 20000 and at most "
          "2000000 messages)");
ABSL_FLAG(int64_t, round_trips, 20000, "ping-pong round trips per run");
ABSL_FLAG(int, runs, 5, "runs per figure; the median is reported");
ABSL_FLAG(std::string, json, "", "also write the results to this file");
ABSL_FLAG(int, receiver_pool, 0,
          "throughput: messages in the receiving engine's pool (0: as many as "
          "the sender's window, so only the window paces the sender; fewer: "
          "the receiver's pool backpressure paces it)");
ABSL_FLAG(bool, one_thread, true,
          "also measure the engine's work without hand-offs between threads: "
          "both engines driven on one thread (its CPU per message), and each "
          "on a thread of its own with only the socket between them");
ABSL_FLAG(bool, raw, true,
          "measure the raw baseline too (false: the engine alone, for "
          "profiling; ratios are then not computed)");

namespace tofu::stress {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Row {
  std::string transport;
  size_t body = 0;
  double engine_msgs = 0, raw_msgs = 0, throughput_ratio = 0;
  // Process CPU (every thread) per message or round trip, in ns.
  double engine_cpu_ns = 0, raw_cpu_ns = 0, cpu_ratio = 0;
  double engine_p50_us = 0, raw_p50_us = 0, latency_ratio = 0;
  double engine_p99_us = 0, raw_p99_us = 0;
  double engine_rtt_cpu_ns = 0, raw_rtt_cpu_ns = 0, rtt_cpu_ratio = 0;
  // Ping-pong with receive_spin = io_spin = 0.
  double nospin_p50_us = 0, nospin_p99_us = 0, nospin_ratio = 0;
  double nospin_rtt_cpu_ns = 0;
  // Two thread hand-offs: a round trip through a mutex and condition
  // variable.
  // / raw p50.
  double handoff_p50_us = 0;
  double one_thread_msgs = 0, one_thread_cpu_ns = 0;  // 0: not measured
  double two_thread_msgs = 0, two_thread_ratio = 0, two_thread_cpu_ns = 0;
};

double Us(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

// Every figure of one run; each is the median over the runs in the Row.
struct Runs {
  std::vector<double> engine_msgs, raw_msgs, tratio, engine_cpu, raw_cpu,
      cpu_ratio, e50, r50, lratio, e99, r99, e_rtt_cpu, r_rtt_cpu,
      rtt_cpu_ratio, n50, n99, nratio, n_rtt_cpu, handoff, one_thread,
      one_thread_cpu, two_thread, two_thread_ratio, two_thread_cpu;
};

absl::Status Measure(BenchTransport transport, size_t body, Row& row) {
  const int runs = std::max(1, absl::GetFlag(FLAGS_runs));
  const uint64_t messages = std::clamp<uint64_t>(
      absl::GetFlag(FLAGS_bytes) / std::max<size_t>(body, 1), 20000, 2000000);
  const uint64_t round_trips = absl::GetFlag(FLAGS_round_trips);
  const bool with_raw = absl::GetFlag(FLAGS_raw);
  Runs v;
  for (int run = 0; run < runs; ++run) {
    absl::StatusOr<ThroughputResult> raw =
        with_raw ? RawThroughput(transport, body, messages)
                 : ThroughputResult{1, absl::Seconds(1), absl::Seconds(1)};
    if (!raw.ok()) return raw.status();
    absl::StatusOr<ThroughputResult> engine =
        EngineThroughput(transport, body, messages,
                         static_cast<uint16_t>(std::clamp(
                             absl::GetFlag(FLAGS_receiver_pool), 0, 65535)));
    if (!engine.ok()) return engine.status();
    v.engine_msgs.push_back(engine->MessagesPerSecond());
    v.engine_cpu.push_back(engine->CpuNanosPerMessage());
    if (absl::GetFlag(FLAGS_one_thread)) {
      absl::StatusOr<ThroughputResult> cost =
          EngineOneThread(transport, body, messages);
      if (!cost.ok()) return cost.status();
      v.one_thread.push_back(cost->MessagesPerSecond());
      v.one_thread_cpu.push_back(cost->CpuNanosPerMessage());
      absl::StatusOr<ThroughputResult> divided =
          EngineTwoThreads(transport, body, messages);
      if (!divided.ok()) return divided.status();
      v.two_thread.push_back(divided->MessagesPerSecond());
      v.two_thread_ratio.push_back(v.two_thread.back() /
                                   raw->MessagesPerSecond());
      v.two_thread_cpu.push_back(divided->CpuNanosPerMessage());
    }
    v.raw_msgs.push_back(raw->MessagesPerSecond());
    v.raw_cpu.push_back(raw->CpuNanosPerMessage());
    v.tratio.push_back(v.engine_msgs.back() / v.raw_msgs.back());
    v.cpu_ratio.push_back(v.engine_cpu.back() / v.raw_cpu.back());

    const LatencySummary one_us{1, absl::Microseconds(1), absl::Microseconds(1),
                                absl::Microseconds(1), absl::Microseconds(1)};
    absl::StatusOr<PingPongResult> raw_rtt =
        with_raw ? RawPingPong(transport, body, round_trips)
                 : PingPongResult{1, one_us, absl::Microseconds(1)};
    if (!raw_rtt.ok()) return raw_rtt.status();
    absl::StatusOr<PingPongResult> engine_rtt =
        EnginePingPong(transport, body, round_trips, /*spin=*/true);
    if (!engine_rtt.ok()) return engine_rtt.status();
    absl::StatusOr<PingPongResult> nospin_rtt =
        EnginePingPong(transport, body, round_trips, /*spin=*/false);
    if (!nospin_rtt.ok()) return nospin_rtt.status();
    const PingPongResult handoff = HandoffPingPong(round_trips);
    v.handoff.push_back(Us(handoff.rtt.p50));
    v.e50.push_back(Us(engine_rtt->rtt.p50));
    v.r50.push_back(Us(raw_rtt->rtt.p50));
    v.n50.push_back(Us(nospin_rtt->rtt.p50));
    v.lratio.push_back(v.e50.back() / v.r50.back());
    v.nratio.push_back(v.n50.back() / v.r50.back());
    v.e99.push_back(Us(engine_rtt->rtt.p99));
    v.r99.push_back(Us(raw_rtt->rtt.p99));
    v.n99.push_back(Us(nospin_rtt->rtt.p99));
    v.e_rtt_cpu.push_back(engine_rtt->CpuNanosPerRoundTrip());
    v.r_rtt_cpu.push_back(raw_rtt->CpuNanosPerRoundTrip());
    v.n_rtt_cpu.push_back(nospin_rtt->CpuNanosPerRoundTrip());
    v.rtt_cpu_ratio.push_back(v.e_rtt_cpu.back() / v.r_rtt_cpu.back());
    std::fprintf(stderr,
                 "  %s %zu B run %d: %.0f vs %.0f msg/s (CPU %.0f vs %.0f "
                 "ns/msg), p50 %.1f (no spin %.1f) vs %.1f us\n",
                 row.transport.c_str(), body, run + 1, v.engine_msgs.back(),
                 v.raw_msgs.back(), v.engine_cpu.back(), v.raw_cpu.back(),
                 v.e50.back(), v.n50.back(), v.r50.back());
  }
  row.engine_msgs = Median(v.engine_msgs);
  row.raw_msgs = Median(v.raw_msgs);
  row.throughput_ratio = Median(v.tratio);
  row.engine_cpu_ns = Median(v.engine_cpu);
  row.raw_cpu_ns = Median(v.raw_cpu);
  row.cpu_ratio = Median(v.cpu_ratio);
  row.engine_p50_us = Median(v.e50);
  row.raw_p50_us = Median(v.r50);
  row.latency_ratio = Median(v.lratio);
  row.engine_p99_us = Median(v.e99);
  row.raw_p99_us = Median(v.r99);
  row.engine_rtt_cpu_ns = Median(v.e_rtt_cpu);
  row.raw_rtt_cpu_ns = Median(v.r_rtt_cpu);
  row.rtt_cpu_ratio = Median(v.rtt_cpu_ratio);
  row.nospin_p50_us = Median(v.n50);
  row.nospin_p99_us = Median(v.n99);
  row.nospin_ratio = Median(v.nratio);
  row.nospin_rtt_cpu_ns = Median(v.n_rtt_cpu);
  row.handoff_p50_us = Median(v.handoff);
  row.one_thread_msgs = Median(v.one_thread);
  row.one_thread_cpu_ns = Median(v.one_thread_cpu);
  row.two_thread_msgs = Median(v.two_thread);
  row.two_thread_ratio = Median(v.two_thread_ratio);
  row.two_thread_cpu_ns = Median(v.two_thread_cpu);
  return absl::OkStatus();
}

int Main() {
  std::vector<size_t> sizes;
  for (absl::string_view s :
       absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',', absl::SkipEmpty())) {
    size_t v = 0;
    if (!absl::SimpleAtoi(s, &v) || v > 65535) {
      std::fprintf(stderr, "bench: bad --sizes entry '%s' (0..65535)\n",
                   std::string(s).c_str());
      return 2;
    }
    sizes.push_back(v);
  }
  std::vector<std::pair<std::string, BenchTransport>> transports;
  for (absl::string_view t : absl::StrSplit(absl::GetFlag(FLAGS_transports),
                                            ',', absl::SkipEmpty())) {
    if (t == "tcp") {
      transports.emplace_back("tcp", BenchTransport::kTcp);
    } else if (t == "uds") {
      transports.emplace_back("uds", BenchTransport::kUds);
    } else {
      std::fprintf(stderr, "bench: bad --transports entry '%s'\n",
                   std::string(t).c_str());
      return 2;
    }
  }
  std::vector<Row> rows;
  for (const auto& [name, transport] : transports) {
    for (size_t body : sizes) {
      Row row;
      row.transport = name;
      row.body = body;
      if (absl::Status s = Measure(transport, body, row); !s.ok()) {
        std::fprintf(stderr, "bench: %s, %zu bytes: %s\n", name.c_str(), body,
                     s.ToString().c_str());
        return 1;
      }
      rows.push_back(row);
    }
  }
  std::printf(
      "\nmedian of %d runs; ratio = tofu / raw (throughput: higher is better; "
      "latency: lower is better)\n",
      absl::GetFlag(FLAGS_runs));
  if (const int pool = absl::GetFlag(FLAGS_receiver_pool); pool > 0) {
    std::printf("throughput: the receiving engine's pool has %d messages\n",
                pool);
  }
  std::printf("\n");
  std::printf(
      "CPU = process CPU time (user + system, every thread of both ends) over "
      "the timed phase, per message or per round trip\n\n"
      "| transport | body B | tofu msg/s | tofu MB/s | tofu CPU ns/msg | "
      "raw msg/s | raw MB/s | raw CPU ns/msg | throughput ratio | CPU ratio "
      "|\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    std::printf(
        "| %s | %zu | %.0f | %.1f | %.0f | %.0f | %.1f | %.0f | %.2fx | %.2fx "
        "|\n",
        r.transport.c_str(), r.body, r.engine_msgs,
        r.engine_msgs * r.body / 1e6, r.engine_cpu_ns, r.raw_msgs,
        r.raw_msgs * r.body / 1e6, r.raw_cpu_ns, r.throughput_ratio,
        r.cpu_ratio);
  }
  std::printf(
      "\nping-pong, one request in flight; no spin = both engines with "
      "receive_spin = io_spin = 0; hand-off = a round trip between two "
      "threads through a mutex and condition variable, the extra the engine "
      "pays per direction without spinning (what the VM charges for a "
      "wake-up moves it: read it beside the raw p50 of the same run)\n\n"
      "| transport | body B | tofu p50/p99 us | tofu CPU ns/rt | "
      "no spin p50/p99 us | no spin CPU ns/rt | raw p50/p99 us | "
      "raw CPU ns/rt | p50 ratio | no spin p50 ratio | hand-off p50 us | "
      "CPU ratio |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    std::printf(
        "| %s | %zu | %.1f / %.1f | %.0f | %.1f / %.1f | %.0f | %.1f / %.1f | "
        "%.0f | %.2fx | %.2fx | %.1f | %.2fx |\n",
        r.transport.c_str(), r.body, r.engine_p50_us, r.engine_p99_us,
        r.engine_rtt_cpu_ns, r.nospin_p50_us, r.nospin_p99_us,
        r.nospin_rtt_cpu_ns, r.raw_p50_us, r.raw_p99_us, r.raw_rtt_cpu_ns,
        r.latency_ratio, r.nospin_ratio, r.handoff_p50_us, r.rtt_cpu_ratio);
  }
  if (absl::GetFlag(FLAGS_one_thread)) {
    std::printf(
        "\nthe engine's work without hand-offs between threads: both engines "
        "driven on one thread (CPU per message), and each on its own thread "
        "with only the socket between them (the work divided at the socket; "
        "ratio = to raw)\n\n"
        "| transport | body B | one-thread msg/s | ns per message | "
        "one-thread CPU ns/msg | two-thread msg/s | two-thread ratio | "
        "two-thread CPU ns/msg |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
      std::printf("| %s | %zu | %.0f | %.0f | %.0f | %.0f | %.2fx | %.0f |\n",
                  r.transport.c_str(), r.body, r.one_thread_msgs,
                  1e9 / r.one_thread_msgs, r.one_thread_cpu_ns,
                  r.two_thread_msgs, r.two_thread_ratio, r.two_thread_cpu_ns);
    }
  }
  const std::string json = absl::GetFlag(FLAGS_json);
  if (!json.empty()) {
    std::vector<std::string> items;
    for (const Row& r : rows) {
      items.push_back(absl::StrCat(
          "{\"transport\":\"", r.transport, "\",\"body\":", r.body,
          ",\"tofu_msgs_per_s\":", r.engine_msgs, ",\"raw_msgs_per_s\":",
          r.raw_msgs, ",\"throughput_ratio\":", r.throughput_ratio,
          ",\"tofu_p50_us\":", r.engine_p50_us, ",\"tofu_p99_us\":",
          r.engine_p99_us, ",\"raw_p50_us\":", r.raw_p50_us,
          ",\"raw_p99_us\":", r.raw_p99_us, ",\"p50_ratio\":", r.latency_ratio,
          ",\"tofu_cpu_ns_per_msg\":", r.engine_cpu_ns,
          ",\"raw_cpu_ns_per_msg\":", r.raw_cpu_ns, ",\"cpu_ratio\":",
          r.cpu_ratio, ",\"tofu_cpu_ns_per_round_trip\":", r.engine_rtt_cpu_ns,
          ",\"raw_cpu_ns_per_round_trip\":", r.raw_rtt_cpu_ns,
          ",\"round_trip_cpu_ratio\":", r.rtt_cpu_ratio,
          ",\"tofu_nospin_p50_us\":", r.nospin_p50_us,
          ",\"tofu_nospin_p99_us\":", r.nospin_p99_us,
          ",\"nospin_p50_ratio\":", r.nospin_ratio,
          ",\"tofu_nospin_cpu_ns_per_round_trip\":", r.nospin_rtt_cpu_ns,
          ",\"handoff_p50_us\":", r.handoff_p50_us,
          ",\"one_thread_msgs_per_s\":", r.one_thread_msgs,
          ",\"one_thread_cpu_ns_per_msg\":", r.one_thread_cpu_ns,
          ",\"two_thread_msgs_per_s\":", r.two_thread_msgs,
          ",\"two_thread_ratio\":", r.two_thread_ratio,
          ",\"two_thread_cpu_ns_per_msg\":", r.two_thread_cpu_ns, "}"));
    }
    std::ofstream out(json);
    out << "{\"runs\":" << absl::GetFlag(FLAGS_runs)
        << ",\"receiver_pool\":" << absl::GetFlag(FLAGS_receiver_pool)
        << ",\"results\":[" << absl::StrJoin(items, ",") << "]}\n";
    if (!out) {
      std::fprintf(stderr, "bench: cannot write %s\n", json.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace tofu::stress

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tofu::stress::Main();
}
