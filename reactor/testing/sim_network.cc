#include "reactor/testing/sim_network.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tofu::sim {

class SimNetwork::Core {
 public:
  struct Endpoint {
    StreamInfo::Kind kind = StreamInfo::Kind::kConnected;
    Address address;
    NativeSocket listener = kInvalidSocket;
    StreamInfo::Connect connect = StreamInfo::Connect::kDone;
    bool handed_out = false;
    StreamInfo::End end = StreamInfo::End::kOpen;
    // Registrations with pollers now; the last token and interest set.
    int registrations = 0;
    uint32_t interest = kInterestNone;
    std::optional<uint64_t> token;
    // Peer to engine: inbound[read_pos..] is unread.
    std::string inbound;
    size_t read_pos = 0;
    size_t read_chunk = kUnlimited;
    bool peer_closed = false;
    bool peer_reset = false;
    // Engine to peer.
    std::string untaken;
    size_t written = 0;
    size_t write_budget = kUnlimited;
    // Listener.
    std::deque<NativeSocket> backlog;
    int accept_failures = 0;
  };

  NativeSocket Add(Endpoint endpoint) {
    const NativeSocket handle = next_handle_++;
    endpoints_.emplace(handle, std::move(endpoint));
    return handle;
  }

  Endpoint* Find(NativeSocket handle) {
    auto it = endpoints_.find(handle);
    return it == endpoints_.end() ? nullptr : &it->second;
  }
  const Endpoint* Find(NativeSocket handle) const {
    auto it = endpoints_.find(handle);
    return it == endpoints_.end() ? nullptr : &it->second;
  }

  // The endpoint of a stream the engine still holds open; records a violation
  // (and returns null) when it closed it already.
  Endpoint* Use(NativeSocket handle, absl::string_view call) {
    Endpoint* e = Find(handle);
    if (e != nullptr && e->end == StreamInfo::End::kOpen) return e;
    Violation(absl::StrCat(call, " on stream ", handle,
                           " after the engine closed it"));
    return nullptr;
  }

  void Violation(std::string what) { violations_.push_back(std::move(what)); }

  // What a poller reports for `e` registered with `interest`.
  static PollEvent Readiness(const Endpoint& e, uint64_t token,
                             uint32_t interest) {
    PollEvent event;
    event.token = token;
    // No interest, no event: not even a reset (Poller's contract).
    if (e.end != StreamInfo::End::kOpen || interest == kInterestNone) {
      return event;
    }
    const bool want_read = (interest & kInterestRead) != 0;
    const bool want_write = (interest & kInterestWrite) != 0;
    if (e.kind == StreamInfo::Kind::kListener) {
      event.readable =
          want_read && (!e.backlog.empty() || e.accept_failures > 0);
      return event;
    }
    switch (e.connect) {
      case StreamInfo::Connect::kPending:
        return event;
      case StreamInfo::Connect::kFailed:
        event.error = true;
        event.writable = want_write;
        return event;
      case StreamInfo::Connect::kDone:
        break;
    }
    event.readable = want_read && (e.read_pos < e.inbound.size() ||
                                   e.peer_closed || e.peer_reset);
    event.writable = want_write && (e.write_budget > 0 || e.peer_reset);
    event.error = e.peer_reset;
    return event;
  }

  StreamInfo Snapshot(const Endpoint& e) const {
    StreamInfo info;
    info.kind = e.kind;
    info.address = e.address;
    info.listener = e.listener;
    info.connect = e.connect;
    info.handed_out = e.handed_out;
    info.end = e.end;
    info.registered = e.registrations > 0;
    info.interest = e.interest;
    info.token = e.token;
    info.unread = e.inbound.size() - e.read_pos;
    info.written = e.written;
    info.untaken = e.untaken.size();
    info.write_budget = e.write_budget;
    info.read_chunk = e.read_chunk;
    info.peer_closed = e.peer_closed;
    info.peer_reset = e.peer_reset;
    info.backlog = e.backlog.size();
    return info;
  }

  std::map<NativeSocket, Endpoint>& endpoints() { return endpoints_; }
  const std::map<NativeSocket, Endpoint>& endpoints() const {
    return endpoints_;
  }
  const std::vector<std::string>& violations() const { return violations_; }

  ConnectBehavior connect_behavior = ConnectBehavior::kAtOnce;
  std::optional<StatusCode> listen_failure;
  bool fail_next_wait = false;
  uint64_t wait_calls = 0;
  uint32_t next_port = 1;

 private:
  NativeSocket next_handle_ = 1;
  // Ordered by handle: pollers report in that order.
  std::map<NativeSocket, Endpoint> endpoints_;
  std::vector<std::string> violations_;
};

