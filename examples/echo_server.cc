// echo_server --listen=ADDRESS: answers every Request with a Response carrying
// the same message_id, text headers and body; echoes Signals; accepts every
// Hello and Bye. ADDRESS is tcp|host|port or uds|path (port 0 picks a free
// port). Once listening it prints "listening on ADDRESS" with the real address.
// Runs until SIGINT or SIGTERM.
#include <atomic>
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "examples/stop_signal.h"
#include "tofu/tofu.h"
#include "transport/address.h"

ABSL_FLAG(std::string, listen, "tcp|127.0.0.1|0", "tcp|host|port or uds|path");

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

  absl::StatusOr<tofu::Address> address = tofu::ParseAddressValue(
      absl::GetFlag(FLAGS_listen), tofu::Address::Role::kServer);
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
  tofu::MessagePtr welcome = (*engine)->Get(tofu::AllocationStrategy::kAlways);
  if (!tofu::FormatAddress(*address, *welcome).ok() ||
      !(*group)->Post(welcome).ok())
    return 1;
  absl::StatusOr<tofu::MessagePtr> ready =
      (*group)->WaitReceive(absl::Seconds(10));
  if (!ready.ok() || *ready == nullptr ||
      (*ready)->header().status != tofu::StatusCode::kSuccess) {
    std::fprintf(
        stderr, "echo_server: cannot listen on %s: %s\n",
        address->Value().c_str(),
        ready.ok() && *ready != nullptr
            ? std::string(tofu::StatusCodeName((*ready)->header().status))
                  .c_str()
            : "no answer");
    return 1;
  }
  std::printf(
      "listening on %s\n",
      std::string((*ready)->FindTextHeader(tofu::kListenOnHeader).value_or(""))
          .c_str());
  std::fflush(stdout);

  to_wake.store(group->get());
  if (stop_requested.load()) return 0;  // asked to stop while starting
  int exit_code = 0;
  while (true) {
    absl::StatusOr<tofu::MessagePtr> m =
        (*group)->WaitReceive(absl::InfiniteDuration());
    if (!m.ok() || *m == nullptr) {
      std::fprintf(stderr, "echo_server: %s\n", m.status().ToString().c_str());
      exit_code = 1;
      break;
    }
    tofu::BinaryHeader& h = (*m)->header();
    // Told apart by how they arrived, never by the status byte: a peer's
    // frame may carry any status, receiver_update included.
    if ((*m)->arrival() == tofu::Arrival::kReceiverUpdate) break;  // stop
    if ((*m)->arrival() != tofu::Arrival::kFrame) continue;  // the engine's
    switch (h.op_code) {
      case tofu::OpCode::kHelloRequest:
        h.op_code = tofu::OpCode::kHelloResponse;
        break;
      case tofu::OpCode::kRequest:
        h.op_code = tofu::OpCode::kResponse;
        break;
      case tofu::OpCode::kSignal:
        break;
      case tofu::OpCode::kByeRequest:
        h.op_code = tofu::OpCode::kByeResponse;
        break;
      default:
        continue;
    }
    (*group)->Post(*m).IgnoreError();
  }
  stop.reset();
  group->reset();
  engine->reset();
  return exit_code;
}
