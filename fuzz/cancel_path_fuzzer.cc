// Fuzzes the engine core (reactor/reactor.h) end to end on the simulated
// network (reactor/testing/sim_network.h): a driven reactor, one thread, no
// sockets. The input chooses application actions (HelloRequest,
// WelcomeRequest, Request, Signal, responses, ByeRequest/ByeResponse, the oob
// ByeSignal abort, group and engine destruction, exhausting the pool by
// holding received messages and giving them back) interleaved with network
// events played by the remote peers (connects that finish, fail or are
// refused, partial writes, partial reads, valid frames, frames cut in two,
// garbage, incoming connections, accept and listen failures, peer close and
// reset) and loop iterations. The paths that cancel work (closing channels,
// returning unsent messages, aborting, destroying) are the target.
//
// Every message carries a tag in its body: an application message its post
// serial, a peer frame its connection and sequence number. That lets the
// fuzzer follow each one and check, after every step:
//   - every message the application posted comes back to it (with a status)
//     or is written whole to the peer, exactly once and never both; unless
//     its group or the engine was destroyed first, in which case it may also
//     be released (LeakSanitizer checks that it is freed). After the input,
//     with the network made cooperative, a message on a live channel is left
//     unsent only behind a bye frame;
//   - what is written is exactly what was posted (header, text headers,
//     body), to the channel's own connection, the HelloRequest first; per
//     channel, non-oob messages go out in post order (docs/protocol.md, The
//     engine: an oob message may jump the queue); nothing follows a bye frame
//     but, once, the ByeResponse to the peer's own ByeRequest after ours
//     (crossing Byes);
//   - peer frames reach the application on the connection's channel, in
//     wire order, none lost or repeated, exactly as sent except that the
//     origin is application (a forged engine origin is cleared), the channel
//     is the local one and the status byte is read as docs/protocol.md, Status
//     codes, says; and after a quiet period with everything given back to the
//     pool, every complete frame sent on a live channel has been delivered
//     (resume without loss);
//   - every channel that opened reports exactly one channel_closed, with the
//     message_id that opened it, exactly when the engine closed its
//     connection, after every message returned for it; after it nothing
//     for that channel but later posts coming back with channel_closed.
//     Unless its group or the engine was destroyed first: a silent close,
//     which must still close the connection;
//   - deadlines (bye, handshake, frame: kFuzzDeadline on a clock only the
//     input moves) close a channel with communication_failed, which is
//     reported only once the clock has moved;
//   - pool_empty is reported at most once per starvation episode (a second
//     one needs a message returned to the pool in between), accept_failed
//     only for a listener whose accept failed, once per episode (a second
//     one needs a connection accepted in between), invalid_message only for
//     a connection that sent garbage, and no other notification;
//   - Post keeps the message on an error and never fails for a channel of
//     the posting group while both live;
//   - the engine keeps the Stream and Poller contracts (SimNetwork's
//     violations(): no stream used after it was closed, none closed while
//     registered, ...).
// Every violation aborts with a message saying what and where.
//
// Reading a reproducer: TOFU_FUZZ_TRACE=1 bazel-bin/fuzz/<this>_replay_test
// <file> prints every action and everything observed.
//
// Input: byte 0 sets the pool (initial 1..4 messages, max up to 3 more);
// then up to kMaxActions actions, each a selector byte (see Act()) followed by
// its argument bytes. Reading past the end yields zeros; the run ends when the
// input does.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "fuzz/fuzz_support.h"
#include "message/binary_header.h"
#include "message/frame_decoder.h"
#include "message/message.h"
#include "message/opcode.h"
#include "message/status.h"
#include "message/testing/decode_frames.h"
#include "pool/channel_table.h"
#include "pool/message_pool.h"
#include "reactor/deadlines.h"
#include "reactor/group_inbox.h"
#include "reactor/reactor.h"
#include "reactor/testing/sim_network.h"
#include "transport/address.h"
#include "transport/socket.h"

