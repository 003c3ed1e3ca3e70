#ifndef TOFU_EXAMPLES_TOFUCAT_SESSION_H_
#define TOFU_EXAMPLES_TOFUCAT_SESSION_H_

// tofucat's work: one engine, one group, one connection or one listener.
// Run() on one thread; group() (for UpdateReceiver) from any.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tofu/tofu.h"

namespace tofu::tofucat {

// What to do, from the command line.
struct Plan {
  bool listen = false;
  Address address;
  std::optional<OpCode> send;  // kRequest or kSignal; none: only receive
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t count = 1;
  absl::Duration interval = absl::ZeroDuration();
  absl::Duration timeout = absl::Seconds(10);
  int64_t max_messages = 0;  // --listen: stop after this many; 0 never
  bool echo = false;
  std::string (*print)(const Message&) = nullptr;  // one line per message
};

class Session {
 public:
  static absl::StatusOr<std::unique_ptr<Session>> Create(Plan plan);

  // Connects or listens and does the plan. OK when it all went as planned
  // (also when stopped by UpdateReceiver); otherwise the reason.
  absl::Status Run();

  ChannelGroup& group() { return *group_; }

 private:
  Session(Plan plan, std::unique_ptr<Engine> engine,
          std::unique_ptr<ChannelGroup> group)
      : plan_(std::move(plan)),
        engine_(std::move(engine)),
        group_(std::move(group)) {}

  absl::Status RunClient();
  absl::Status RunServer();
  // Waits until `deadline` for the next message, prints it and answers it
  // as the plan says. DeadlineExceeded when none came; a stop (from
  // UpdateReceiver) sets stopped_.
  absl::StatusOr<Received> Step(absl::Time deadline);
  absl::Status SendOne();

  Plan plan_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChannelGroup> group_;
  uint16_t channel_ = 0;  // --connect: ours
  bool stopped_ = false;
  bool peer_said_bye_ = false;
  bool closed_ = false;    // --connect: our channel_closed came
  int64_t responses_ = 0;  // Responses received
  int64_t messages_ = 0;   // Requests, Responses and Signals received
};

}  // namespace tofu::tofucat

#endif  // TOFU_EXAMPLES_TOFUCAT_SESSION_H_
