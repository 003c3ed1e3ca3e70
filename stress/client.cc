#include "stress/client.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "stress/payload.h"
#include "stress/start_gate.h"
#include "stress/stress_protocol.h"
#include "stress/verifier.h"
#include "tofu/tofu.h"

namespace tofu::stress {
namespace {

using Clock = std::chrono::steady_clock;

// HelloRequests outstanding over all threads: well under the listen backlog
// (1024), so the kernel never drops a connect and retries it a second later.
constexpr int kConnectWindow = 512;
constexpr uint64_t kProgressBatch = 64;

// What the workers of one point share.
struct Shared {
  Shared(const ClientPlan& plan, Engine& engine, int threads,
         std::atomic<uint64_t>* progress)
      : plan(plan), engine(engine), gate(threads), progress(progress) {}

  // Fails the point: every worker wakes up (receiver_update) and stops.
  void Abort() {
    failed.store(true, std::memory_order_release);
    gate.Abort();
    for (ChannelGroup* g : groups) g->UpdateReceiver(nullptr).IgnoreError();
  }

  const ClientPlan& plan;
  Engine& engine;
  StartGate gate;
  std::atomic<uint64_t>* progress;
  std::vector<ChannelGroup*> groups;  // set before any worker starts
  std::atomic<bool> failed{false};
  // Events handled while connecting: the gate's sign of progress.
  std::atomic<uint64_t> connect_activity{0};
};

// One client thread: its group and its share of the connections, driven by
// what arrives in the group's inbox.
class Worker {
 public:
  Worker(Shared& shared, ChannelGroup& group, int index,
         const std::vector<int>& connections)
      : shared_(shared),
        spec_(shared.plan.spec),
        group_(group),
        index_(index),
        connect_window_(std::max(8, kConnectWindow / spec_.client_threads)),
        by_channel_(kMaxChannelNumber + 1, nullptr) {
    conns_.reserve(connections.size());
    for (int number : connections) {
      Conn& c = conns_.emplace_back();
      c.index = number;
      c.remaining = spec_.messages;
      c.sent_at.resize(static_cast<size_t>(spec_.pipeline));
    }
  }

  void Run();

  ClientTotals& totals() { return totals_; }
  std::optional<Clock::time_point> start() const { return start_; }
  std::optional<Clock::time_point> last_data() const { return last_data_; }

 private:
  enum class State {
    kIdle,         // not connected, maybe queued to connect
    kConnecting,   // HelloRequest posted
    kReady,        // connected, waiting for the start
    kExchanging,   // sending and verifying
    kByeSent,      // waiting for the ByeResponse
    kAwaitClosed,  // waiting for channel_closed
    kDone,
  };

  struct Conn {
    int index = 0;  // the sweep's connection number
    int cycle = 0;
    uint16_t channel = 0;
    State state = State::kIdle;
    Clock::time_point hello_at;
    int64_t remaining = 0;  // churn, by count: messages of later cycles
    uint64_t target = 0;    // messages this cycle
    uint64_t next_seq = 1;  // the next to send
    // Echo: Responses verified. Stream: messages the server acknowledged.
    uint64_t answered = 0;
    std::optional<SequenceVerifier> verifier;  // echo
    std::vector<Clock::time_point> sent_at;    // echo: by sequence % pipeline
  };

  bool echo() const { return spec_.pattern == Pattern::kEcho; }
  bool DeadlinePassed(Clock::time_point now) const {
    return deadline_.has_value() && now >= *deadline_;
  }
  uint64_t Sent(const Conn& c) const { return c.next_seq - 1; }
  std::string Name(const Conn& c) const;
  std::string Waiting(const Conn& c) const;

  // Handles events until `done` holds; false after a failure.
  template <typename Done>
  bool Pump(Done done, bool connecting);
  void Handle(MessagePtr m);
  void OnNotification(Conn* c, MessagePtr m);
  void OnHelloResponse(Conn& c);
  void OnResponse(Conn& c, MessagePtr m);
  void OnCredit(Conn& c, MessagePtr m);
  void OnByeResponse(Conn& c, const Message& m);
  void OnClosed(Conn& c);

  void StartConnects();
  void Connect(Conn& c);
  void StartExchange(Conn& c);
  // Sends what the window allows (reusing `spare` for the first message), and
  // the ByeRequest once everything is sent (stream) or answered (echo).
  void FillWindow(Conn& c, MessagePtr spare);
  void SendBye(Conn& c);
  bool Post(Conn& c, MessagePtr& m, absl::string_view what);
  // Adds to the totals; the end of the measured phase moves to `now`.
  void CountVerified(uint64_t messages, Clock::time_point now);
  // The display counter: messages verified (echo) or acknowledged (stream).
  void AddProgress(uint64_t messages);
  void FlushProgress();
  void Fail(std::string text);