namespace {

using Core = SimNetwork::Core;
using Endpoint = SimNetwork::Core::Endpoint;

class SimStream final : public Stream {
 public:
  SimStream(std::shared_ptr<Core> core, NativeSocket handle)
      : core_(std::move(core)), handle_(handle) {}
  ~SimStream() override {
    const Endpoint* e = core_->Find(handle_);
    if (e != nullptr && e->end == StreamInfo::End::kOpen) Close();
  }

  NativeSocket handle() const override { return handle_; }

  absl::StatusOr<Address> LocalAddress() const override {
    Endpoint* e = core_->Use(handle_, "LocalAddress");
    if (e == nullptr) return absl::FailedPreconditionError("stream closed");
    if (e->kind != StreamInfo::Kind::kListener) {
      core_->Violation(
          absl::StrCat("LocalAddress on stream ", handle_, ", not a listener"));
    }
    return e->address;
  }

  absl::Status FinishConnect() override {
    Endpoint* e = core_->Use(handle_, "FinishConnect");
    if (e == nullptr) return ToAbslStatus(StatusCode::kConnectFailed, "closed");
    switch (e->connect) {
      case StreamInfo::Connect::kDone:
        return absl::OkStatus();
      case StreamInfo::Connect::kFailed:
        return ToAbslStatus(StatusCode::kConnectFailed, "refused (simulated)");
      case StreamInfo::Connect::kPending:
        break;
    }
    core_->Violation(absl::StrCat("FinishConnect on stream ", handle_,
                                  " before its connect finished"));
    return ToAbslStatus(StatusCode::kConnectFailed, "still connecting");
  }

  absl::StatusOr<std::unique_ptr<Stream>> Accept() override {
    Endpoint* e = core_->Use(handle_, "Accept");
    if (e == nullptr || e->kind != StreamInfo::Kind::kListener) {
      if (e != nullptr) {
        core_->Violation(
            absl::StrCat("Accept on stream ", handle_, ", not a listener"));
      }
      return ToAbslStatus(StatusCode::kAcceptFailed, "not a listener");
    }
    if (e->accept_failures > 0) {
      --e->accept_failures;
      return ToAbslStatus(StatusCode::kAcceptFailed, "simulated failure");
    }
    if (e->backlog.empty()) return nullptr;
    const NativeSocket accepted = e->backlog.front();
    e->backlog.pop_front();
    core_->Find(accepted)->handed_out = true;
    return std::make_unique<SimStream>(core_, accepted);
  }

  using Stream::ReadSome;
  IoResult ReadSome(absl::Span<uint8_t> first,
                    absl::Span<uint8_t> second) override {
    Endpoint* e = Connection("ReadSome");
    if (std::optional<IoResult> refused = Refusal(e, "ReadSome")) {
      return *refused;
    }
    // As one system call would: `first` fills before `second` gets a byte,
    // and the read chunk limits the two together.
    IoResult r = ReadInto(*e, first, e->read_chunk);
    if (r.kind != IoResult::Kind::kDone || r.bytes < first.size() ||
        second.empty() || r.bytes >= e->read_chunk) {
      return r;
    }
    const IoResult more = ReadInto(*e, second, e->read_chunk - r.bytes);
    if (more.kind == IoResult::Kind::kDone) r.bytes += more.bytes;
    return r;
  }

  IoResult WriteV(absl::Span<const IoSlice> slices) override {
    Endpoint* e = Connection("WriteV");
    if (std::optional<IoResult> refused = Refusal(e, "WriteV")) {
      return *refused;
    }
    if (e->write_budget == 0)
      return IoResult{IoResult::Kind::kWouldBlock, 0, 0};
    size_t n = 0;
    for (const IoSlice& slice : slices) {
      const size_t take = std::min(slice.size, e->write_budget - n);
      e->untaken.append(static_cast<const char*>(slice.data), take);
      n += take;
      if (n == e->write_budget) break;
    }
    if (e->write_budget != kUnlimited) e->write_budget -= n;
    e->written += n;
    return IoResult::Done(n);
  }

  void Abort() override { End(StreamInfo::End::kAborted, "Abort"); }
  void Close() override { End(StreamInfo::End::kClosed, "Close"); }

