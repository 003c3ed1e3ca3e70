// echo_client --connect=ADDRESS --count=N --size=BYTES [--pipeline=K]:
// connects to an echo server, sends N Requests with BYTES-byte bodies keeping K
// in flight, checks that every Response carries the same message_id, text
// headers and body, in order, then closes with Bye. Prints throughput and the
// p50/p99 round-trip latency. Exits 0 when every echo matched, 1 on any
// mismatch or engine error, 2 on bad flags.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "stress/payload.h"
#include "tofu/tofu.h"

ABSL_FLAG(std::string, connect, "", "tcp|host|port or uds|path");
ABSL_FLAG(int64_t, count, 10000, "requests to send");
ABSL_FLAG(int64_t, size, 64, "body bytes per request (0..65535)");
ABSL_FLAG(int64_t, pipeline, 1, "requests in flight (1..4096)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "longest wait for any one answer");

namespace tofu {
namespace {

constexpr absl::string_view kSequenceHeader = "seq";

class EchoClient {
 public:
  EchoClient(std::unique_ptr<Engine> engine,
             std::unique_ptr<ChannelGroup> group, absl::Duration timeout)
      : engine_(std::move(engine)),
        group_(std::move(group)),
        timeout_(timeout) {}

  absl::Status Connect(const Address& to) {
    absl::StatusOr<BinaryHeader> posted = group_->Connect(to);
    if (!posted.ok()) return posted.status();
    channel_ = posted->channel_number;
    absl::StatusOr<MessagePtr> reply = Expect(OpCode::kHelloResponse);
    return reply.status();
  }

  // Sends `count` Requests keeping `pipeline` in flight; fills rtt_.
  absl::Status Run(int64_t count, size_t size, int64_t pipeline) {
    rtt_.reserve(count);
    std::vector<absl::Time> sent_at(count + 1);
    int64_t next_send = 1;
    for (int64_t answered = 1; answered <= count; ++answered) {
      for (; next_send <= count && next_send - answered < pipeline;
           ++next_send) {
        MessagePtr m = engine_->Get(AllocationStrategy::kAlways);
        m->header().op_code = OpCode::kRequest;
        m->header().channel_number = channel_;
        m->header().message_id = static_cast<uint64_t>(next_send);
        m->AddTextHeader(kSequenceHeader, absl::StrCat(next_send))
            .IgnoreError();
        FillPayload(static_cast<uint64_t>(next_send), size, m->body());
        sent_at[next_send] = absl::Now();
        if (absl::StatusOr<BinaryHeader> p = group_->Post(m); !p.ok()) {
          return p.status();
        }
      }
      absl::StatusOr<MessagePtr> r = Expect(OpCode::kResponse);
      if (!r.ok()) return r.status();
      rtt_.push_back(absl::Now() - sent_at[answered]);
      if (absl::Status s = Check(**r, answered, size); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // ByeRequest, then the ByeResponse and the channel's channel_closed.
  absl::Status Close() {
    if (absl::Status s =
            group_->Close(channel_, ChannelGroup::CloseMode::kGraceful);
        !s.ok()) {
      return s;
    }
    if (absl::StatusOr<MessagePtr> r = Expect(OpCode::kByeResponse); !r.ok()) {
      return r.status();
    }
    absl::StatusOr<MessagePtr> closed = Receive();
    if (!closed.ok()) return closed.status();
    if (Classify(**closed).notification !=
        Received::Notification::kChannelClosed) {
      return absl::InternalError(
          absl::StrCat("expected channel_closed after Bye, got ",
                       StatusCodeName((*closed)->header().status)));
    }
    return absl::OkStatus();
  }

  std::vector<absl::Duration>& rtt() { return rtt_; }

 private:
  // The next message other than pool_empty (which only says the engine
  // paused reading).
  absl::StatusOr<MessagePtr> Receive() {
    while (true) {
      absl::StatusOr<MessagePtr> m = group_->WaitReceive(timeout_);
      if (absl::IsDeadlineExceeded(m.status())) {
        return absl::DeadlineExceededError(
            absl::StrCat("no answer within ", absl::FormatDuration(timeout_)));
      }
      if (!m.ok()) return m.status();
      if (Classify(**m).notification != Received::Notification::kPoolEmpty) {
        return m;
      }
    }
  }

  // The next message, which must be `op` with status success.
  absl::StatusOr<MessagePtr> Expect(OpCode op) {
    absl::StatusOr<MessagePtr> m = Receive();
    if (!m.ok()) return m;
    const BinaryHeader& h = (*m)->header();
    if (h.op_code != op || h.status != StatusCode::kSuccess) {
      return absl::InternalError(absl::StrCat(
          "expected ", OpCodeName(op), ", got ", OpCodeName(h.op_code),
          " with status ", StatusCodeName(h.status), " on channel ",
          h.channel_number));
    }
    return m;
  }

  static absl::Status Check(const Message& m, int64_t expected, size_t size) {
    const std::string prefix = absl::StrCat("response ", expected, ": ");
    if (m.header().message_id != static_cast<uint64_t>(expected)) {
      return absl::DataLossError(
          absl::StrCat(prefix, "message_id is ", m.header().message_id));
    }
    const std::string seq = absl::StrCat(expected);
    if (m.FindTextHeader(kSequenceHeader) != seq) {
      return absl::DataLossError(absl::StrCat(prefix, "text headers differ"));
    }
    if (m.body().size() != size) {
      return absl::DataLossError(
          absl::StrCat(prefix, "body has ", m.body().size(), " bytes"));
    }
    absl::StatusOr<uint64_t> got =
        ReadPayload(m.body().view(), static_cast<uint64_t>(expected));
    if (!got.ok())
      return absl::DataLossError(absl::StrCat(prefix, got.status().message()));
    if (*got != static_cast<uint64_t>(expected)) {
      return absl::DataLossError(
          absl::StrCat(prefix, "body of request ", *got));
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChannelGroup> group_;
  absl::Duration timeout_;
  uint16_t channel_ = 0;
  std::vector<absl::Duration> rtt_;
};

double Micros(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

int Main() {
  const int64_t count = absl::GetFlag(FLAGS_count);
  const int64_t size = absl::GetFlag(FLAGS_size);
  const int64_t pipeline = absl::GetFlag(FLAGS_pipeline);
  absl::StatusOr<Address> to = Address::Parse(absl::GetFlag(FLAGS_connect));
  if (!to.ok() || count < 1 || size < 0 || size > 65535 || pipeline < 1 ||
      pipeline > 4096) {
    std::fprintf(stderr,
                 "echo_client: need --connect=tcp|host|port, uds|path or "
                 "uds-abstract|name, "
                 "--count>=1, --size in 0..65535, --pipeline in 1..4096%s%s\n",
                 to.ok() ? "" : ": ",
                 to.ok() ? "" : to.status().ToString().c_str());
    return 2;
  }
  const uint16_t pool =
      static_cast<uint16_t>(std::min<int64_t>(2 * pipeline + 16, 8192));
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(
      {.initial_pool_messages = pool, .max_pool_messages = pool});
  if (!engine.ok()) {
    std::fprintf(stderr, "echo_client: %s\n",
                 engine.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<ChannelGroup>> group =
      (*engine)->CreateGroup();
  if (!group.ok()) return 1;
  EchoClient client(std::move(*engine), std::move(*group),
                    absl::GetFlag(FLAGS_timeout));

  absl::Status status = client.Connect(*to);
  const absl::Time start = absl::Now();
  if (status.ok()) status = client.Run(count, size, pipeline);
  const absl::Duration elapsed = absl::Now() - start;
  if (status.ok()) status = client.Close();
  if (!status.ok()) {
    std::fprintf(stderr, "echo_client: %s\n", status.ToString().c_str());
    return 1;
  }
  std::vector<absl::Duration>& rtt = client.rtt();
  std::sort(rtt.begin(), rtt.end());
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-9);
  std::printf(
      "%lld requests of %lld bytes, pipeline %lld, in %.3f s: %.0f msg/s, "
      "%.2f MB/s each way; round trip p50 %.1f us, p99 %.1f us\n",
      static_cast<long long>(count), static_cast<long long>(size),
      static_cast<long long>(pipeline), seconds, count / seconds,
      count * static_cast<double>(size) / seconds / 1e6,
      Micros(rtt[rtt.size() / 2]), Micros(rtt[rtt.size() * 99 / 100]));
  return 0;
}

}  // namespace
}  // namespace tofu

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tofu::Main();
}
