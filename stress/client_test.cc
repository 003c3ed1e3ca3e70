#include "stress/client.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stress/stress_protocol.h"
#include "stress/testing/raw_peer.h"

namespace tofu::stress {
namespace {

using ::testing::HasSubstr;
using testing::RawPeer;

// Stands in for the server half and misbehaves on purpose: every Response
// passes through `mangle`, which returns what to send now (nothing holds it
// back or drops it). ByeResponses confirm every Request seen, plus `error`.
class FakeServer {
 public:
  using Mangle = std::function<std::vector<MessagePtr>(MessagePtr)>;

  explicit FakeServer(Mangle mangle, std::string error = "")
      : mangle_(std::move(mangle)), error_(std::move(error)) {
    absl::StatusOr<std::unique_ptr<RawPeer>> peer = RawPeer::Create();
    EXPECT_TRUE(peer.ok()) << peer.status();
    peer_ = *std::move(peer);
    absl::StatusOr<Address> address = peer_->ListenTcp();
    EXPECT_TRUE(address.ok()) << address.status();
    address_ = *address;
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    peer_->Wake();
    thread_.join();
  }

  const Address& address() const { return address_; }

 private:
  void Serve() {
    uint64_t requests = 0;
    while (true) {
      absl::StatusOr<MessagePtr> m = peer_->Next(absl::Seconds(30));
      if (!m.ok()) return;
      const Received what = Classify(**m);
      if (what.kind == Received::Kind::kReceiverUpdate) return;
      if (what.kind != Received::Kind::kFrame) continue;
      std::vector<MessagePtr> out;
      if (what.op_code == OpCode::kHelloRequest) {
        MakeReply(**m).IgnoreError();
        out.push_back(*std::move(m));
      } else if (what.op_code == OpCode::kRequest) {
        ++requests;
        MakeReply(**m).IgnoreError();
        out = mangle_(*std::move(m));
      } else if (what.op_code == OpCode::kByeRequest) {
        MakeReply(**m).IgnoreError();
        (*m)->text_headers().Clear();
        (*m)->AddTextHeader(kReceivedHeader, absl::StrCat(requests))
            .IgnoreError();
        if (!error_.empty()) {
          (*m)->AddTextHeader(kErrorHeader, error_).IgnoreError();
        }
        out.push_back(*std::move(m));
      }
      for (MessagePtr& reply : out) peer_->group().Post(reply).IgnoreError();
    }
  }

  Mangle mangle_;
  std::string error_;
  std::unique_ptr<RawPeer> peer_;
  Address address_;
  std::thread thread_;
};

std::vector<MessagePtr> One(MessagePtr m) {
  std::vector<MessagePtr> out;
  out.push_back(std::move(m));
  return out;
}

ClientPlan Plan(const Address& server, int pipeline = 1) {
  ClientPlan plan;
  plan.server = server;
  plan.spec.connections = 1;
  plan.spec.size = 64;
  plan.spec.messages = 5;
  plan.spec.pipeline = pipeline;
  plan.timeout = absl::Seconds(10);
  return plan;
}

std::string First(const ClientTotals& t) {
  return t.violations.first.empty() ? "" : t.violations.first.front();
}

TEST(RunClients, PassesAgainstAFaithfulServer) {
  FakeServer server(One);
  const ClientTotals t = RunClients(Plan(server.address(), 2), nullptr);
  EXPECT_EQ(t.violations.count, 0u) << First(t);
  EXPECT_EQ(t.messages, 5u);
  EXPECT_EQ(t.rtt.count(), 5u);
  EXPECT_EQ(t.connections_opened, 1u);
  EXPECT_EQ(t.connections_closed, 1u);
}

TEST(RunClients, NamesConnectionAndSequenceOfReorderedResponses) {
  MessagePtr held;
  FakeServer server([&held](MessagePtr m) {
    std::vector<MessagePtr> out;
    if (m->header().message_id == 2) {
      held = std::move(m);  // sent after 3
    } else {
      out.push_back(std::move(m));
      if (held != nullptr) out.push_back(std::move(held));
    }
    return out;
  });
  const ClientTotals t = RunClients(Plan(server.address(), 4), nullptr);
  EXPECT_GE(t.violations.count, 1u);
  EXPECT_THAT(First(t), HasSubstr("client: connection 0 cycle 1 (client "
                                  "channel "));
  EXPECT_THAT(First(t),
              HasSubstr("response expected sequence 2, got 3: 2 missing"));
}

TEST(RunClients, ReportsACorruptedResponse) {
  FakeServer server([](MessagePtr m) {
    if (m->header().message_id == 4) m->body().data()[30] ^= 0x40;
    return One(std::move(m));
  });
  const ClientTotals t = RunClients(Plan(server.address()), nullptr);
  EXPECT_THAT(First(t), HasSubstr("response sequence 4: "));
  EXPECT_THAT(First(t), HasSubstr("corrupt"));
}

TEST(RunClients, TimesOutNamingTheMissingResponse) {
  FakeServer server([](MessagePtr m) {
    if (m->header().message_id == 3) return std::vector<MessagePtr>();
    return One(std::move(m));
  });
  ClientPlan plan = Plan(server.address());
  plan.timeout = absl::Milliseconds(300);
  const ClientTotals t = RunClients(plan, nullptr);
  EXPECT_EQ(t.violations.count, 1u);
  EXPECT_THAT(First(t),
              HasSubstr("timed out after 300ms waiting for the Response to "
                        "request 3 (3 sent) on connection 0 cycle 1"));
}

TEST(RunClients, ReportsWhatTheServerFoundWrong) {
  FakeServer server(One, "server: connection 0 cycle 1: something");
  const ClientTotals t = RunClients(Plan(server.address()), nullptr);
  EXPECT_THAT(First(t), HasSubstr("the server reports: server: connection 0 "
                                  "cycle 1: something"));
}

TEST(RunClients, ReportsARefusedConnection) {
  // A listener that is gone: the port is free again.
  Address nowhere;
  {
    FakeServer server(One);
    nowhere = server.address();
  }
  ClientPlan plan = Plan(nowhere);
  const ClientTotals t = RunClients(plan, nullptr);
  EXPECT_EQ(t.violations.count, 1u);
  EXPECT_THAT(First(t), HasSubstr("connection 0 cycle 1"));
  EXPECT_THAT(First(t), HasSubstr("the engine returned HelloRequest"));
}

}  // namespace
}  // namespace tofu::stress
