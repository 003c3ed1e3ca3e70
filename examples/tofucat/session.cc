#include "examples/tofucat/session.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tofu::tofucat {
namespace {

std::string Why(const Received& r) {
  return std::string(StatusCodeName(r.status));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Session>> Session::Create(Plan plan) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create();
  if (!engine.ok()) return engine.status();
  absl::StatusOr<std::unique_ptr<ChannelGroup>> group =
      (*engine)->CreateGroup();
  if (!group.ok()) return group.status();
  return std::unique_ptr<Session>(
      new Session(std::move(plan), *std::move(engine), *std::move(group)));
}

absl::Status Session::Run() { return plan_.listen ? RunServer() : RunClient(); }

absl::StatusOr<Received> Session::Step(absl::Time deadline) {
  absl::StatusOr<MessagePtr> m = group_->WaitReceive(
      std::max(deadline - absl::Now(), absl::ZeroDuration()));
  if (!m.ok()) return m.status();
  const Received r = Classify(**m);
  if (r.kind == Received::Kind::kReceiverUpdate) {
    stopped_ = true;
    return r;
  }
  std::printf("%s\n", plan_.print(**m).c_str());
  std::fflush(stdout);
  if (r.kind == Received::Kind::kNotification &&
      r.notification == Received::Notification::kChannelClosed &&
      r.channel_number == channel_ && channel_ != 0) {
    closed_ = true;
  }
  if (r.kind != Received::Kind::kFrame) return r;
  switch (r.op_code) {
    case OpCode::kResponse:
      ++responses_;
      ++messages_;
      break;
    case OpCode::kRequest:
      ++messages_;
      if (plan_.echo) {
        if (absl::Status s = group_->Reply(std::move(*m)).status(); !s.ok()) {
          return s;
        }
      }
      break;
    case OpCode::kSignal:
      ++messages_;
      break;
    case OpCode::kByeRequest:
      peer_said_bye_ = true;
      [[fallthrough]];
    case OpCode::kHelloRequest:
      // Accept every connection, answer every goodbye.
      if (absl::Status s = group_->Reply(std::move(*m)).status(); !s.ok()) {
        return s;
      }
      break;
    default:
      break;
  }
  return r;
}

absl::Status Session::SendOne() {
  MessagePtr m = engine_->Get(AllocationStrategy::kAlways);
  m->header().op_code = *plan_.send;
  m->header().channel_number = channel_;
  for (const auto& [name, value] : plan_.headers) {
    if (absl::Status s = m->AddTextHeader(name, value); !s.ok()) return s;
  }
  m->body().Append(plan_.body);
  return group_->Post(std::move(m)).status();
}

absl::Status Session::RunClient() {
  const std::string to = plan_.address.ToString();
  absl::StatusOr<BinaryHeader> hello = group_->Connect(plan_.address);
  if (!hello.ok()) return hello.status();
  channel_ = hello->channel_number;
  // The handshake.
  const absl::Time connect_deadline = absl::Now() + plan_.timeout;
  while (true) {
    absl::StatusOr<Received> r = Step(connect_deadline);
    if (absl::IsDeadlineExceeded(r.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("no answer from ", to, " within ",
                       absl::FormatDuration(plan_.timeout)));
    }
    if (!r.ok()) return r.status();
    if (stopped_) return absl::OkStatus();
    if (r->kind == Received::Kind::kFrame &&
        r->op_code == OpCode::kHelloResponse) {
      break;
    }
    if (r->kind == Received::Kind::kReturned) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", to, ": ", Why(*r)));
    }
    if (closed_) {
      return absl::UnavailableError(
          absl::StrCat(to, " refused the connection"));
    }
  }
  // What arrives on the way is printed (and answered); a close or a message
  // back unsent ends the run.
  auto check = [&](const absl::StatusOr<Received>& r) -> absl::Status {
    if (!r.ok()) return r.status();
    if (r->kind == Received::Kind::kReturned) {
      return absl::UnavailableError(absl::StrCat(
          "a ", OpCodeName(r->op_code), " came back unsent: ", Why(*r)));
    }
    if (r->kind == Received::Kind::kNotification &&
        r->notification == Received::Notification::kChannelFailed) {
      return absl::UnavailableError(
          absl::StrCat("the channel failed: ", Why(*r)));
    }
    if (closed_ || peer_said_bye_) {
      return absl::UnavailableError(absl::StrCat(to, " closed the channel"));
    }
    return absl::OkStatus();
  };
  if (plan_.send.has_value()) {
    for (int64_t i = 0; i < plan_.count && !stopped_; ++i) {
      if (i > 0 && plan_.interval > absl::ZeroDuration()) {
        const absl::Time next = absl::Now() + plan_.interval;
        while (!stopped_) {
          absl::StatusOr<Received> r = Step(next);
          if (absl::IsDeadlineExceeded(r.status())) break;
          if (absl::Status s = check(r); !s.ok()) return s;
        }
      }
      if (absl::Status s = SendOne(); !s.ok()) return s;
    }
    const int64_t expected = *plan_.send == OpCode::kRequest ? plan_.count : 0;
    while (responses_ < expected && !stopped_) {
      absl::StatusOr<Received> r = Step(absl::Now() + plan_.timeout);
      if (absl::IsDeadlineExceeded(r.status())) {
        return absl::DeadlineExceededError(absl::StrCat(
            "got ", responses_, " of ", expected, " Responses; none within ",
            absl::FormatDuration(plan_.timeout)));
      }
      if (absl::Status s = check(r); !s.ok()) return s;
    }
  } else {
    // Only receiving: until the peer says goodbye or closes.
    while (!stopped_ && !closed_ && !peer_said_bye_) {
      absl::StatusOr<Received> r = Step(absl::InfiniteFuture());
      if (!r.ok()) return r.status();
    }
  }
  if (stopped_ || closed_) return absl::OkStatus();
  // A graceful goodbye, unless the peer asked first (answered by Step).
  if (!peer_said_bye_) {
    if (absl::Status s =
            group_->Close(channel_, ChannelGroup::CloseMode::kGraceful);
        !s.ok()) {
      return s;
    }
  }
  const absl::Time bye_deadline = absl::Now() + plan_.timeout;
  while (!closed_ && !stopped_) {
    absl::StatusOr<Received> r = Step(bye_deadline);
    if (absl::IsDeadlineExceeded(r.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("no ByeResponse from ", to));
    }
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::Status Session::RunServer() {
  absl::StatusOr<BinaryHeader> posted = group_->Listen(plan_.address);
  if (!posted.ok()) return posted.status();
  absl::StatusOr<MessagePtr> ready = group_->WaitReceive(plan_.timeout);
  if (!ready.ok()) return ready.status();
  absl::StatusOr<Address> bound = ListenAddressOf(**ready);
  if (!bound.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", plan_.address.ToString(), ": ",
                     StatusCodeName((*ready)->header().status)));
  }
  std::fprintf(stderr, "listening on %s\n", bound->ToString().c_str());
  std::fflush(stderr);
  while (!stopped_ &&
         (plan_.max_messages == 0 || messages_ < plan_.max_messages)) {
    absl::StatusOr<Received> r = Step(absl::InfiniteFuture());
    if (!r.ok()) return r.status();
  }
  // Leave the clients time to say goodbye, so the last answers are not cut
  // off: until only the listener is left.
  const absl::Time deadline = absl::Now() + plan_.timeout;
  while (!stopped_ && engine_->stats().channels_open > 1) {
    absl::StatusOr<Received> r = Step(deadline);
    if (absl::IsDeadlineExceeded(r.status())) break;
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace tofu::tofucat