namespace tofu {
namespace {

using sim::ConnectBehavior;
using sim::SimNetwork;
using sim::StreamInfo;

constexpr size_t kMaxActions = 300;
constexpr size_t kMaxGroups = 6;
constexpr int kMaxAcceptFailures = 2;
// The settling phase ends after this many rounds in a row with nothing new,
// or after kMaxSettleRounds.
constexpr int kQuietRounds = 6;
constexpr int kMaxSettleRounds = 3000;
constexpr size_t kLargeBody = 2100;  // above FrameEncoder::kCopyLimit
// Every deadline on peers (bye, handshake, frame), on the fuzzer's clock.
constexpr absl::Duration kFuzzDeadline = absl::Milliseconds(100);

// Engine bugs this fuzzer found, fixed, and checked strictly since (their
// reproducers are in the corpus): an oob message written before its
// channel's HelloRequest (oob_request_while_connecting); an accepted
// channel's opening id lost when its first frame had message_id 0
// (accepted_first_frame_id_zero); frames written behind a half-written bye
// frame (request_behind_unfinished_bye).

[[noreturn]] void Fail(const char* condition, const std::string& what,
                       int line) {
  std::fprintf(stderr,
               "cancel_path_fuzzer.cc:%d: invariant violated: %s\n  (%s)\n",
               line, what.c_str(), condition);
  std::abort();
}

// With TOFU_FUZZ_TRACE set in the environment, every action and everything
// observed is printed to stderr: for reading a reproducer.
bool Tracing() {
  static const bool tracing = std::getenv("TOFU_FUZZ_TRACE") != nullptr;
  return tracing;
}

template <typename... Args>
void Trace(const Args&... args) {
  if (Tracing()) {
    std::fprintf(stderr, "%s\n", absl::StrCat(args...).c_str());
  }
}

// Checks an invariant; the rest of the arguments (absl::StrCat) say what is
// wrong, evaluated only on failure.
#define INVARIANT(condition, ...)     \
  ((condition) ? static_cast<void>(0) \
               : Fail(#condition, absl::StrCat(__VA_ARGS__), __LINE__))

// --- Body tags.

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetU64(absl::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(in[i]);
  return v;
}

void Pad(std::string& out, uint64_t seed, size_t padding) {
  for (size_t i = 0; i < padding; ++i) {
    out.push_back(static_cast<char>('a' + (seed + i) % 26));
  }
}

std::string AppBody(uint64_t serial, size_t padding) {
  std::string body = "A";
  PutU64(body, serial);
  Pad(body, serial, padding);
  return body;
}

std::optional<uint64_t> AppSerial(absl::string_view body) {
  if (body.size() < 9 || body[0] != 'A') return std::nullopt;
  return GetU64(body.substr(1));
}

std::string PeerBody(NativeSocket stream, uint64_t seq, size_t padding) {
  std::string body = "P";
  PutU64(body, static_cast<uint64_t>(stream));
  PutU64(body, seq);
  Pad(body, seq * 7 + static_cast<uint64_t>(stream), padding);
  return body;
}

struct PeerTag {
  uint64_t stream;
  uint64_t seq;
};

std::optional<PeerTag> PeerTagOf(absl::string_view body) {
  if (body.size() < 17 || body[0] != 'P') return std::nullopt;
  return PeerTag{GetU64(body.substr(1)), GetU64(body.substr(9))};
}

bool IsBye(OpCode op) { return TypeOf(op) == MessageType::kBye; }

// --- The model.

// A message the application posted.
struct Posted {
  enum class State { kOut, kReturned, kWritten, kReleased };
  uint64_t serial = 0;
  size_t group = 0;
  uint16_t channel = 0;
  BinaryHeader header;  // as Post prepared it
  std::string text_headers;
  std::string body;
  uint64_t round = 0;  // wait_calls() when posted
  State state = State::kOut;
};

struct ChannelModel {
  enum class Kind { kClient, kListener, kAccepted };
  size_t group = 0;
  Kind kind = Kind::kClient;
  // The message_id of the final channel_closed: the Hello/WelcomeRequest's,
  // or (accepted) the first frame's.
  uint64_t opening_id = 0;
  uint64_t opener_serial = 0;  // the Hello/WelcomeRequest (0: accepted)
  std::optional<NativeSocket> stream;
  std::vector<uint64_t> posted;  // serials, in post order
  bool closed = false;           // channel_closed seen
  bool silent = false;           // its group or the engine was destroyed
  // A message came back with a closing status: channel_closed must follow
  // in the same iteration.
  bool closing = false;
  bool pool_empty_seen = false;
  uint64_t returns_before_pool_empty = 0;
  // Listeners: accept_failed reports, and connections accepted at the last.
  int accept_failed_reports = 0;
  size_t accepted_at_accept_failed = 0;
  std::optional<uint64_t> peer_id;  // a message_id the peer sent
};

struct SentFrame {
  BinaryHeader header;
  std::string text_headers;
  std::string body;
};

// One simulated stream, seen from the peer's side.
struct PeerStream {
  std::optional<uint16_t> channel;  // from the engine's registration token
  // What the engine wrote, decoded.
  FrameDecoder decoder;
  size_t frames_read = 0;
  bool hello_read = false;
  // The iteration in which a bye frame was written whole: nothing may
  // follow it.
  std::optional<uint64_t> bye_round;
  // That first bye frame was a ByeRequest; the ByeResponse of a crossed
  // exchange was written after it.
  bool first_bye_request = false;
  bool crossed_answer = false;
  uint64_t last_serial = 0;  // of the last non-oob frame read
  std::optional<uint64_t> last_app_id;
  // What the peer sent: frames [0, complete) are on the wire whole; `tail`
  // is the rest of frame `complete` when it was cut.
  std::vector<SentFrame> sent;
  size_t complete = 0;
  std::string tail;
  // Frames from this index on are never delivered (after garbage, or after a
  // ByeResponse, which closes the channel).
  size_t limit = SIZE_MAX;
  bool garbage = false;
  size_t delivered = 0;
  int accept_failures = 0;
};

// Whether the peer's ByeRequest is on the wire whole, so that the engine may
// have read it: the application may answer it even after its own ByeRequest
// (crossing Byes), and may post that answer before it has taken the
// ByeRequest from its inbox (the engine reads it in the same iteration).
bool PeerByeRequestSent(const PeerStream& p) {
  for (size_t i = 0; i < p.complete && i < p.sent.size(); ++i) {
    if (p.sent[i].header.op_code == OpCode::kByeRequest) return true;
  }
  return false;
}

struct Group {
  std::shared_ptr<GroupInbox> inbox;
  bool destroyed = false;
  std::vector<uint16_t> channels;
};

class Harness {
 public:
  explicit Harness(fuzz::ByteReader& in) : in_(in) {
    PoolOptions pool;
    const uint8_t p = in_.Byte();
    pool.initial = static_cast<uint16_t>(1 + p % 4);
    pool.max = static_cast<uint16_t>(pool.initial + (p >> 2) % 4);
    absl::StatusOr<std::unique_ptr<Reactor>> reactor =
        Reactor::CreateDriven(pool, sim_.NewPoller(), sim_.NewNetwork());
    INVARIANT(reactor.ok(), "CreateDriven: ", reactor.status().ToString());
    reactor_ = std::move(*reactor);
    // Deadlines on a clock the input moves (AdvanceClock).
    reactor_->SetTimeoutsForTesting(Timeouts{.bye = kFuzzDeadline,
                                             .handshake = kFuzzDeadline,
                                             .frame = kFuzzDeadline},
                                    [this] { return now_; });
    NewGroup();
  }

  ~Harness() {
    held_.clear();
    reactor_.reset();
    CheckContracts();
  }

  void Run() {
    for (size_t i = 0; i < kMaxActions && !in_.empty(); ++i) Act();
    Settle();
    if (!shut_down_) Shutdown();
  }

 private:
  // --- Actions.

  void Act() {
    switch (in_.Byte() % 32) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {
        const size_t rounds = 1 + in_.Below(4);
        for (size_t i = 0; i < rounds; ++i) Round();
        return;
      }
      case 5:
        return PostOpening(OpCode::kHelloRequest);
      case 6:
        return PostOpening(OpCode::kWelcomeRequest);
      case 7:
      case 8:
        return PostOn(OpCode::kRequest);
      case 9:
        return PostOn(OpCode::kSignal);
      case 10:
        return PostOn(in_.Bit() ? OpCode::kResponse : OpCode::kHelloResponse);
      case 11:
        return PostOn(OpCode::kByeRequest);
      case 12:
        return PostOn(OpCode::kByeResponse);
      case 13:
        return PostOn(OpCode::kByeSignal, /*oob=*/true);
      case 14: {
        // Rarer operations: a wire ByeSignal, a Hello/Welcome on an existing
        // channel, a WelcomeResponse (never the application's to send).
        static constexpr OpCode kOdd[] = {
            OpCode::kByeSignal, OpCode::kHelloRequest, OpCode::kWelcomeRequest,
            OpCode::kWelcomeResponse};
        return PostOn(kOdd[in_.Below(4)], /*oob=*/false);
      }
      case 15:
        return DestroyGroup();
      case 16:
        return NewGroup();
      case 17:
        // Destroying the engine ends the interesting part: keep it rare.
        if (in_.Below(4) == 0) return Shutdown();
        return AdvanceClock();
      case 18:
        return ExhaustPool();
      case 19:
        hold_ = !hold_;
        Trace("hold ", hold_);
        return;
      case 20:
        Trace("give back ", held_.size(), " held messages");
        held_.clear();
        return;
      case 21: {
        static constexpr ConnectBehavior kBehaviors[] = {
            ConnectBehavior::kAtOnce, ConnectBehavior::kPending,
            ConnectBehavior::kRefuse, ConnectBehavior::kInvalidAddress};
        const size_t b = in_.Below(4);
        Trace("connect behavior ", b);
        sim_.set_connect_behavior(kBehaviors[b]);
        return;
      }
      case 22:
        return ResolveConnect();
      case 23:
        return SetWriteBudget();
      case 24:
        return SetReadChunk();
      case 25:
      case 26:
      case 27:
        return PeerSend();
      case 28:
        return PeerGarbage();
      case 29:
        return PeerEnd();
      case 30:
        return Incoming();
      case 31:
        if (in_.Bit()) {
          Trace("fail next listen");
          sim_.FailNextListen(in_.Bit() ? StatusCode::kListenFailed
                                        : StatusCode::kInvalidAddress);
        } else {
          FailAccept();
        }
        return;
    }
  }

  void NewGroup() {
    if (groups_.size() >= kMaxGroups) return;
    absl::StatusOr<std::shared_ptr<GroupInbox>> g = reactor_->CreateGroup();
    INVARIANT(g.ok() == !shut_down_, "CreateGroup: ", g.status().ToString());
    if (!g.ok()) return;
    groups_.push_back(Group{std::move(*g), false, {}});
    Trace("new group ", groups_.size() - 1);
  }

  size_t PickGroup() { return in_.Below(groups_.size()); }

  // A channel number to post to: usually one of the group's, sometimes
  // another group's or an unknown number.
  uint16_t PickChannel(size_t group) {
    const uint8_t how = in_.Byte();
    const std::vector<uint16_t>& own = groups_[group].channels;
    if (how % 8 != 0 && !own.empty()) return own[in_.Below(own.size())];
    if (how % 8 == 0 && !channels_.empty() && in_.Bit()) {
      auto it = channels_.begin();
      std::advance(it, in_.Below(channels_.size()));
      return it->first;
    }
    return static_cast<uint16_t>(1 + in_.Below(kMaxChannelNumber));
  }

  size_t PickPadding() {
    switch (in_.Below(4)) {
      case 0:
        return 0;
      case 1:
      case 2:
        return in_.Below(64);
      default:
        return kLargeBody + in_.Below(1024);
    }
  }

  MessagePtr NewMessage() {
    return in_.Bit() ? reactor_->pool().Get(AllocationStrategy::kAlways)
                     : Message::Create();
  }

  void PostOpening(OpCode op) {
    const size_t group = PickGroup();
    MessagePtr m = NewMessage();
    m->header().op_code = op;
    std::string address;
    if (op == OpCode::kHelloRequest) {
      switch (in_.Below(6)) {
        case 0:
          address = "tcp|peer";  // invalid: two parts
          break;
        case 1:
          address = "uds|/sim/peer";
          break;
        default:
          address = absl::StrCat("tcp|peer|", 1 + in_.Byte());
      }
      INVARIANT(m->AddTextHeader(kConnectToHeader, address).ok(), address);
    } else {
      switch (in_.Below(6)) {
        case 0:
          address = "tcp|x|port";  // invalid port
          break;
        case 1:
          address = "uds|";
          break;
        case 2:
          address = absl::StrCat("tcp||", 1 + in_.Byte());
          break;
        default:
          address = "tcp||0";
      }
      INVARIANT(m->AddTextHeader(kListenOnHeader, address).ok(), address);
    }
    Post(group, std::move(m), /*oob=*/false);
  }

  void PostOn(OpCode op, std::optional<bool> oob = std::nullopt) {
    const size_t group = PickGroup();
    MessagePtr m = NewMessage();
    BinaryHeader& h = m->header();
    h.op_code = op;
    h.channel_number = PickChannel(group);
    if (RoleOf(op) == MessageRole::kResponse) {
      auto it = channels_.find(h.channel_number);
      h.message_id = it != channels_.end() && it->second.peer_id.has_value() &&
                             *it->second.peer_id != 0 && in_.Bit()
                         ? *it->second.peer_id
                         : 1 + in_.U16();
    }
    if (op == OpCode::kHelloRequest) {
      INVARIANT(m->AddTextHeader(kConnectToHeader, "tcp|peer|1").ok(), "");
    } else if (op == OpCode::kWelcomeRequest) {
      INVARIANT(m->AddTextHeader(kListenOnHeader, "tcp||0").ok(), "");
    } else if (in_.Below(4) == 0) {
      INVARIANT(
          m->AddTextHeader("x", absl::StrCat(static_cast<int>(in_.Byte())))
              .ok(),
          "");
    }
    if (TypeOf(op) == MessageType::kRegular) h.more = in_.Below(4) == 0;
    Post(group, std::move(m), oob.has_value() ? *oob : in_.Below(4) == 0);
  }

  void Post(size_t group, MessagePtr m, bool oob) {
    Group& g = groups_[group];
    const uint64_t serial = ledger_.size() + 1;
    m->header().oob = oob;
    m->body().Assign(AppBody(serial, PickPadding()));
    const uint16_t asked = m->header().channel_number;
    auto known = channels_.find(asked);
    // Post may fail only for a number that is not the group's, or once the
    // group or the engine is gone.
    const bool must_succeed =
        !g.destroyed && !shut_down_ &&
        (asked == kUnassignedChannel ||
         (known != channels_.end() && known->second.group == group));
    const OpCode op = m->header().op_code;
    const std::string text(m->text_headers().view());
    const std::string body(m->body().view());
    absl::StatusOr<BinaryHeader> posted = reactor_->Post(*g.inbox, m);
    Trace("post #", serial, " ", OpCodeName(op), " group ", group, " channel ",
          asked, oob ? " oob" : "", " -> ",
          posted.ok() ? absl::StrCat("channel ", posted->channel_number)
                      : posted.status().ToString());
    if (!posted.ok()) {
      INVARIANT(m != nullptr, "Post failed (", posted.status().ToString(),
                ") but took the message");
      INVARIANT(!must_succeed, "Post to channel ", asked, " of group ", group,
                " failed: ", posted.status().ToString());
      return;
    }
    INVARIANT(m == nullptr, "Post succeeded but left the message");
    const BinaryHeader& h = *posted;
    Posted p;
    p.serial = serial;
    p.group = group;
    p.channel = h.channel_number;
    p.header = h;
    p.text_headers = text;
    p.body = body;
    p.round = sim_.wait_calls();
    ledger_.push_back(std::move(p));
    if (asked == kUnassignedChannel) {
      INVARIANT(h.channel_number != kUnassignedChannel, "no channel assigned");
      INVARIANT(!channels_.contains(h.channel_number), "channel number ",
                h.channel_number, " handed out twice");
      ChannelModel& ch = channels_[h.channel_number];
      ch.group = group;
      ch.kind = h.op_code == OpCode::kHelloRequest
                    ? ChannelModel::Kind::kClient
                    : ChannelModel::Kind::kListener;
      ch.opening_id = h.message_id;
      ch.opener_serial = serial;
      g.channels.push_back(h.channel_number);
    } else {
      INVARIANT(known != channels_.end() && known->second.group == group,
                "Post to channel ", asked, ", not one of group ", group,
                "'s, succeeded");
      INVARIANT(h.channel_number == asked, "Post moved the message from ",
                asked, " to ", h.channel_number);
    }
    channels_[h.channel_number].posted.push_back(serial);
    Drain();  // a post to a closed channel comes straight back
    CheckRound();
  }

  void DestroyGroup() {
    const size_t group = PickGroup();
    Group& g = groups_[group];
    returns_at_round_start_ = Returns();
    Trace("destroy group ", group);
    reactor_->DestroyGroup(*g.inbox);
    absl::StatusOr<MessagePtr> after = g.inbox->Wait(absl::ZeroDuration());
    INVARIANT(
        StatusCodeOf(after.status()) == StatusCode::kShutdownStarted,
        "a destroyed group's inbox is not closed: ", after.status().ToString());
    const bool was_destroyed = g.destroyed;
    g.destroyed = true;
    AfterRound(/*silenced=*/was_destroyed ? SIZE_MAX : group);
  }

  // Moves the deadlines' clock by up to twice a deadline: some channels
  // waiting on a peer or a frame then expire at the next sweep.
  void AdvanceClock() {
    const int64_t ms =
        1 + in_.Below(2 * absl::ToInt64Milliseconds(kFuzzDeadline));
    now_ += std::chrono::milliseconds(ms);
    Trace("clock +", ms, " ms");
  }

  void Shutdown() {
    returns_at_round_start_ = Returns();
    Trace("shutdown");
    reactor_->Shutdown();
    shut_down_ = true;
    for (Group& g : groups_) g.destroyed = true;
    AfterRound(SIZE_MAX, /*everything=*/true);
    for (NativeSocket s : sim_.streams()) {
      const StreamInfo info = *sim_.Info(s);
      INVARIANT(!info.handed_out || info.end != StreamInfo::End::kOpen,
                "stream ", s, " still open after Shutdown");
    }
    INVARIANT(!reactor_->RunOnce(absl::ZeroDuration()),
              "RunOnce after Shutdown");
  }

  void ExhaustPool() {
    while (MessagePtr m = reactor_->pool().Get(AllocationStrategy::kPoolOnly)) {
      held_.push_back(std::move(m));
    }
    Trace("exhaust pool: holding ", held_.size());
  }

  // Connection streams (not listeners) that satisfy `want`.
  template <typename Want>
  std::optional<NativeSocket> PickStream(Want want) {
    std::vector<NativeSocket> candidates;
    for (NativeSocket s : sim_.streams()) {
      const StreamInfo info = *sim_.Info(s);
      if (info.kind != StreamInfo::Kind::kListener && want(info)) {
        candidates.push_back(s);
      }
    }
    if (candidates.empty()) return std::nullopt;
    return candidates[in_.Below(candidates.size())];
  }

  std::optional<NativeSocket> PickListener() {
    std::vector<NativeSocket> candidates;
    for (NativeSocket s : sim_.streams()) {
      const StreamInfo info = *sim_.Info(s);
      if (info.kind == StreamInfo::Kind::kListener &&
          info.end == StreamInfo::End::kOpen) {
        candidates.push_back(s);
      }
    }
    if (candidates.empty()) return std::nullopt;
    return candidates[in_.Below(candidates.size())];
  }

  // A stream the peer may still send on.
  static bool CanSend(const StreamInfo& info) {
    return info.connect == StreamInfo::Connect::kDone && !info.peer_closed &&
           !info.peer_reset;
  }

  void ResolveConnect() {
    std::optional<NativeSocket> s = PickStream([](const StreamInfo& info) {
      return info.connect == StreamInfo::Connect::kPending;
    });
    if (!s.has_value()) return;
    const bool fail = in_.Below(3) == 0;
    Trace(fail ? "fail" : "complete", " connect of stream ", *s);
    const absl::Status done =
        fail ? sim_.FailConnect(*s) : sim_.CompleteConnect(*s);
    INVARIANT(done.ok(), done.ToString());
  }

  void SetWriteBudget() {
    std::optional<NativeSocket> s =
        PickStream([](const StreamInfo&) { return true; });
    if (!s.has_value()) return;
    size_t budget = sim::kUnlimited;
    switch (in_.Below(4)) {
      case 0:
        budget = 0;
        break;
      case 1:
        budget = 1 + in_.Below(64);
        break;
      case 2:
        budget = 1 + in_.U16() % 4096;
        break;
      default:
        break;
    }
    Trace("stream ", *s, " write budget ", budget);
    INVARIANT(sim_.SetWriteBudget(*s, budget).ok(), "SetWriteBudget");
  }

  void SetReadChunk() {
    std::optional<NativeSocket> s =
        PickStream([](const StreamInfo&) { return true; });
    if (!s.has_value()) return;
    const size_t chunk = in_.Bit() ? 1 + in_.Below(32) : sim::kUnlimited;
    Trace("stream ", *s, " read chunk ", chunk);
    INVARIANT(sim_.SetReadChunk(*s, chunk).ok(), "SetReadChunk");
  }

  void DeliverTail(NativeSocket s, PeerStream& p) {
    if (p.tail.empty()) return;
    INVARIANT(sim_.Deliver(s, p.tail).ok(), "Deliver");
    p.tail.clear();
    ++p.complete;
  }

  void PeerSend() {
    std::optional<NativeSocket> s = PickStream(CanSend);
    if (!s.has_value()) return;
    PeerStream& p = peers_[*s];
    DeliverTail(*s, p);
    static constexpr OpCode kOps[] = {
        OpCode::kHelloRequest, OpCode::kHelloResponse, OpCode::kRequest,
        OpCode::kResponse,     OpCode::kSignal,        OpCode::kRequest,
        OpCode::kByeRequest,   OpCode::kByeResponse,   OpCode::kByeSignal};
    SentFrame f;
    BinaryHeader& h = f.header;
    h.op_code = kOps[in_.Below(9)];
    h.channel_number = in_.U16();
    h.origin = in_.Below(4) == 0 ? Origin::kEngine : Origin::kApplication;
    h.more = in_.Below(8) == 0;
    h.oob = in_.Below(8) == 0;
    h.status = static_cast<StatusCode>(in_.Below(4) == 0 ? in_.Byte() : 0);
    switch (in_.Below(4)) {
      case 0:
        h.message_id = 0;
        break;
      case 1:
        h.message_id = p.last_app_id.value_or(1);
        break;
      default:
        h.message_id = 1 + in_.U16();
    }
    if (in_.Below(4) == 0) f.text_headers = "k: v\r\n";
    f.body = PeerBody(*s, p.sent.size(), PickPadding());
    h.text_headers_length = static_cast<uint16_t>(f.text_headers.size());
    h.body_length = static_cast<uint16_t>(f.body.size());
    const WireHeader wire = EncodeBinaryHeader(h);
    std::string bytes(wire.begin(), wire.end());
    bytes += f.text_headers;
    bytes += f.body;
    if (h.op_code == OpCode::kByeResponse) {
      p.limit = std::min(p.limit, p.sent.size() + 1);
    }
    p.sent.push_back(std::move(f));
    // Sometimes only a first part now; the rest goes before the next frame.
    const size_t cut = in_.Below(4) == 0 ? in_.Below(bytes.size()) : 0;
    Trace("peer ", *s, " sends #", p.sent.size() - 1, " ",
          OpCodeName(p.sent.back().header.op_code), " id ",
          p.sent.back().header.message_id,
          cut > 0 ? absl::StrCat(" cut at ", cut) : "");
    if (cut > 0) {
      p.tail = bytes.substr(cut);
      bytes.resize(cut);
    } else {
      ++p.complete;
    }
    INVARIANT(sim_.Deliver(*s, bytes).ok(), "Deliver");
  }

  void PeerGarbage() {
    std::optional<NativeSocket> s = PickStream(CanSend);
    if (!s.has_value()) return;
    PeerStream& p = peers_[*s];
    DeliverTail(*s, p);
    // A header the decoder must refuse at once: opcodes 10..15 and the
    // Welcome opcodes never travel.
    static constexpr uint8_t kBadOps[] = {8, 9, 10, 11, 12, 13, 14, 15};
    std::string bytes(kBinaryHeaderSize, '\0');
    for (char& c : bytes) c = static_cast<char>(in_.Byte());
    bytes[2] = static_cast<char>((bytes[2] & 0xF0) | kBadOps[in_.Below(8)]);
    p.garbage = true;
    Trace("peer ", *s, " sends garbage");
    p.limit = std::min(p.limit, p.sent.size());
    INVARIANT(sim_.Deliver(*s, bytes).ok(), "Deliver");
  }

  void PeerEnd() {
    std::optional<NativeSocket> s = PickStream(CanSend);
    if (!s.has_value()) return;
    const bool reset = in_.Bit();
    Trace("peer ", *s, reset ? " resets" : " closes");
    const absl::Status done = reset ? sim_.PeerReset(*s) : sim_.PeerClose(*s);
    INVARIANT(done.ok(), done.ToString());
  }

  void Incoming() {
    std::optional<NativeSocket> l = PickListener();
    if (!l.has_value()) return;
    absl::StatusOr<NativeSocket> s = sim_.AddIncoming(*l);
    INVARIANT(s.ok(), "AddIncoming");
    Trace("incoming connection ", *s, " on listener ", *l);
  }

  void FailAccept() {
    std::optional<NativeSocket> l = PickListener();
    if (!l.has_value() || peers_[*l].accept_failures >= kMaxAcceptFailures) {
      return;
    }
    ++peers_[*l].accept_failures;
    Trace("fail next accept on ", *l);
    INVARIANT(sim_.FailNextAccept(*l).ok(), "FailNextAccept");
  }

  // --- Loop iterations and what follows them.

  void Round() {
    if (shut_down_) {
      INVARIANT(!reactor_->RunOnce(absl::ZeroDuration()),
                "RunOnce after Shutdown");
      return;
    }
    returns_at_round_start_ = Returns();
    Trace("round ", sim_.wait_calls() + 1);
    INVARIANT(reactor_->RunOnce(absl::ZeroDuration()),
              "the loop ended without a Shutdown");
    AfterRound();
  }

  // Messages returned to the pool so far (freed or kept).
  uint64_t Returns() const {
    const PoolStats s = reactor_->pool().stats();
    return s.gets - s.in_use;
  }

  // After an iteration (or a group/engine destruction, which runs one):
  // `silenced` is a group just destroyed, `everything` the engine.
  void AfterRound(size_t silenced = SIZE_MAX, bool everything = false) {
    returns_at_round_end_ = Returns();
    Scan();
    if (silenced != SIZE_MAX || everything) {
      for (auto& [number, ch] : channels_) {
        if (everything || ch.group == silenced) ch.silent = !ch.closed;
      }
    }
    ReadWire();
    if (silenced != SIZE_MAX || everything) {
      for (Posted& p : ledger_) {
        if (p.state == Posted::State::kOut &&
            (everything || p.group == silenced)) {
          p.state = Posted::State::kReleased;
        }
      }
      for (auto& [number, ch] : channels_) {
        if (!ch.silent || !ch.stream.has_value()) continue;
        INVARIANT(sim_.Info(*ch.stream)->end != StreamInfo::End::kOpen,
                  "channel ", number, " of a destroyed group: stream ",
                  *ch.stream, " left open");
      }
    }
    Drain();
    CheckRound();
  }

  // Connections the engine has accepted from `listener`.
  size_t Accepted(NativeSocket listener) const {
    size_t n = 0;
    for (NativeSocket s : sim_.streams()) {
      const StreamInfo info = *sim_.Info(s);
      if (info.listener == listener && info.handed_out) ++n;
    }
    return n;
  }

  // Maps streams to channels through the token the engine registered them
  // with (a packed ChannelToken, poller.h).
  void Scan() {
    for (NativeSocket s : sim_.streams()) {
      PeerStream& p = peers_[s];
      const StreamInfo info = *sim_.Info(s);
      if (!info.token.has_value()) continue;
      const uint16_t number = ChannelToken::Unpack(*info.token).number;
      if (p.channel.has_value()) {
        INVARIANT(*p.channel == number, "stream ", s, " moved from channel ",
                  *p.channel, " to ", number);
        continue;
      }
      p.channel = number;
      auto it = channels_.find(number);
      if (info.kind == StreamInfo::Kind::kAccepted) {
        INVARIANT(it == channels_.end(), "accepted stream ", s, " got channel ",
                  number, ", which was in use");
        const std::optional<uint16_t> listener = peers_[info.listener].channel;
        INVARIANT(listener.has_value() && channels_.contains(*listener),
                  "accepted stream ", s, " from an unknown listener");
        const size_t group = channels_[*listener].group;
        ChannelModel& ch = channels_[number];
        ch.kind = ChannelModel::Kind::kAccepted;
        ch.group = group;
        ch.stream = s;
        ch.silent = groups_[group].destroyed;
        groups_[group].channels.push_back(number);
        continue;
      }
      INVARIANT(it != channels_.end(), "stream ", s, " registered for channel ",
                number, ", never opened");
      ChannelModel& ch = it->second;
      INVARIANT(ch.kind == (info.kind == StreamInfo::Kind::kListener
                                ? ChannelModel::Kind::kListener
                                : ChannelModel::Kind::kClient),
                "stream ", s, " of the wrong kind for channel ", number);
      INVARIANT(!ch.stream.has_value(), "channel ", number,
                " has two streams: ", *ch.stream, " and ", s);
      ch.stream = s;
    }
  }

  // Decodes what the engine wrote.
  void ReadWire() {
    for (auto& entry : peers_) {
      // Named, not structured bindings: clang 14 cannot capture those.
      const NativeSocket s = entry.first;
      PeerStream& p = entry.second;
      const std::string bytes = sim_.TakeWritten(s);
      if (!DecodeFrames(
              p.decoder,
              absl::MakeConstSpan(
                  reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
              [&](MessagePtr m) { OnWireFrame(s, p, std::move(m)); })) {
        Fail("decoder",
             absl::StrCat("the engine wrote an invalid frame to stream ", s,
                          ": ", StatusCodeName(p.decoder.error())),
             __LINE__);
      }
    }
  }

  void OnWireFrame(NativeSocket s, PeerStream& p, MessagePtr m) {
    ++events_;
    const BinaryHeader& h = m->header();
    const std::optional<uint64_t> serial = AppSerial(m->body().view());
    INVARIANT(serial.has_value() && *serial >= 1 && *serial <= ledger_.size(),
              "stream ", s, ": the engine wrote a frame nobody posted");
    Trace("  stream ", s, " wrote #", *serial, " ", OpCodeName(h.op_code));
    Posted& e = ledger_[*serial - 1];
    // After a bye frame only the answer to the peer's own ByeRequest may
    // follow ours (crossing Byes), and only once.
    INVARIANT(!p.bye_round.has_value() ||
                  (h.op_code == OpCode::kByeResponse && p.first_bye_request &&
                   !p.crossed_answer && PeerByeRequestSent(p)),
              "stream ", s, ": ", OpCodeName(h.op_code), " ", *serial,
              " written after a bye frame");
    if (p.bye_round.has_value()) p.crossed_answer = true;
    INVARIANT(e.state == Posted::State::kOut, "message ", *serial,
              " written to stream ", s, " but it was ",
              e.state == Posted::State::kWritten    ? "written already"
              : e.state == Posted::State::kReturned ? "returned already"
                                                    : "released");
    const ChannelModel& ch = channels_[e.channel];
    INVARIANT(ch.stream == s, "message ", *serial, " for channel ", e.channel,
              " written to stream ", s);
    BinaryHeader want = e.header;
    INVARIANT(h == want, "message ", *serial, " on stream ", s,
              ": header differs from the one posted");
    INVARIANT(m->text_headers().view() == e.text_headers &&
                  m->body().view() == e.body,
              "message ", *serial, " on stream ", s, ": content differs");
    if (ch.kind == ChannelModel::Kind::kClient && !p.hello_read) {
      INVARIANT(*serial == ch.opener_serial, "stream ", s, ": ",
                OpCodeName(h.op_code), " ", *serial,
                " written before the HelloRequest ", ch.opener_serial);
      p.hello_read = *serial == ch.opener_serial;
    }
    if (!h.oob) {
      INVARIANT(*serial > p.last_serial, "stream ", s, ": message ", *serial,
                " written after ", p.last_serial, " (post order)");
      p.last_serial = *serial;
    }
    if (IsBye(h.op_code) && !p.bye_round.has_value()) {
      p.bye_round = sim_.wait_calls();
      p.first_bye_request = h.op_code == OpCode::kByeRequest;
    }
    p.last_app_id = h.message_id;
    ++p.frames_read;
    e.state = Posted::State::kWritten;
  }

  void Drain() {
    for (size_t gi = 0; gi < groups_.size(); ++gi) {
      Group& g = groups_[gi];
      if (g.destroyed) continue;
      while (true) {
        absl::StatusOr<MessagePtr> m = g.inbox->Wait(absl::ZeroDuration());
        INVARIANT(m.ok(), "group ", gi,
                  ": inbox closed while alive: ", m.status().ToString());
        if (*m == nullptr) break;
        ++events_;
        OnReceived(gi, **m);
        if (hold_) held_.push_back(std::move(*m));
      }
    }
  }

  void OnReceived(size_t group, const Message& m) {
    const BinaryHeader& h = m.header();
    if (h.origin == Origin::kEngine) {
      INVARIANT(!PeerTagOf(m.body().view()).has_value(), "group ", group,
                ": a peer frame arrived with origin engine (forged)");
      if (std::optional<uint64_t> serial = AppSerial(m.body().view())) {
        OnReturned(group, *serial, m);
      } else {
        OnNotification(group, m);
      }
    } else {
      OnPeerFrame(group, m);
    }
  }

  void OnReturned(size_t group, uint64_t serial, const Message& m) {
    const BinaryHeader& h = m.header();
    INVARIANT(serial >= 1 && serial <= ledger_.size(), "group ", group,
              ": returned message with unknown serial ", serial);
    Trace("  group ", group, " got back #", serial, " ", OpCodeName(h.op_code),
          " ", StatusCodeName(h.status));
    Posted& e = ledger_[serial - 1];
    INVARIANT(e.state == Posted::State::kOut, "message ", serial, " returned (",
              StatusCodeName(h.status), ") but it was ",
              e.state == Posted::State::kWritten    ? "written"
              : e.state == Posted::State::kReturned ? "returned already"
                                                    : "released");
    INVARIANT(e.group == group, "message ", serial, " of group ", e.group,
              " returned to group ", group);
    INVARIANT(h.channel_number == e.channel, "message ", serial,
              " returned on channel ", h.channel_number, ", posted to ",
              e.channel);
    INVARIANT(m.body().view() == e.body, "message ", serial,
              " returned with another body");
    e.state = Posted::State::kReturned;
    ChannelModel& ch = channels_[e.channel];
    const bool welcome = e.header.op_code == OpCode::kWelcomeRequest &&
                         serial == ch.opener_serial;
    if (welcome) {
      INVARIANT(h.op_code == OpCode::kWelcomeResponse, "message ", serial,
                ": a WelcomeRequest came back as ", OpCodeName(h.op_code));
    } else {
      INVARIANT(h.op_code == e.header.op_code, "message ", serial,
                " came back as ", OpCodeName(h.op_code));
      INVARIANT(m.text_headers().view() == e.text_headers, "message ", serial,
                " returned with other text headers");
    }
    if (welcome && h.status == StatusCode::kSuccess) {
      INVARIANT(ch.stream.has_value(), "listener ", e.channel,
                " ready without a stream");
      const std::string bound = sim_.Info(*ch.stream)->address.Value();
      INVARIANT(m.FindTextHeader(kListenOnHeader) == bound, "listener ",
                e.channel, ": WelcomeResponse does not carry ", bound);
      return;
    }
    INVARIANT(h.status != StatusCode::kSuccess, "message ", serial,
              " returned with status success");
    if (ch.closed) {
      INVARIANT(h.status == StatusCode::kChannelClosed, "message ", serial,
                " returned after channel_closed of ", e.channel, " with ",
                StatusCodeName(h.status));
      return;
    }
    // not_allowed refuses the message and leaves the channel; anything else
    // is a closing channel giving its messages back.
    if (h.status != StatusCode::kNotAllowed) ch.closing = true;
  }

  void OnNotification(size_t group, const Message& m) {
    const BinaryHeader& h = m.header();
    INVARIANT(h.op_code == OpCode::kSignal, "group ", group,
              ": engine message ", OpCodeName(h.op_code), " (",
              StatusCodeName(h.status),
              ") that is neither a notification "
              "nor a returned message");
    Trace("  group ", group, " notified ", StatusCodeName(h.status),
          " channel ", h.channel_number, " id ", h.message_id);
    auto it = channels_.find(h.channel_number);
    INVARIANT(it != channels_.end(), "group ", group, ": ",
              StatusCodeName(h.status), " for unknown channel ",
              h.channel_number);
    ChannelModel& ch = it->second;
    INVARIANT(ch.group == group, StatusCodeName(h.status), " for channel ",
              h.channel_number, " of group ", ch.group, " sent to group ",
              group);
    INVARIANT(!ch.closed, StatusCodeName(h.status), " for channel ",
              h.channel_number, " after its channel_closed");
    switch (h.status) {
      case StatusCode::kChannelClosed: {
        INVARIANT(h.message_id == ch.opening_id, "channel_closed of ",
                  h.channel_number, " carries id ", h.message_id,
                  ", opened by ", ch.opening_id);
        if (ch.stream.has_value()) {
          INVARIANT(sim_.Info(*ch.stream)->end != StreamInfo::End::kOpen,
                    "channel_closed of ", h.channel_number, " but stream ",
                    *ch.stream, " is open");
        }
        // Returned unsent messages come first: everything dispatched before
        // this iteration must be settled by now.
        const uint64_t now = sim_.wait_calls();
        for (uint64_t serial : ch.posted) {
          const Posted& e = ledger_[serial - 1];
          INVARIANT(e.state != Posted::State::kOut || e.round + 1 >= now,
                    "channel_closed of ", h.channel_number, " before message ",
                    serial, " (posted in round ", e.round, ", now ", now,
                    ") was written or returned");
        }
        ch.closed = true;
        return;
      }
      case StatusCode::kPoolEmpty:
        INVARIANT(ch.kind != ChannelModel::Kind::kListener,
                  "pool_empty for listener ", h.channel_number);
        INVARIANT(!ch.pool_empty_seen ||
                      returns_at_round_end_ > ch.returns_before_pool_empty,
                  "second pool_empty for channel ", h.channel_number,
                  " with no message returned to the pool since the first");
        ch.pool_empty_seen = true;
        ch.returns_before_pool_empty = returns_at_round_start_;
        return;
      case StatusCode::kAcceptFailed: {
        // One report per failure episode; an accepted connection ends it.
        INVARIANT(ch.kind == ChannelModel::Kind::kListener && ch.stream,
                  "accept_failed for channel ", h.channel_number,
                  ", not a listener");
        INVARIANT(h.message_id == ch.opening_id, "accept_failed of ",
                  h.channel_number, " carries id ", h.message_id);
        const size_t accepted = Accepted(*ch.stream);
        INVARIANT(ch.accept_failed_reports < peers_[*ch.stream].accept_failures,
                  "more accept_failed for listener ", h.channel_number,
                  " than failed accepts");
        INVARIANT(ch.accept_failed_reports == 0 ||
                      accepted > ch.accepted_at_accept_failed,
                  "second accept_failed for listener ", h.channel_number,
                  " with no connection accepted since the first");
        ++ch.accept_failed_reports;
        ch.accepted_at_accept_failed = accepted;
        return;
      }
      case StatusCode::kCommunicationFailed:
        // A deadline passed: the clock moved past a Bye the peer did not
        // answer or a frame it did not finish.
        INVARIANT(now_ > SteadyTime(), "communication_failed for channel ",
                  h.channel_number, " while the clock never moved");
        INVARIANT(h.message_id == ch.opening_id, "communication_failed of ",
                  h.channel_number, " carries id ", h.message_id);
        ch.closing = true;
        return;
      case StatusCode::kInvalidMessage:
        INVARIANT(ch.stream.has_value() && peers_[*ch.stream].garbage,
                  "invalid_message for channel ", h.channel_number,
                  ", whose peer sent no garbage");
        INVARIANT(h.message_id == ch.opening_id, "invalid_message of ",
                  h.channel_number, " carries id ", h.message_id);
        ch.closing = true;
        return;
      default:
        Fail("notification",
             absl::StrCat("unexpected notification ", StatusCodeName(h.status),
                          " for channel ", h.channel_number),
             __LINE__);
    }
  }

  void OnPeerFrame(size_t group, const Message& m) {
    const BinaryHeader& h = m.header();
    auto it = channels_.find(h.channel_number);
    INVARIANT(it != channels_.end(), "group ", group,
              ": peer frame on unknown channel ", h.channel_number);
    ChannelModel& ch = it->second;
    INVARIANT(ch.group == group, "peer frame for channel ", h.channel_number,
              " of group ", ch.group, " sent to group ", group);
    INVARIANT(!ch.closed, "peer frame on channel ", h.channel_number,
              " after its channel_closed");
    INVARIANT(ch.stream.has_value(), "peer frame on channel ", h.channel_number,
              ", which has no stream");
    const std::optional<PeerTag> tag = PeerTagOf(m.body().view());
    INVARIANT(tag.has_value(), "channel ", h.channel_number,
              ": a frame nobody sent");
    INVARIANT(tag->stream == static_cast<uint64_t>(*ch.stream), "channel ",
              h.channel_number, " (stream ", *ch.stream,
              ") delivered a frame of stream ", tag->stream);
    Trace("  group ", group, " got frame #", tag->seq, " ",
          OpCodeName(h.op_code), " of stream ", *ch.stream, " on channel ",
          h.channel_number);
    PeerStream& p = peers_[*ch.stream];
    INVARIANT(tag->seq == p.delivered, "stream ", *ch.stream, ": frame ",
              tag->seq, " delivered, expected ", p.delivered,
              " (lost, repeated or reordered)");
    INVARIANT(tag->seq < p.complete && tag->seq < p.limit, "stream ",
              *ch.stream, ": frame ", tag->seq,
              " delivered, but it is incomplete or follows garbage or a "
              "ByeResponse");
    const SentFrame& f = p.sent[tag->seq];
    BinaryHeader want = f.header;
    want.origin = Origin::kApplication;
    want.channel_number = h.channel_number;
    want.status = StatusCodeFromByte(static_cast<uint8_t>(want.status));
    INVARIANT(h == want, "stream ", *ch.stream, ": frame ", tag->seq,
              " delivered with another header");
    INVARIANT(
        m.text_headers().view() == f.text_headers && m.body().view() == f.body,
        "stream ", *ch.stream, ": frame ", tag->seq,
        " delivered with other content");
    if (ch.kind == ChannelModel::Kind::kAccepted && p.delivered == 0) {
      ch.opening_id = h.message_id;
    }
    ch.peer_id = h.message_id;
    ++p.delivered;
  }

  // After every step: what must hold once an iteration's deliveries are in.
  void CheckRound() {
    CheckContracts();
    for (const auto& [number, ch] : channels_) {
      if (ch.silent) continue;
      INVARIANT(!ch.closing || ch.closed, "channel ", number,
                " gave messages back (or reported invalid_message) without "
                "channel_closed");
      if (ch.stream.has_value() && !ch.closed) {
        INVARIANT(sim_.Info(*ch.stream)->end == StreamInfo::End::kOpen,
                  "the engine closed stream ", *ch.stream, " of channel ",
                  number, " without channel_closed");
      }
      if (ch.closed) {
        for (uint64_t serial : ch.posted) {
          INVARIANT(ledger_[serial - 1].state != Posted::State::kOut,
                    "message ", serial, " to closed channel ", number,
                    " neither written nor returned");
        }
      }
    }
  }

  void CheckContracts() {
    const std::vector<std::string> violations = sim_.violations();
    if (violations.empty()) return;
    std::string all;
    for (const std::string& v : violations) absl::StrAppend(&all, "\n  ", v);
    Fail("sim_.violations().empty()",
         absl::StrCat("Stream/Poller contract broken:", all), __LINE__);
  }

  // --- The end: a cooperative network until nothing changes, then checks.

  void Settle() {
    if (shut_down_) return;
    Trace("settle");
    hold_ = false;
    held_.clear();
    sim_.set_connect_behavior(ConnectBehavior::kAtOnce);
    for (NativeSocket s : sim_.streams()) {
      const StreamInfo info = *sim_.Info(s);
      if (info.kind == StreamInfo::Kind::kListener) continue;
      INVARIANT(sim_.SetWriteBudget(s, sim::kUnlimited).ok(), "budget");
      INVARIANT(sim_.SetReadChunk(s, sim::kUnlimited).ok(), "chunk");
    }
    int quiet = 0;
    for (int i = 0; i < kMaxSettleRounds && quiet < kQuietRounds; ++i) {
      // Connects still pending (some from HelloRequests dispatched only
      // now) succeed.
      for (NativeSocket s : sim_.streams()) {
        if (sim_.Info(s)->connect == StreamInfo::Connect::kPending) {
          INVARIANT(sim_.CompleteConnect(s).ok(), "CompleteConnect");
        }
      }
      const uint64_t before = events_;
      Round();
      quiet = events_ == before ? quiet + 1 : 0;
    }
    for (const auto& [number, ch] : channels_) {
      if (ch.closed || ch.silent) continue;
      INVARIANT(ch.stream.has_value(), "channel ", number,
                " neither connected nor closed");
      const StreamInfo info = *sim_.Info(*ch.stream);
      const PeerStream& p = peers_[*ch.stream];
      if (ch.kind == ChannelModel::Kind::kListener) {
        // After a failed accept the engine rests the listener until a
        // channel closes or a delay passes (real time): only a listener that
        // never failed must have accepted everything.
        INVARIANT(info.backlog == 0 || p.accept_failures > 0, "listener ",
                  number, " left ", info.backlog, " connections unaccepted");
        continue;
      }
      // The application holds nothing now, but the engine may (messages
      // queued behind a bye frame, a frame half received): with a small pool,
      // that starves readers for good. A channel may stay starved only while
      // the pool is really empty.
      // (pool_empty is not reported for an accepted connection that has not
      // delivered a frame yet: the application does not know it.)
      const bool may_starve =
          (ch.pool_empty_seen ||
           (ch.kind == ChannelModel::Kind::kAccepted && p.delivered == 0)) &&
          reactor_->pool().stats().idle == 0;
      // After the peer's ByeResponse ended a crossed exchange the engine
      // reads nothing more (its bye deadline closes the channel).
      const bool peer_done =
          p.limit >= 1 && p.limit <= p.sent.size() &&
          p.sent[p.limit - 1].header.op_code == OpCode::kByeResponse &&
          p.delivered >= p.limit;
      INVARIANT(may_starve || peer_done ||
                    (!info.peer_closed && !info.peer_reset && !p.garbage),
                "channel ", number, ": the engine never noticed its peer's ",
                info.peer_reset    ? "reset"
                : info.peer_closed ? "close"
                                   : "garbage");
      INVARIANT(may_starve || peer_done || info.unread == 0, "channel ", number,
                ": ", info.unread, " bytes never read");
      INVARIANT(may_starve || peer_done || p.delivered == p.complete,
                "channel ", number, ": ", p.complete - p.delivered,
                " complete frames never delivered");
      for (uint64_t serial : ch.posted) {
        INVARIANT(ledger_[serial - 1].state != Posted::State::kOut ||
                      p.bye_round.has_value(),
                  "message ", serial, " to live channel ", number,
                  " never written (and no bye frame went before it)");
      }
    }
  }

  fuzz::ByteReader& in_;
  // The deadlines' clock, moved only by AdvanceClock.
  SteadyTime now_{};
  SimNetwork sim_;
  std::unique_ptr<Reactor> reactor_;
  bool shut_down_ = false;
  std::vector<Group> groups_;
  std::map<uint16_t, ChannelModel> channels_;
  std::map<NativeSocket, PeerStream> peers_;
  std::vector<Posted> ledger_;  // serial n at n - 1
  std::vector<MessagePtr> held_;
  bool hold_ = false;
  uint64_t returns_at_round_start_ = 0;
  uint64_t returns_at_round_end_ = 0;
  uint64_t events_ = 0;  // frames written and messages received
};

}  // namespace
}  // namespace tofu

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tofu::fuzz::ByteReader in(data, size);
  tofu::Harness harness(in);
  harness.Run();
  return 0;
}
