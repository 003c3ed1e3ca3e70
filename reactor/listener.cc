// Listeners (see reactor.h): opening one for a WelcomeRequest (whose
// WelcomeResponse names the address really bound), accepting connections, and
// the throttling after a failed accept (the listener rests until a channel
// closes or a retry delay passes). Under io_mu_ only.

#include <optional>
#include <utility>

#include "absl/strings/string_view.h"
#include "message/buffer.h"
#include "message/status.h"
#include "message/text_headers.h"
#include "reactor/reactor.h"
#include "transport/address.h"

namespace tofu {
namespace {

// Connections accepted per readiness event, so one busy listener cannot starve
// the rest.
constexpr int kMaxAcceptsPerEvent = 256;

// Replaces the value of the first `~listen_on` header (the address the listener
// really bound), keeping every other byte of the block as it was. A block the
// new value would make too long keeps the old one.
void RewriteListenOn(Message& message, absl::string_view value) {
  const absl::string_view block = message.text_headers().view();
  TextHeaderReader reader(block);
  std::optional<TextHeader> h;
  while ((h = reader.Next()) && h->name != kListenOnHeader) {
  }
  if (!h.has_value()) return;
  // The old value's bytes; a header without ':' has none, after its name.
  const bool has_colon = h->value.data() != nullptr;
  const size_t begin = has_colon
                           ? h->value.data() - block.data()
                           : h->name.data() + h->name.size() - block.data();
  const size_t end = begin + h->value.size();
  const absl::string_view colon = has_colon ? "" : ":";
  if (block.size() - (end - begin) + colon.size() + value.size() >
      kMaxTextHeadersLength) {
    return;
  }
  Buffer rewritten;
  rewritten.Append({block.substr(0, begin), colon, value, block.substr(end)});
  message.text_headers().Assign(rewritten.view());
  message.header().text_headers_length =
      static_cast<uint16_t>(message.text_headers().size());
}

}  // namespace

void Reactor::StartListen(ChannelToken token, Channel& ch, MessagePtr welcome) {
  GroupInbox* group = ch.group;
  absl::StatusOr<Address> address = ParseMessageAddress(*welcome);
  if (address.ok() && address->role != Address::Role::kServer) {
    address = ToAbslStatus(StatusCode::kInvalidAddress,
                           "WelcomeRequest needs ~listen_on");
  }
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      address.ok() ? network_->Listen(*address) : address.status();
  absl::StatusOr<Address> bound =
      stream.ok() ? (*stream)->LocalAddress() : stream.status();
  welcome->header().op_code = OpCode::kWelcomeResponse;
  if (!bound.ok()) {
    deliveries_.ReturnToApp(group, std::move(welcome),
                            StatusCodeOf(bound.status()));
    CloseChannel(token, ch, StatusCode::kChannelClosed, /*abort=*/true);
    return;
  }
  ch.kind = Channel::Kind::kListener;
  ch.stream = std::move(*stream);
  channels_.SetHint(token, bound->transport == Address::Transport::kUds);
  live_.insert(token.Pack());
  sweeping_.store(timeouts_.any(), std::memory_order_relaxed);
  UpdateInterest(token, ch);
  RewriteListenOn(*welcome, bound->Value());
  deliveries_.ReturnToApp(group, std::move(welcome), StatusCode::kSuccess);
}

void Reactor::AcceptAll(ChannelToken token, Channel& listener) {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    absl::StatusOr<std::unique_ptr<Stream>> accepted =
        listener.stream->Accept();
    if (!accepted.ok()) {
      PauseListener(token, listener, accepted.status());
      return;
    }
    if (*accepted == nullptr) return;
    listener.accept_failure_reported = false;  // the episode is over
    absl::StatusOr<ChannelToken> opened =
        channels_.Open(listener.group->id(), listener.group, /*opening_id=*/0);
    if (!opened.ok()) {
      (*accepted)->Abort();  // no channel number left: refuse it
      counters_.ConnectionRefused();
      continue;
    }
    Channel* ch = channels_.Find(*opened);
    // Unknown to the application until its first frame (whose id is then
    // opening_id); under the handshake deadline meanwhile.
    ch->state = ChannelState::Accepted();
    counters_.ChannelOpened();
    counters_.ConnectionAccepted();
    ch->kind = Channel::Kind::kIo;
    ch->stream = std::move(*accepted);
    channels_.SetHint(*opened, channels_.Hint(token));  // the listener's
    live_.insert(opened->Pack());
    UpdateInterest(*opened, *ch);
  }
}

void Reactor::PauseListener(ChannelToken token, Channel& listener,
                            const absl::Status& why) {
  // Out of descriptors or memory: the listener stays readable, so accepting
  // again at once would spin. Stop watching it until a channel closes or
  // kAcceptRetry passes, and tell the application once per episode.
  if (!listener.accept_failure_reported) {
    listener.accept_failure_reported = true;
    MessagePtr signal = NewSignal(pool_,
                                  StatusCodeOf(why) == StatusCode::kSuccess
                                      ? StatusCode::kAcceptFailed
                                      : StatusCodeOf(why),
                                  token.number, listener.opening_id);
    deliveries_.Deliver(listener.group, std::move(signal));
  }
  listener.accept_paused = true;
  paused_listeners_.push_back(token);
  has_paused_listeners_.store(true, std::memory_order_relaxed);
  accept_retry_at_ = absl::Now() + kAcceptRetry;
  UpdateInterest(token, listener);
}

void Reactor::ResumeListeners() {
  std::vector<ChannelToken> paused;
  paused.swap(paused_listeners_);
  has_paused_listeners_.store(false, std::memory_order_relaxed);
  for (const ChannelToken& token : paused) {
    Channel* ch = channels_.Find(token);
    if (ch == nullptr || !ch->accept_paused) continue;
    ch->accept_paused = false;
    UpdateInterest(token, *ch);
  }
}

}  // namespace tofu