  Shared& shared_;
  const PointSpec& spec_;
  ChannelGroup& group_;
  const int index_;
  const int connect_window_;
  std::vector<Conn> conns_;
  std::vector<Conn*> by_channel_;
  std::deque<Conn*> connect_queue_;
  int connecting_ = 0;
  size_t ready_ = 0;
  size_t done_ = 0;
  std::optional<Clock::time_point> start_;
  std::optional<Clock::time_point> deadline_;
  std::optional<Clock::time_point> last_data_;
  uint64_t unflushed_ = 0;
  ClientTotals totals_;
};

std::string Worker::Name(const Conn& c) const {
  return absl::StrCat("connection ", c.index, " cycle ", c.cycle,
                      " (client channel ", c.channel, ")");
}

std::string Worker::Waiting(const Conn& c) const {
  switch (c.state) {
    case State::kIdle:
      return "its turn to connect";
    case State::kConnecting:
      return "the HelloResponse";
    case State::kReady:
      return "the other connections to connect";
    case State::kExchanging:
      return echo() ? absl::StrCat("the Response to request ", c.answered + 1,
                                   " (", Sent(c), " sent)")
                    : absl::StrCat("a credit Signal (", c.answered, " of ",
                                   Sent(c), " sent acknowledged)");
    case State::kByeSent:
      return "the ByeResponse";
    case State::kAwaitClosed:
      return "channel_closed after the ByeResponse";
    case State::kDone:
      break;
  }
  return "nothing";
}

void Worker::Run() {
  if (!spec_.churn) {
    for (Conn& c : conns_) connect_queue_.push_back(&c);
    StartConnects();
    if (!Pump([this] { return ready_ == conns_.size(); }, true)) return;
  }
  absl::StatusOr<SteadyTime> start = shared_.gate.ArriveAndWait(
      shared_.plan.timeout, shared_.connect_activity);
  if (!start.ok()) {
    if (!absl::IsCancelled(start.status())) {
      Fail(absl::StrCat("client thread ", index_, ": ",
                        start.status().message()));
    }
    return;
  }
  start_ = *start;
  if (spec_.duration > absl::ZeroDuration()) {
    deadline_ = *start_ + absl::ToChronoNanoseconds(spec_.duration);
  }
  if (spec_.churn) {
    for (Conn& c : conns_) connect_queue_.push_back(&c);
    StartConnects();
  } else {
    for (Conn& c : conns_) StartExchange(c);
  }
  Pump([this] { return done_ == conns_.size(); }, false);
  FlushProgress();
}

template <typename Done>
bool Worker::Pump(Done done, bool connecting) {
  while (!done()) {
    if (shared_.failed.load(std::memory_order_acquire)) return false;
    absl::StatusOr<MessagePtr> got = group_.WaitReceive(shared_.plan.timeout);
    if (!got.ok() && !absl::IsDeadlineExceeded(got.status())) {
      Fail(absl::StrCat("client thread ", index_,
                        ": receiving failed: ", got.status().ToString()));
      return false;
    }
    if (!got.ok()) {
      // Name a connection that waits for its peer, rather than one that
      // waits for its turn or for the other connections.
      auto waits_for_peer = [](const Conn& c) {
        return c.state != State::kIdle && c.state != State::kReady;
      };
      const Conn* stuck = nullptr;
      size_t unfinished = 0;
      for (const Conn& c : conns_) {
        if (c.state == State::kDone) continue;
        ++unfinished;
        if (stuck == nullptr ||
            (!waits_for_peer(*stuck) && waits_for_peer(c))) {
          stuck = &c;
        }
      }
      Fail(absl::StrCat(
          "timed out after ", absl::FormatDuration(shared_.plan.timeout),
          " waiting for ", stuck != nullptr ? Waiting(*stuck) : "nothing",
          " on ", stuck != nullptr ? Name(*stuck) : "no connection", " (",
          unfinished, " of ", conns_.size(), " connections of client thread ",
          index_, " unfinished)"));
      return false;
    }
    if (connecting) {
      shared_.connect_activity.fetch_add(1, std::memory_order_relaxed);
    }
    Handle(*std::move(got));
  }
  return !shared_.failed.load(std::memory_order_acquire);
}

void Worker::Handle(MessagePtr m) {
  const BinaryHeader& h = m->header();
  if (m->arrival() == Arrival::kReceiverUpdate) return;  // Shared::Abort
  Conn* c = by_channel_[h.channel_number];
  if (h.origin == Origin::kEngine) {
    OnNotification(c, std::move(m));
    return;
  }
  if (c == nullptr) {
    Fail(absl::StrCat("client channel ", h.channel_number, ": ",
                      OpCodeName(h.op_code), " ", h.message_id,
                      " on a channel no connection owns"));
    return;
  }
  if (h.status != StatusCode::kSuccess) {
    Fail(absl::StrCat(Name(*c), ": the server sent ", OpCodeName(h.op_code),
                      " ", h.message_id, " with status ",
                      StatusCodeName(h.status)));
    return;
  }
  switch (h.op_code) {
    case OpCode::kHelloResponse:
      if (c->state != State::kConnecting) break;
      OnHelloResponse(*c);
      return;
    case OpCode::kResponse:
      if (!echo()) break;
      OnResponse(*c, std::move(m));
      return;
    case OpCode::kSignal:
      if (echo()) break;
      OnCredit(*c, std::move(m));
      return;
    case OpCode::kByeResponse:
      if (c->state != State::kByeSent) break;
      OnByeResponse(*c, *m);
      return;
    default:
      break;
  }
  Fail(absl::StrCat(Name(*c), ": unexpected ", OpCodeName(h.op_code), " ",
                    h.message_id, " while waiting for ", Waiting(*c)));
}

void Worker::OnNotification(Conn* c, MessagePtr m) {
  const BinaryHeader& h = m->header();
  if (h.status == StatusCode::kPoolEmpty) {
    ++totals_.pool_empty;
    return;
  }
  const std::string name =
      c != nullptr ? Name(*c)
                   : absl::StrCat("client channel ", h.channel_number);
  if (h.op_code != OpCode::kSignal || h.status != StatusCode::kChannelClosed) {
    // One of our messages handed back unsent.
    Fail(absl::StrCat(name, ": the engine returned ", OpCodeName(h.op_code),
                      " ", h.message_id, " with status ",
                      StatusCodeName(h.status)));
    return;
  }
  if (c == nullptr || c->state != State::kAwaitClosed) {
    Fail(absl::StrCat(name, " closed while waiting for ",
                      c != nullptr ? Waiting(*c) : "nothing"));
    return;
  }
  OnClosed(*c);
}

void Worker::OnHelloResponse(Conn& c) {
  const Clock::time_point now = Clock::now();
  totals_.setup.Record(absl::FromChrono(now - c.hello_at));
  ++totals_.connections_opened;
  --connecting_;
  if (spec_.churn) {
    StartExchange(c);
  } else {
    c.state = State::kReady;
    ++ready_;
  }
  StartConnects();
}

void Worker::OnResponse(Conn& c, MessagePtr m) {
  const BinaryHeader& h = m->header();
  if (c.state != State::kExchanging) {
    Fail(absl::StrCat(Name(c), ": Response ", h.message_id,
                      " while waiting for ", Waiting(c)));
    return;
  }
  const Clock::time_point checking = Clock::now();
  const absl::Status checked =
      c.verifier->Check(h.message_id, m->body().view());
  const Clock::time_point now = Clock::now();
  totals_.verify_time += absl::FromChrono(now - checking);
  if (!checked.ok()) {
    Fail(absl::StrCat(Name(c), ": response ", checked.message()));
    return;
  }
  totals_.rtt.Record(
      absl::FromChrono(now - c.sent_at[h.message_id % c.sent_at.size()]));
  ++c.answered;
  CountVerified(1, now);
  AddProgress(1);
  FillWindow(c, std::move(m));
}

void Worker::OnCredit(Conn& c, MessagePtr m) {
  const std::optional<uint64_t> ack = NumberHeader(*m, kAckHeader);
  if (!ack.has_value() || *ack < c.answered || *ack > Sent(c)) {
    Fail(absl::StrCat(Name(c), ": a credit Signal acknowledges ",
                      m->FindTextHeader(kAckHeader).value_or("nothing"),
                      " messages after ", c.answered, " of ", Sent(c),
                      " sent were acknowledged"));
    return;
  }
  AddProgress(*ack - c.answered);
  c.answered = *ack;
  if (c.state == State::kExchanging) FillWindow(c, std::move(m));
}

void Worker::OnByeResponse(Conn& c, const Message& m) {
  if (std::optional<absl::string_view> error = m.FindTextHeader(kErrorHeader)) {
    Fail(absl::StrCat(Name(c), ": the server reports: ", *error));
    return;
  }
  const std::optional<uint64_t> received = NumberHeader(m, kReceivedHeader);
  if (received != Sent(c)) {
    Fail(absl::StrCat(
        Name(c), ": the server verified ",
        m.FindTextHeader(kReceivedHeader).value_or("an unknown number of"),
        " of the ", Sent(c), " messages sent"));
    return;
  }
  if (!echo()) {
    AddProgress(Sent(c) - c.answered);
    CountVerified(Sent(c), Clock::now());
  }
  c.state = State::kAwaitClosed;
}

void Worker::OnClosed(Conn& c) {
  by_channel_[c.channel] = nullptr;
  ++totals_.connections_closed;
  const Clock::time_point now = Clock::now();
  const bool again =
      spec_.churn &&
      (deadline_.has_value() ? !DeadlinePassed(now) : c.remaining > 0);
  if (again) {
    c.state = State::kIdle;
    connect_queue_.push_back(&c);
    StartConnects();
    return;
  }
  c.state = State::kDone;
  ++done_;
  if (spec_.churn) last_data_ = now;
}

void Worker::StartConnects() {
  while (connecting_ < connect_window_ && !connect_queue_.empty() &&
         !shared_.failed.load(std::memory_order_relaxed)) {
    Conn* c = connect_queue_.front();
    connect_queue_.pop_front();
    Connect(*c);
  }
}

void Worker::Connect(Conn& c) {
  ++c.cycle;
  c.channel = 0;
  MessagePtr hello = shared_.engine.Get(AllocationStrategy::kAlways);
  absl::Status s = MakeHelloRequest(shared_.plan.server, *hello);
  for (const auto& [name, value] :
       {std::pair{kConnHeader, c.index}, std::pair{kCycleHeader, c.cycle},
        std::pair{kSizeHeader, spec_.size},
        std::pair{kWindowHeader, spec_.pipeline}}) {
    if (s.ok()) s = hello->AddTextHeader(name, absl::StrCat(value));
  }
  if (!s.ok()) {
    Fail(absl::StrCat(Name(c),
                      ": cannot build the HelloRequest: ", s.ToString()));
    return;
  }
  c.hello_at = Clock::now();
  absl::StatusOr<BinaryHeader> posted = group_.Post(hello);
  if (!posted.ok()) {
    Fail(absl::StrCat(Name(c), ": posting the HelloRequest failed: ",
                      posted.status().ToString()));
    return;
  }
  c.channel = posted->channel_number;
  by_channel_[c.channel] = &c;
  c.state = State::kConnecting;
  ++connecting_;
}

void Worker::StartExchange(Conn& c) {
  c.state = State::kExchanging;
  c.next_seq = 1;
  c.answered = 0;
  if (echo()) c.verifier.emplace(static_cast<size_t>(spec_.size));
  if (deadline_.has_value()) {
    c.target =
        spec_.churn ? static_cast<uint64_t>(spec_.churn_messages) : UINT64_MAX;
  } else if (spec_.churn) {
    const int64_t n = std::min<int64_t>(spec_.churn_messages, c.remaining);
    c.remaining -= n;
    c.target = static_cast<uint64_t>(n);
  } else {
    c.target = static_cast<uint64_t>(spec_.messages);
  }
  FillWindow(c, nullptr);
}

void Worker::FillWindow(Conn& c, MessagePtr spare) {
  const uint64_t window = static_cast<uint64_t>(spec_.pipeline);
  Clock::time_point now = Clock::now();
  bool more = c.next_seq <= c.target && !DeadlinePassed(now);
  while (more && Sent(c) - c.answered < window) {
    MessagePtr m = spare != nullptr
                       ? std::move(spare)
                       : shared_.engine.Get(AllocationStrategy::kAlways);
    BinaryHeader& h = m->header();
    h.op_code = echo() ? OpCode::kRequest : OpCode::kSignal;
    h.channel_number = c.channel;
    h.message_id = c.next_seq;
    h.more = false;
    h.oob = false;
    m->text_headers().Clear();
    const Clock::time_point filling = Clock::now();
    FillPayload(c.next_seq, static_cast<size_t>(spec_.size), m->body());
    const Clock::time_point filled = Clock::now();
    totals_.verify_time += absl::FromChrono(filled - filling);
    if (echo()) c.sent_at[c.next_seq % window] = filled;
    ++c.next_seq;
    if (!Post(c, m, echo() ? "Request" : "stream Signal")) return;
    now = Clock::now();
    more = c.next_seq <= c.target && !DeadlinePassed(now);
  }
  // Stream: the Bye follows the data on the channel. Echo: once all answered.
  if (!more && (!echo() || c.answered == Sent(c))) SendBye(c);
}

void Worker::SendBye(Conn& c) {
  MessagePtr bye = shared_.engine.Get(AllocationStrategy::kAlways);
  bye->header().op_code = OpCode::kByeRequest;
  bye->header().channel_number = c.channel;
  if (absl::Status s = bye->AddTextHeader(kSentHeader, absl::StrCat(Sent(c)));
      !s.ok()) {
    Fail(
        absl::StrCat(Name(c), ": cannot build the ByeRequest: ", s.ToString()));
    return;
  }
  if (Post(c, bye, "ByeRequest")) c.state = State::kByeSent;
}

bool Worker::Post(Conn& c, MessagePtr& m, absl::string_view what) {
  absl::StatusOr<BinaryHeader> posted = group_.Post(m);
  if (posted.ok()) return true;
  Fail(absl::StrCat(Name(c), ": posting the ", what,
                    " failed: ", posted.status().ToString()));
  return false;
}

void Worker::CountVerified(uint64_t messages, Clock::time_point now) {
  totals_.messages += messages;
  totals_.body_bytes += messages * static_cast<uint64_t>(spec_.size);
  if (!spec_.churn) last_data_ = now;
}

void Worker::AddProgress(uint64_t messages) {
  if (shared_.progress == nullptr) return;
  unflushed_ += messages;
  if (unflushed_ >= kProgressBatch) FlushProgress();
}

void Worker::FlushProgress() {
  if (shared_.progress != nullptr && unflushed_ > 0) {
    shared_.progress->fetch_add(unflushed_, std::memory_order_relaxed);
  }
  unflushed_ = 0;
}

void Worker::Fail(std::string text) {
  totals_.violations.Add(absl::StrCat("client: ", std::move(text)));
  shared_.Abort();
}

ClientTotals EngineFailure(absl::string_view what, const absl::Status& s) {
  ClientTotals totals;
  totals.violations.Add(
      absl::StrCat("client: cannot create the ", what, ": ", s.ToString()));
  return totals;
}

}  // namespace

ClientTotals RunClients(const ClientPlan& plan,
                        std::atomic<uint64_t>* progress) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(plan.engine);
  if (!engine.ok()) return EngineFailure("engine", engine.status());
  const int threads =
      std::max(1, std::min(plan.spec.client_threads, plan.spec.connections));
  std::vector<std::unique_ptr<ChannelGroup>> groups;
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<std::unique_ptr<ChannelGroup>> g = (*engine)->CreateGroup();
    if (!g.ok()) return EngineFailure("channel group", g.status());
    groups.push_back(*std::move(g));
  }
  ClientPlan worker_plan = plan;
  worker_plan.spec.client_threads = threads;
  Shared shared(worker_plan, **engine, threads, progress);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    std::vector<int> mine;
    for (int c = i; c < plan.spec.connections; c += threads) mine.push_back(c);
    shared.groups.push_back(groups[i].get());
    workers.push_back(std::make_unique<Worker>(shared, *groups[i], i, mine));
  }
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&w] { w->Run(); });
  for (std::thread& t : running) t.join();

  ClientTotals totals;
  std::optional<Clock::time_point> start;
  std::optional<Clock::time_point> end;
  for (auto& w : workers) {
    ClientTotals& t = w->totals();
    totals.messages += t.messages;
    totals.body_bytes += t.body_bytes;
    totals.connections_opened += t.connections_opened;
    totals.connections_closed += t.connections_closed;
    totals.pool_empty += t.pool_empty;
    totals.violations.Merge(t.violations);
    totals.rtt.Merge(t.rtt);
    totals.setup.Merge(t.setup);
    totals.verify_time += t.verify_time;
    if (w->start().has_value()) start = w->start();
    if (w->last_data().has_value() && (!end || *w->last_data() > *end)) {
      end = w->last_data();
    }
  }
  if (start.has_value() && end.has_value() && *end > *start) {
    totals.elapsed = absl::FromChrono(*end - *start);
  }
  workers.clear();
  groups.clear();
  return totals;
}

}  // namespace tofu::stress
