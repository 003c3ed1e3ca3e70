#include "stress/server.h"

#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "message/binary_header.h"
#include "stress/stress_protocol.h"
#include "stress/verifier.h"

namespace tofu::stress {
namespace {

// Error texts sent back in a ByeResponse are cut to this length.
constexpr size_t kMaxErrorHeader = 400;

}  // namespace

struct StressServer::Connection {
  Connection(std::string name, size_t size, uint64_t credit_interval)
      : name(std::move(name)),
        verifier(size),
        credit_interval(credit_interval) {}

  std::string name;  // "connection 17 cycle 2 (server channel 9)"
  SequenceVerifier verifier;
  uint64_t credit_interval;
  std::string first_error;  // sent back in the ByeResponse
  absl::Duration verify_time = absl::ZeroDuration();  // in Check
  bool bye_answered = false;
};

absl::StatusOr<std::unique_ptr<StressServer>> StressServer::Start(
    const Address& listen, ServerOptions options, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(options.engine);
  if (!engine.ok()) return engine.status();
  absl::StatusOr<std::unique_ptr<ChannelGroup>> group =
      (*engine)->CreateGroup();
  if (!group.ok()) return group.status();
  if (absl::StatusOr<BinaryHeader> posted = (*group)->Listen(listen);
      !posted.ok()) {
    return posted.status();
  }
  absl::StatusOr<MessagePtr> ready = (*group)->WaitReceive(timeout);
  if (absl::IsDeadlineExceeded(ready.status())) {
    return absl::DeadlineExceededError(absl::StrCat(
        "timed out after ", absl::FormatDuration(timeout),
        " waiting for the WelcomeResponse to listen on ", listen.Value()));
  }
  if (!ready.ok()) return ready.status();
  absl::StatusOr<Address> bound = ListenAddressOf(**ready);
  if (!bound.ok()) {
    const StatusCode why = (*ready)->header().status;
    return ToAbslStatus(
        why == StatusCode::kSuccess ? StatusCode::kListenFailed : why,
        absl::StrCat("cannot listen on ", listen.ToString()));
  }
  std::string address = bound->ToString();
  std::unique_ptr<StressServer> server(
      new StressServer(*std::move(engine), *std::move(group),
                       std::move(address), std::move(options.on_violation)));
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

StressServer::StressServer(std::unique_ptr<Engine> engine,
                           std::unique_ptr<ChannelGroup> group,
                           std::string address,
                           std::function<void(const std::string&)> on_violation)
    : engine_(std::move(engine)),
      group_(std::move(group)),
      address_(std::move(address)),
      on_violation_(std::move(on_violation)),
      connections_(kMaxChannelNumber + 1) {}

StressServer::~StressServer() { Stop(); }

void StressServer::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  group_->UpdateReceiver(nullptr).IgnoreError();  // Serve() returns on it
  thread_.join();
  group_.reset();
  engine_.reset();
}

absl::Status StressServer::WaitForClosed(uint64_t connections,
                                         absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, connections]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stats_.connections_closed >= connections;
  };
  if (mu_.AwaitWithTimeout(absl::Condition(&enough), timeout)) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "timed out after ", absl::FormatDuration(timeout),
      " waiting for the server to see ", connections,
      " connections closed: it answered ", stats_.connections_opened,
      " HelloRequests and saw ", stats_.connections_closed, " closed"));
}

ServerStats StressServer::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void StressServer::Violation(const std::string& text) {
  const std::string line = absl::StrCat("server: ", text);
  {
    absl::MutexLock lock(&mu_);
    stats_.violations.Add(line);
  }
  if (on_violation_) on_violation_(line);
}

void StressServer::Serve() {
  while (true) {
    absl::StatusOr<MessagePtr> got =
        group_->WaitReceive(absl::InfiniteDuration());
    if (!got.ok()) {
      Violation(absl::StrCat("receiving failed: ", got.status().ToString()));
      return;
    }
    MessagePtr m = *std::move(got);
    const BinaryHeader& h = m->header();
    const Received::Kind kind = Classify(*m).kind;
    if (kind == Received::Kind::kReceiverUpdate) return;  // Stop()
    if (kind != Received::Kind::kFrame) {
      OnNotification(std::move(m));
      continue;
    }
    if (h.status != StatusCode::kSuccess) {
      Violation(absl::StrCat("channel ", h.channel_number, ": peer sent ",
                             OpCodeName(h.op_code), " ", h.message_id,
                             " with status ", StatusCodeName(h.status)));
      continue;
    }
    switch (h.op_code) {
      case OpCode::kHelloRequest:
        OnHello(std::move(m));
        break;
      case OpCode::kRequest:
      case OpCode::kSignal:
        OnData(std::move(m));
        break;
      case OpCode::kByeRequest:
        OnBye(std::move(m));
        break;
      default:
        Violation(absl::StrCat("channel ", h.channel_number, ": unexpected ",
                               OpCodeName(h.op_code)));
    }
  }
}

