#include "stress/testing/raw_peer.h"

#include "absl/strings/str_cat.h"
#include "stress/payload.h"

namespace tofu::stress::testing {

absl::StatusOr<std::unique_ptr<RawPeer>> RawPeer::Create() {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create();
  if (!engine.ok()) return engine.status();
  absl::StatusOr<std::unique_ptr<ChannelGroup>> group =
      (*engine)->CreateGroup();
  if (!group.ok()) return group.status();
  return std::unique_ptr<RawPeer>(
      new RawPeer(*std::move(engine), *std::move(group)));
}

absl::StatusOr<Address> RawPeer::ListenTcp() {
  if (absl::StatusOr<BinaryHeader> p =
          group_->Listen(Address::Tcp("127.0.0.1", 0));
      !p.ok()) {
    return p.status();
  }
  absl::StatusOr<MessagePtr> ready = Next();
  if (!ready.ok()) return ready.status();
  if ((*ready)->header().status != StatusCode::kSuccess) {
    return ToAbslStatus((*ready)->header().status, "listen");
  }
  return ListenAddressOf(**ready);
}

absl::StatusOr<uint16_t> RawPeer::Connect(const Address& to,
                                          const Headers& headers) {
  MessagePtr hello = engine_->Get(AllocationStrategy::kAlways);
  if (absl::Status s = MakeHelloRequest(to, *hello); !s.ok()) return s;
  for (const auto& [name, value] : headers) {
    if (absl::Status s = hello->AddTextHeader(name, value); !s.ok()) return s;
  }
  absl::StatusOr<BinaryHeader> posted = group_->Post(hello);
  if (!posted.ok()) return posted.status();
  absl::StatusOr<MessagePtr> reply = Next();
  if (!reply.ok()) return reply.status();
  if ((*reply)->header().op_code != OpCode::kHelloResponse) {
    return absl::InternalError(
        absl::StrCat("expected a HelloResponse, got ",
                     OpCodeName((*reply)->header().op_code), " with status ",
                     StatusCodeName((*reply)->header().status)));
  }
  return posted->channel_number;
}

absl::Status RawPeer::Send(OpCode op, uint16_t channel, uint64_t id,
                           size_t size, const Headers& headers) {
  MessagePtr m = engine_->Get(AllocationStrategy::kAlways);
  m->header().op_code = op;
  m->header().channel_number = channel;
  m->header().message_id = id;
  for (const auto& [name, value] : headers) {
    if (absl::Status s = m->AddTextHeader(name, value); !s.ok()) return s;
  }
  FillPayload(id, size, m->body());
  return group_->Post(m).status();
}

absl::StatusOr<MessagePtr> RawPeer::Next(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<MessagePtr> m = group_->WaitReceive(deadline - absl::Now());
    if (absl::IsDeadlineExceeded(m.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("no message within ", absl::FormatDuration(timeout)));
    }
    if (!m.ok()) return m.status();
    if ((*m)->header().status != StatusCode::kPoolEmpty) return m;
  }
}

}  // namespace tofu::stress::testing
