// echo_server --listen=ADDRESS: answers every Request with a Response carrying
// the same message_id, text headers and body; echoes Signals; accepts every
// Hello and Bye. ADDRESS is tcp|host|port, uds|path or uds-abstract|name (port
// 0 picks a free port). Once listening it prints "listening on ADDRESS" with
// the real address. Runs until SIGINT or SIGTERM.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "examples/stop_signal.h"
#include "tofu/tofu.h"

ABSL_FLAG(std::string, listen, "tcp|127.0.0.1|0",
          "tcp|host|port, uds|path or uds-abstract|name");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Before any other thread starts (the engine's too): see StopSignal.
  std::atomic<bool> stop_requested{false};
  std::atomic<tofu::ChannelGroup*> to_wake{nullptr};
  std::unique_ptr<tofu::StopSignal> stop =
      tofu::StopSignal::Watch([&stop_requested, &to_wake] {
        stop_requested.store(true);
        tofu::ChannelGroup* g = to_wake.load();
        if (g != nullptr) g->UpdateReceiver(nullptr).IgnoreError();
      });

  absl::StatusOr<tofu::Address> address =
      tofu::Address::Parse(absl::GetFlag(FLAGS_listen));
  if (!address.ok()) {
    std::fprintf(stderr, "echo_server: %s\n",
                 address.status().ToString().c_str());
    return 2;
  }
  auto engine = tofu::Engine::Create(
      {.initial_pool_messages = 256, .max_pool_messages = 1024});
  if (!engine.ok()) return 1;
  auto group = (*engine)->CreateGroup();
  if (!group.ok()) return 1;
  if (absl::Status s = (*group)->Listen(*address).status(); !s.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::StatusOr<tofu::MessagePtr> ready =
      (*group)->WaitReceive(absl::Seconds(10));
  absl::StatusOr<tofu::Address> bound =
      ready.ok() ? tofu::ListenAddressOf(**ready) : ready.status();
  if (!bound.ok()) {
    std::fprintf(
        stderr, "echo_server: cannot listen on %s: %s\n",
        address->ToString().c_str(),
        ready.ok()
            ? std::string(tofu::StatusCodeName((*ready)->header().status))
                  .c_str()
            : ready.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", bound->ToString().c_str());
  std::fflush(stdout);

  to_wake.store(group->get());
  if (stop_requested.load()) return 0;  // asked to stop while starting
  int exit_code = 0;
  while (true) {
    absl::StatusOr<tofu::MessagePtr> m =
        (*group)->WaitReceive(absl::InfiniteDuration());
    if (!m.ok()) {
      std::fprintf(stderr, "echo_server: %s\n", m.status().ToString().c_str());
      exit_code = 1;
      break;
    }
    const tofu::Received what = tofu::Classify(**m);
    if (what.kind == tofu::Received::Kind::kReceiverUpdate) break;  // stop
    if (what.kind != tofu::Received::Kind::kFrame) continue;  // the engine's
    if (what.op_code == tofu::OpCode::kSignal) {
      (*group)->Post(std::move(*m)).IgnoreError();  // a Signal echoes as is
    } else {
      // Requests, Hellos and Byes get their answer; anything else is dropped.
      (*group)->Reply(std::move(*m)).IgnoreError();
    }
  }
  stop.reset();
  group->reset();
  engine->reset();
  return exit_code;
}