 private:
  // What `op` on endpoint `e` must return without transferring anything: an
  // error when the stream is gone, would-block (and a recorded violation)
  // while it is still connecting, an error once reset; nullopt when it may go
  // ahead.
  std::optional<IoResult> Refusal(const Endpoint* e, absl::string_view op) {
    if (e == nullptr) return IoResult{IoResult::Kind::kError, 0, kResetError};
    if (e->connect != StreamInfo::Connect::kDone) {
      core_->Violation(absl::StrCat(op, " on stream ", handle_,
                                    " before its connect finished"));
      return IoResult{IoResult::Kind::kWouldBlock, 0, 0};
    }
    if (e->peer_reset) return IoResult{IoResult::Kind::kError, 0, kResetError};
    return std::nullopt;
  }

  // Up to `limit` unread bytes of `e` into `buffer`.
  static IoResult ReadInto(Endpoint& e, absl::Span<uint8_t> buffer,
                           size_t limit) {
    const size_t unread = e.inbound.size() - e.read_pos;
    if (unread > 0 && !buffer.empty()) {
      const size_t n = std::min({unread, limit, buffer.size()});
      std::memcpy(buffer.data(), e.inbound.data() + e.read_pos, n);
      e.read_pos += n;
      if (e.read_pos == e.inbound.size()) {
        e.inbound.clear();
        e.read_pos = 0;
      }
      return IoResult::Done(n);
    }
    if (unread == 0 && e.peer_closed) {
      return IoResult{IoResult::Kind::kClosed, 0, 0};
    }
    return IoResult{IoResult::Kind::kWouldBlock, 0, 0};
  }

  // The endpoint of an open connection (not a listener), or null.
  Endpoint* Connection(absl::string_view call) {
    Endpoint* e = core_->Use(handle_, call);
    if (e != nullptr && e->kind == StreamInfo::Kind::kListener) {
      core_->Violation(absl::StrCat(call, " on listener ", handle_));
      return nullptr;
    }
    return e;
  }

  void End(StreamInfo::End how, absl::string_view call) {
    Endpoint* e = core_->Use(handle_, call);
    if (e == nullptr) return;
    if (e->registrations > 0) {
      core_->Violation(absl::StrCat(call, " of stream ", handle_,
                                    " while it is registered with a poller"));
    }
    e->end = how;
  }

  std::shared_ptr<Core> core_;
  const NativeSocket handle_;
};

class SimNetworkImpl final : public Network {
 public:
  explicit SimNetworkImpl(std::shared_ptr<Core> core)
      : core_(std::move(core)) {}

  absl::StatusOr<std::unique_ptr<Stream>> Listen(
      const Address& address) override {
    if (core_->listen_failure.has_value()) {
      const StatusCode code = *core_->listen_failure;
      core_->listen_failure.reset();
      return ToAbslStatus(code, "simulated failure");
    }
    Endpoint e;
    e.kind = StreamInfo::Kind::kListener;
    e.handed_out = true;
    e.address = address;
    e.address.role = Address::Role::kServer;
    if (address.transport == Address::Transport::kTcp) {
      e.address.host = "sim";
      if (e.address.port == 0) {
        e.address.port = static_cast<uint16_t>(core_->next_port);
        core_->next_port = core_->next_port % 65535 + 1;
      }
    }
    const bool temporary_path =
        address.transport == Address::Transport::kUds && address.path.empty();
    const NativeSocket handle = core_->Add(std::move(e));
    if (temporary_path) {
      core_->Find(handle)->address.path = absl::StrCat("sim-", handle);
    }
    return std::make_unique<SimStream>(core_, handle);
  }

  absl::StatusOr<std::unique_ptr<Stream>> Connect(const Address& address,
                                                  bool* connected) override {
    Endpoint e;
    e.kind = StreamInfo::Kind::kConnected;
    e.handed_out = true;
    e.address = address;
    switch (core_->connect_behavior) {
      case ConnectBehavior::kRefuse:
        return ToAbslStatus(StatusCode::kConnectFailed, "refused (simulated)");
      case ConnectBehavior::kInvalidAddress:
        return ToAbslStatus(StatusCode::kInvalidAddress,
                            "does not resolve (simulated)");
      case ConnectBehavior::kAtOnce:
        e.connect = StreamInfo::Connect::kDone;
        break;
      case ConnectBehavior::kPending:
        e.connect = StreamInfo::Connect::kPending;
        break;
    }
    if (connected != nullptr) {
      *connected = e.connect == StreamInfo::Connect::kDone;
    }
    return std::make_unique<SimStream>(core_, core_->Add(std::move(e)));
  }

 private:
  std::shared_ptr<Core> core_;
};

class SimNotifier final : public Notifier {
 public:
  explicit SimNotifier(std::shared_ptr<std::atomic<bool>> pending)
      : pending_(std::move(pending)) {}
  void Notify() override { pending_->store(true, std::memory_order_release); }
  void Drain() override { pending_->store(false, std::memory_order_release); }