void StressServer::OnNotification(MessagePtr m) {
  const BinaryHeader& h = m->header();
  std::unique_ptr<Connection>& c = connections_[h.channel_number];
  const Received::Notification what = Classify(*m).notification;
  if (what == Received::Notification::kPoolEmpty) {
    absl::MutexLock lock(&mu_);
    ++stats_.pool_empty;
    return;
  }
  const bool closed = what == Received::Notification::kChannelClosed;
  const std::string name =
      c != nullptr ? c->name : absl::StrCat("channel ", h.channel_number);
  if (!closed) {
    // A message of ours handed back: it was never sent.
    Violation(absl::StrCat(name, ": the engine returned ",
                           OpCodeName(h.op_code), " ", h.message_id,
                           " with status ", StatusCodeName(h.status)));
    return;
  }
  if (c == nullptr) {
    Violation(absl::StrCat(name, " closed before its HelloRequest arrived"));
    return;
  }
  if (!c->bye_answered) {
    Violation(absl::StrCat(name, " closed without a Bye after ",
                           c->verifier.received(),
                           " messages (next expected sequence ",
                           c->verifier.next_expected(), ")"));
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.connections_closed;
    stats_.messages += c->verifier.received();
    stats_.verify_time += c->verify_time;
  }
  c.reset();
}

void StressServer::OnHello(MessagePtr m) {
  BinaryHeader& h = m->header();
  std::unique_ptr<Connection>& c = connections_[h.channel_number];
  if (c != nullptr) {
    Violation(absl::StrCat(c->name, ": a second HelloRequest"));
    return;
  }
  const std::optional<uint64_t> conn = NumberHeader(*m, kConnHeader);
  const std::optional<uint64_t> cycle = NumberHeader(*m, kCycleHeader);
  const std::optional<uint64_t> size = NumberHeader(*m, kSizeHeader);
  const std::optional<uint64_t> window = NumberHeader(*m, kWindowHeader);
  std::string name =
      conn.has_value()
          ? absl::StrCat("connection ", *conn, " cycle ", cycle.value_or(1),
                         " (server channel ", h.channel_number, ")")
          : absl::StrCat("server channel ", h.channel_number);
  c = std::make_unique<Connection>(std::move(name), size.value_or(0),
                                   CreditInterval(window.value_or(1)));
  if (!size.has_value() || *size > kMaxBodyLength) {
    Violation(absl::StrCat(c->name, ": HelloRequest without a valid `",
                           kSizeHeader, "` header"));
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.connections_opened;
  }
  MakeReply(*m).IgnoreError();  // a HelloRequest always has one
  m->text_headers().Clear();
  PostOrReport(std::move(m), "HelloResponse");
}

void StressServer::OnData(MessagePtr m) {
  BinaryHeader& h = m->header();
  Connection* c = connections_[h.channel_number].get();
  if (c == nullptr) {
    Violation(absl::StrCat("server channel ", h.channel_number, ": ",
                           OpCodeName(h.op_code), " ", h.message_id,
                           " before any HelloRequest"));
    return;
  }
  const bool request = h.op_code == OpCode::kRequest;
  const auto checking = std::chrono::steady_clock::now();
  const absl::Status checked =
      c->verifier.Check(h.message_id, m->body().view());
  c->verify_time +=
      absl::FromChrono(std::chrono::steady_clock::now() - checking);
  if (!checked.ok()) {
    const std::string text =
        absl::StrCat(c->name, ": ", request ? "request " : "stream message ",
                     checked.message());
    if (c->first_error.empty()) c->first_error = text;
    Violation(text);
  }
  if (request) {
    MakeReply(*m).IgnoreError();  // a Request always has one
    PostOrReport(std::move(m), "Response");
    return;
  }
  const uint64_t received = c->verifier.received();
  if (received == 0 || received % c->credit_interval != 0) return;
  // Reuse the message for the credit: a Signal of our own, fresh id.
  m->body().Clear();
  m->text_headers().Clear();
  m->AddTextHeader(kAckHeader, absl::StrCat(received)).IgnoreError();
  h.message_id = 0;
  PostOrReport(std::move(m), "credit Signal");
}

void StressServer::OnBye(MessagePtr m) {
  BinaryHeader& h = m->header();
  Connection* c = connections_[h.channel_number].get();
  if (c == nullptr) {
    Violation(absl::StrCat("server channel ", h.channel_number,
                           ": ByeRequest before any HelloRequest"));
    return;
  }
  const std::optional<uint64_t> sent = NumberHeader(*m, kSentHeader);
  absl::Status finished =
      sent.has_value()
          ? c->verifier.Finish(*sent)
          : absl::InvalidArgumentError(absl::StrCat("ByeRequest without a `",
                                                    kSentHeader, "` header"));
  if (!finished.ok()) {
    const std::string text = absl::StrCat(c->name, ": ", finished.message());
    if (c->first_error.empty()) c->first_error = text;
    Violation(text);
  }
  c->bye_answered = true;
  MakeReply(*m).IgnoreError();  // a ByeRequest always has one
  m->text_headers().Clear();
  m->AddTextHeader(kReceivedHeader, absl::StrCat(c->verifier.received()))
      .IgnoreError();
  if (!c->first_error.empty()) {
    m->AddTextHeader(kErrorHeader, c->first_error.substr(0, kMaxErrorHeader))
        .IgnoreError();
  }
  PostOrReport(std::move(m), "ByeResponse");
}

void StressServer::PostOrReport(MessagePtr m, const std::string& what) {
  const uint16_t channel = m->header().channel_number;
  if (absl::StatusOr<BinaryHeader> posted = group_->Post(m); !posted.ok()) {
    Connection* c = connections_[channel].get();
    Violation(absl::StrCat(
        c != nullptr ? c->name : absl::StrCat("channel ", channel),
        ": posting the ", what, " failed: ", posted.status().ToString()));
  }
}

}  // namespace tofu::stress
