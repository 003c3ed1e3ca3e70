#include "stress/sweep.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "stress/client.h"
#include "stress/platform.h"
#include "stress/server.h"
#include "transport/address.h"

namespace tofu::stress {
namespace {

// Where an in-process server listens: loopback, port 0 / a temporary path.
Address LoopbackListenAddress(Transport transport) {
  Address a;
  a.role = Address::Role::kServer;
  if (transport == Transport::kTcp) {
    a.transport = Address::Transport::kTcp;
    a.host = "127.0.0.1";
  } else {
    a.transport = Address::Transport::kUds;
  }
  return a;
}

// The client half, on a thread of its own so that `observer` hears about its
// progress meanwhile.
ClientTotals RunClientsObserved(const ClientPlan& plan,
                                std::atomic<uint64_t>* progress,
                                SweepObserver* observer) {
  if (observer == nullptr) return RunClients(plan, progress);
  ClientTotals totals;
  absl::Notification done;
  std::thread clients([&] {
    totals = RunClients(plan, progress);
    done.Notify();
  });
  const absl::Time start = absl::Now();
  while (!done.WaitForNotificationWithTimeout(kProgressInterval)) {
    observer->PointProgress(progress->load(std::memory_order_relaxed),
                            absl::Now() - start);
  }
  clients.join();
  return totals;
}

// One point, start to end; `progress` counts verified messages meanwhile.
PointResult RunPoint(const PointSpec& spec, const SweepOptions& options,
                     std::atomic<uint64_t>* progress, SweepObserver* observer) {
  PointResult r;
  r.spec = spec;
  ResetPeakRss();
  const CpuTime cpu_before = ProcessCpuTime();
  const Options engine = EngineOptionsFor(spec, options);

  std::unique_ptr<StressServer> server;
  Address target;
  if (options.connect.has_value()) {
    target = *options.connect;
  } else {
    ServerOptions server_options;
    server_options.engine = engine;
    absl::StatusOr<std::unique_ptr<StressServer>> started =
        StressServer::Start(LoopbackListenAddress(spec.transport),
                            std::move(server_options), options.timeout);
    if (!started.ok()) {
      r.violations.Add(
          absl::StrCat("server: cannot start: ", started.status().ToString()));
      return r;
    }
    server = *std::move(started);
    absl::StatusOr<Address> parsed =
        ParseAddressValue(server->address(), Address::Role::kClient);
    if (!parsed.ok()) {
      r.violations.Add(absl::StrCat(
          "server: listens on '", server->address(),
          "', which does not parse: ", parsed.status().ToString()));
      return r;
    }
    target = *parsed;
  }

  ClientPlan plan{target, spec, options.timeout, engine};
  ClientTotals t = RunClientsObserved(plan, progress, observer);
  r.violations = std::move(t.violations);
  if (server != nullptr) {
    const bool clients_passed = r.violations.count == 0;
    if (clients_passed) {
      if (absl::Status s =
              server->WaitForClosed(t.connections_opened, options.timeout);
          !s.ok()) {
        r.violations.Add(absl::StrCat("server: ", s.message()));
      }
    }
    server->Stop();
    const ServerStats s = server->stats();
    if (clients_passed && s.connections_opened != t.connections_opened) {
      r.violations.Add(absl::StrCat("server: answered ", s.connections_opened,
                                    " HelloRequests, the clients saw ",
                                    t.connections_opened, " HelloResponses"));
    }
    if (clients_passed && s.messages != t.messages) {
      r.violations.Add(absl::StrCat("server: verified ", s.messages,
                                    " messages, the clients ", t.messages));
    }
    r.violations.Merge(s.violations);
    r.pool_empty += s.pool_empty;
    r.verify_time += s.verify_time;
  }
  r.messages = t.messages;
  r.body_bytes = t.body_bytes;
  r.elapsed = t.elapsed;
  r.rtt = t.rtt.Summary();
  r.setup = t.setup.Summary();
  r.connections_opened = t.connections_opened;
  r.pool_empty += t.pool_empty;
  r.verify_time += t.verify_time;
  r.cpu = CpuSince(cpu_before);
  r.peak_rss_bytes = PeakRssBytes();
  return r;
}

}  // namespace

Options EngineOptionsFor(const PointSpec& spec, const SweepOptions& options) {
  Options engine;
  engine.initial_pool_messages = engine.max_pool_messages =
      PoolMessagesFor(spec, options.pool_messages);
  if (options.receive_spin.has_value()) {
    engine.receive_spin = *options.receive_spin;
  }
  if (options.io_spin.has_value()) engine.io_spin = *options.io_spin;
  return engine;
}

std::vector<PointResult> RunSweep(const SweepOptions& options,
                                  SweepObserver* observer) {
  const std::vector<PointSpec> plan = PlanPoints(options);
  const int count = static_cast<int>(plan.size());
  std::vector<PointResult> results;
  for (int i = 0; i < count; ++i) {
    const PointSpec& spec = plan[i];
    std::atomic<uint64_t> progress{0};
    if (observer != nullptr) {
      const uint64_t expected = spec.duration > absl::ZeroDuration()
                                    ? 0
                                    : static_cast<uint64_t>(spec.connections) *
                                          static_cast<uint64_t>(spec.messages);
      observer->PointStarted(i, count, spec, expected);
    }
    results.push_back(RunPoint(spec, options, &progress, observer));
    if (observer != nullptr) observer->PointFinished(i, count, results.back());
    if (!results.back().passed()) break;
  }
  return results;
}

}  // namespace tofu::stress