 private:
  std::shared_ptr<std::atomic<bool>> pending_;
};

class SimPoller final : public Poller {
 public:
  explicit SimPoller(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~SimPoller() override {
    for (const auto& [handle, registration] : registrations_) {
      if (Endpoint* e = core_->Find(handle)) --e->registrations;
    }
  }

  absl::Status Register(NativeSocket socket, uint64_t token,
                        uint32_t interest) override {
    Endpoint* e = core_->Find(socket);
    if (e == nullptr || e->end != StreamInfo::End::kOpen) {
      core_->Violation(absl::StrCat(
          "Register of ", socket,
          e == nullptr ? ", an unknown handle" : ", a closed stream"));
      return absl::InvalidArgumentError("no such open stream");
    }
    if (registrations_.contains(socket)) {
      core_->Violation(absl::StrCat("Register of ", socket, " twice"));
      return absl::AlreadyExistsError("registered already");
    }
    registrations_[socket] = Registration{token, interest};
    ++e->registrations;
    e->token = token;
    e->interest = interest;
    return absl::OkStatus();
  }

  absl::Status Modify(NativeSocket socket, uint64_t token,
                      uint32_t interest) override {
    auto it = registrations_.find(socket);
    Endpoint* e = core_->Find(socket);
    if (it == registrations_.end() || e == nullptr) {
      core_->Violation(absl::StrCat("Modify of ", socket, ", not registered"));
      return absl::NotFoundError("not registered");
    }
    if (e->end != StreamInfo::End::kOpen) {
      core_->Violation(absl::StrCat("Modify of ", socket, ", a closed stream"));
      return absl::InvalidArgumentError("closed");
    }
    it->second = Registration{token, interest};
    e->token = token;
    e->interest = interest;
    return absl::OkStatus();
  }

  void Unregister(NativeSocket socket) override {
    auto it = registrations_.find(socket);
    if (it == registrations_.end()) {
      core_->Violation(
          absl::StrCat("Unregister of ", socket, ", not registered"));
      return;
    }
    registrations_.erase(it);
    if (Endpoint* e = core_->Find(socket)) --e->registrations;
  }

  absl::StatusOr<std::unique_ptr<Notifier>> CreateNotifier(
      uint64_t token) override {
    auto pending = std::make_shared<std::atomic<bool>>(false);
    notifiers_.push_back(NotifierSlot{token, pending});
    return std::make_unique<SimNotifier>(std::move(pending));
  }

  absl::Status Wait(absl::Duration /*timeout*/,
                    std::vector<PollEvent>& events) override {
    ++core_->wait_calls;
    events.clear();
    if (core_->fail_next_wait) {
      core_->fail_next_wait = false;
      return absl::InternalError("simulated Wait failure");
    }
    for (const NotifierSlot& n : notifiers_) {
      if (n.pending->load(std::memory_order_acquire)) {
        PollEvent event;
        event.token = n.token;
        event.readable = true;
        events.push_back(event);
      }
    }
    for (const auto& [handle, registration] : registrations_) {
      const Endpoint* e = core_->Find(handle);
      if (e == nullptr) continue;
      const PollEvent event =
          Core::Readiness(*e, registration.token, registration.interest);
      if (event.readable || event.writable || event.error) {
        events.push_back(event);
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Registration {
    uint64_t token;
    uint32_t interest;
  };
  struct NotifierSlot {
    uint64_t token;
    std::shared_ptr<std::atomic<bool>> pending;
  };

  std::shared_ptr<Core> core_;
  std::map<NativeSocket, Registration> registrations_;
  std::vector<NotifierSlot> notifiers_;
};

}  // namespace

SimNetwork::SimNetwork() : core_(std::make_shared<Core>()) {}
SimNetwork::~SimNetwork() = default;

std::unique_ptr<Network> SimNetwork::NewNetwork() {
  return std::make_unique<SimNetworkImpl>(core_);
}

std::unique_ptr<Poller> SimNetwork::NewPoller() {
  return std::make_unique<SimPoller>(core_);
}

void SimNetwork::set_connect_behavior(ConnectBehavior behavior) {
  core_->connect_behavior = behavior;
}

void SimNetwork::FailNextListen(StatusCode code) {
  core_->listen_failure = code;
}

absl::Status SimNetwork::FailNextAccept(NativeSocket listener) {
  Endpoint* e = core_->Find(listener);
  if (e == nullptr || e->kind != StreamInfo::Kind::kListener) {
    return absl::NotFoundError("no such listener");
  }
  ++e->accept_failures;
  return absl::OkStatus();
}

void SimNetwork::FailNextWait() { core_->fail_next_wait = true; }

absl::StatusOr<NativeSocket> SimNetwork::AddIncoming(NativeSocket listener) {
  Endpoint* l = core_->Find(listener);
  if (l == nullptr || l->kind != StreamInfo::Kind::kListener) {
    return absl::NotFoundError("no such listener");
  }
  if (l->end != StreamInfo::End::kOpen) {
    return absl::FailedPreconditionError("the listener is closed (refused)");
  }
  Endpoint e;
  e.kind = StreamInfo::Kind::kAccepted;
  e.address = l->address;
  e.listener = listener;
  const NativeSocket handle = core_->Add(std::move(e));
  core_->Find(listener)->backlog.push_back(handle);
  return handle;
}

namespace {

// A connection (not a listener) whose connect is `connect`.
absl::StatusOr<Endpoint*> FindConnection(
    Core& core, NativeSocket stream,
    std::optional<StreamInfo::Connect> connect = std::nullopt) {
  Endpoint* e = core.Find(stream);
  if (e == nullptr) return absl::NotFoundError("no such stream");
  if (e->kind == StreamInfo::Kind::kListener) {
    return absl::FailedPreconditionError("a listener");
  }
  if (connect.has_value() && e->connect != *connect) {
    return absl::FailedPreconditionError("connect state does not allow it");
  }
  return e;
}

}  // namespace

absl::Status SimNetwork::CompleteConnect(NativeSocket stream) {
  absl::StatusOr<Endpoint*> e =
      FindConnection(*core_, stream, StreamInfo::Connect::kPending);
  if (!e.ok()) return e.status();
  (*e)->connect = StreamInfo::Connect::kDone;
  return absl::OkStatus();
}

absl::Status SimNetwork::FailConnect(NativeSocket stream) {
  absl::StatusOr<Endpoint*> e =
      FindConnection(*core_, stream, StreamInfo::Connect::kPending);
  if (!e.ok()) return e.status();
  (*e)->connect = StreamInfo::Connect::kFailed;
  return absl::OkStatus();
}

absl::Status SimNetwork::Deliver(NativeSocket stream, absl::string_view bytes) {
  absl::StatusOr<Endpoint*> e =
      FindConnection(*core_, stream, StreamInfo::Connect::kDone);
  if (!e.ok()) return e.status();
  if ((*e)->peer_closed || (*e)->peer_reset) {
    return absl::FailedPreconditionError("the peer closed the connection");
  }
  (*e)->inbound.append(bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::Status SimNetwork::SetReadChunk(NativeSocket stream, size_t bytes) {
  if (bytes == 0) return absl::InvalidArgumentError("a read chunk of 0");
  absl::StatusOr<Endpoint*> e = FindConnection(*core_, stream);
  if (!e.ok()) return e.status();
  (*e)->read_chunk = bytes;
  return absl::OkStatus();
}

absl::Status SimNetwork::SetWriteBudget(NativeSocket stream, size_t bytes) {
  absl::StatusOr<Endpoint*> e = FindConnection(*core_, stream);
  if (!e.ok()) return e.status();
  (*e)->write_budget = bytes;
  return absl::OkStatus();
}

std::string SimNetwork::TakeWritten(NativeSocket stream) {
  Endpoint* e = core_->Find(stream);
  if (e == nullptr) return std::string();
  return std::exchange(e->untaken, std::string());
}

absl::Status SimNetwork::PeerClose(NativeSocket stream) {
  absl::StatusOr<Endpoint*> e =
      FindConnection(*core_, stream, StreamInfo::Connect::kDone);
  if (!e.ok()) return e.status();
  (*e)->peer_closed = true;
  return absl::OkStatus();
}

absl::Status SimNetwork::PeerReset(NativeSocket stream) {
  absl::StatusOr<Endpoint*> e =
      FindConnection(*core_, stream, StreamInfo::Connect::kDone);
  if (!e.ok()) return e.status();
  (*e)->peer_reset = true;
  return absl::OkStatus();
}

std::vector<NativeSocket> SimNetwork::streams() const {
  std::vector<NativeSocket> handles;
  handles.reserve(core_->endpoints().size());
  for (const auto& [handle, endpoint] : core_->endpoints()) {
    handles.push_back(handle);
  }
  return handles;
}

std::optional<StreamInfo> SimNetwork::Info(NativeSocket stream) const {
  const Endpoint* e = core_->Find(stream);
  if (e == nullptr) return std::nullopt;
  return core_->Snapshot(*e);
}

uint64_t SimNetwork::wait_calls() const { return core_->wait_calls; }

std::vector<std::string> SimNetwork::violations() const {
  return core_->violations();
}

}  // namespace tofu::sim
