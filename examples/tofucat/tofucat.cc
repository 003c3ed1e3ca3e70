// tofucat: a command-line tofu peer, for poking at servers and clients.
//
//   tofucat --connect=ADDRESS [--send=request|signal] [--data=TEXT |
//           --file=PATH|-] [--headers=name:value,...] [--count=N]
//           [--interval=DURATION] [--echo] [--json] [--timeout=DURATION]
//   tofucat --listen=ADDRESS [--echo] [--json] [--max_messages=N]
//
// ADDRESS is tcp|host|port, uds|path or uds-abstract|name. Every message that
// arrives is printed on stdout, one line each (--json: one JSON object per
// line); diagnostics go to stderr.
//
// --connect: connects, sends --count messages (with --send) --interval apart,
// waits for every Response to a Request, then closes with Bye and exits.
// Without
// --send it prints what arrives until the peer closes (or SIGINT/SIGTERM).
// --listen: prints "listening on ADDRESS" on stderr, accepts every connection
// and prints what arrives until SIGINT/SIGTERM or --max_messages Requests,
// Responses and Signals. Both answer HelloRequests and ByeRequests; --echo
// also answers Requests with their own text headers and body.
//
// Exit codes: 0 done; 1 a failure (connect, listen, timeout, the channel
// closed early, a message returned unsent; the reason on stderr); 2 bad usage.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "examples/stop_signal.h"
#include "examples/tofucat/format.h"
#include "examples/tofucat/session.h"
#include "tofu/tofu.h"

ABSL_FLAG(std::string, connect, "", "connect to this address");
ABSL_FLAG(std::string, listen, "", "listen on this address");
ABSL_FLAG(std::string, send, "",
          "request or signal: what to send (with --connect); empty sends "
          "nothing");
ABSL_FLAG(std::string, data, "", "the body, as given");
ABSL_FLAG(std::string, file, "", "the body, from this file ('-': stdin)");
ABSL_FLAG(std::vector<std::string>, headers, {},
          "text headers, name:value, comma-separated");
ABSL_FLAG(int64_t, count, 1, "messages to send");
ABSL_FLAG(absl::Duration, interval, absl::ZeroDuration(),
          "time between two sends");
ABSL_FLAG(bool, echo, false,
          "answer Requests with a Response carrying their headers and body");
ABSL_FLAG(bool, json, false, "print JSON lines instead of text");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "longest wait for the connection, the listener or an answer");
ABSL_FLAG(int64_t, max_messages, 0,
          "--listen: exit after this many Requests, Responses and Signals "
          "(0: never)");

namespace tofu::tofucat {
namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr, "tofucat: %s (see --help)\n", why.c_str());
  return 2;
}

// The flags, checked; the exit code 2 and a message when they make no sense.
absl::StatusOr<Plan> ReadFlags() {
  Plan plan;
  const std::string connect = absl::GetFlag(FLAGS_connect);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (connect.empty() == listen.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --connect, --listen");
  }
  plan.listen = !listen.empty();
  absl::StatusOr<Address> address =
      Address::Parse(plan.listen ? listen : connect);
  if (!address.ok()) return address.status();
  plan.address = *address;
  const std::string send = absl::GetFlag(FLAGS_send);
  if (send == "request") {
    plan.send = OpCode::kRequest;
  } else if (send == "signal") {
    plan.send = OpCode::kSignal;
  } else if (!send.empty()) {
    return absl::InvalidArgumentError("--send is request or signal");
  }
  if (plan.send.has_value() && plan.listen) {
    return absl::InvalidArgumentError("--send needs --connect");
  }
  const std::string file = absl::GetFlag(FLAGS_file);
  if (!file.empty() && !absl::GetFlag(FLAGS_data).empty()) {
    return absl::InvalidArgumentError("give one of --data, --file");
  }
  plan.body = absl::GetFlag(FLAGS_data);
  if (file == "-") {
    plan.body.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file));
    plan.body.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (plan.body.size() > 65535) {
    return absl::InvalidArgumentError("the body is over 65535 bytes");
  }
  for (const std::string& header : absl::GetFlag(FLAGS_headers)) {
    std::pair<std::string, std::string> nv =
        absl::StrSplit(header, absl::MaxSplits(':', 1));
    plan.headers.push_back(std::move(nv));
  }
  plan.count = absl::GetFlag(FLAGS_count);
  plan.interval = absl::GetFlag(FLAGS_interval);
  plan.timeout = absl::GetFlag(FLAGS_timeout);
  plan.max_messages = absl::GetFlag(FLAGS_max_messages);
  if (plan.count < 1 || plan.interval < absl::ZeroDuration() ||
      plan.timeout <= absl::ZeroDuration() || plan.max_messages < 0) {
    return absl::InvalidArgumentError(
        "--count >= 1, --interval >= 0, --timeout > 0, --max_messages >= 0");
  }
  plan.echo = absl::GetFlag(FLAGS_echo);
  plan.print = absl::GetFlag(FLAGS_json) ? JsonLine : HumanLine;
  return plan;
}

}  // namespace
}  // namespace tofu::tofucat

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a command-line tofu peer: tofucat --connect=ADDRESS --send=request "
      "--data=TEXT, or tofucat --listen=ADDRESS --echo");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<tofu::tofucat::Plan> plan = tofu::tofucat::ReadFlags();
  if (!plan.ok()) {
    return tofu::tofucat::Usage(std::string(plan.status().message()));
  }
  // Before the engine's thread starts: see StopSignal.
  std::atomic<tofu::ChannelGroup*> to_wake{nullptr};
  std::atomic<bool> stop_requested{false};
  std::unique_ptr<tofu::StopSignal> stop =
      tofu::StopSignal::Watch([&to_wake, &stop_requested] {
        stop_requested.store(true);
        tofu::ChannelGroup* g = to_wake.load();
        if (g != nullptr) g->UpdateReceiver(nullptr).IgnoreError();
      });
  absl::StatusOr<std::unique_ptr<tofu::tofucat::Session>> session =
      tofu::tofucat::Session::Create(*std::move(plan));
  absl::Status done = session.status();
  if (session.ok()) {
    to_wake.store(&(*session)->group());
    // A stop asked for before `to_wake` was set finds no group: wake it now.
    if (stop_requested.load())
      (*session)->group().UpdateReceiver(nullptr).IgnoreError();
    done = (*session)->Run();
  }
  stop.reset();
  if (!done.ok()) {
    std::fprintf(stderr, "tofucat: %s\n", std::string(done.message()).c_str());
    return 1;
  }
  return 0;
}
