// multi_homed [--tcp=ADDRESS] [--uds=ADDRESS] [--clients=N] [--requests=K]:
// one server group listens on a TCP and an AF_UNIX address at once and
// answers Requests from clients of both; N clients (half over each
// transport, each with a group of its own on a client engine, each on its own
// thread) send K Requests one at a time and check every Response. The server
// stops once it has answered N*K Requests and every client has said goodbye.
// Prints how many Requests each transport carried; exits 0 when every echo
// matched, 1 otherwise, 2 on bad flags.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tofu/tofu.h"

ABSL_FLAG(std::string, tcp, "tcp|127.0.0.1|0", "the TCP address to listen on");
ABSL_FLAG(std::string, uds, "uds|", "the AF_UNIX address to listen on");
ABSL_FLAG(int, clients, 10, "clients, half over each transport (1..1000)");
ABSL_FLAG(int, requests, 100, "Requests per client (1..100000)");

namespace tofu {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);
constexpr absl::string_view kTransportHeader = "transport";

absl::StatusOr<MessagePtr> Next(ChannelGroup& group) {
  absl::StatusOr<MessagePtr> m = group.WaitReceive(kWait);
  if (absl::IsDeadlineExceeded(m.status())) {
    return absl::DeadlineExceededError("no message within 10 s");
  }
  return m;
}

// Listens on `at`; the bound address.
absl::StatusOr<Address> Listen(ChannelGroup& group, const Address& at) {
  if (absl::Status s = group.Listen(at).status(); !s.ok()) return s;
  absl::StatusOr<MessagePtr> welcome = Next(group);
  if (!welcome.ok()) return welcome.status();
  absl::StatusOr<Address> bound = ListenAddressOf(**welcome);
  if (!bound.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", at.ToString(), ": ",
                     StatusCodeName((*welcome)->header().status)));
  }
  return bound;
}

// One client: connect, K Requests one at a time, each echo checked, Bye.
absl::Status RunClient(Engine& engine, const Address& to,
                       absl::string_view transport, int requests) {
  absl::StatusOr<std::unique_ptr<ChannelGroup>> group = engine.CreateGroup();
  if (!group.ok()) return group.status();
  MessagePtr hello = engine.Get(AllocationStrategy::kAlways);
  if (absl::Status s = hello->AddTextHeader(kTransportHeader, transport);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MakeHelloRequest(to, *hello); !s.ok()) return s;
  absl::StatusOr<BinaryHeader> opened = (*group)->Post(std::move(hello));
  if (!opened.ok()) return opened.status();
  absl::StatusOr<MessagePtr> m = Next(**group);
  if (!m.ok()) return m.status();
  if ((*m)->header().op_code != OpCode::kHelloResponse) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", to.ToString(), ": ",
                     StatusCodeName((*m)->header().status)));
  }
  const uint16_t channel = opened->channel_number;
  for (int i = 1; i <= requests; ++i) {
    const std::string body = absl::StrCat(transport, " request ", i);
    MessagePtr request = engine.Get(AllocationStrategy::kAlways);
    request->header().op_code = OpCode::kRequest;
    request->header().channel_number = channel;
    request->body().Append(body);
    absl::StatusOr<BinaryHeader> sent = (*group)->Post(std::move(request));
    if (!sent.ok()) return sent.status();
    m = Next(**group);
    if (!m.ok()) return m.status();
    const BinaryHeader& h = (*m)->header();
    if (Classify(**m).kind != Received::Kind::kFrame ||
        h.op_code != OpCode::kResponse || h.message_id != sent->message_id ||
        (*m)->body().view() != body) {
      return absl::DataLossError(
          absl::StrCat(transport, " client: answer ", i, " does not match"));
    }
  }
  if (absl::Status s =
          (*group)->Close(channel, ChannelGroup::CloseMode::kGraceful);
      !s.ok()) {
    return s;
  }
  while (true) {  // the ByeResponse, then channel_closed
    m = Next(**group);
    if (!m.ok()) return m.status();
    if (Classify(**m).notification == Received::Notification::kChannelClosed) {
      return absl::OkStatus();
    }
  }
}

int Main() {
  const int clients = absl::GetFlag(FLAGS_clients);
  const int requests = absl::GetFlag(FLAGS_requests);
  absl::StatusOr<Address> tcp = Address::Parse(absl::GetFlag(FLAGS_tcp));
  absl::StatusOr<Address> uds = Address::Parse(absl::GetFlag(FLAGS_uds));
  if (!tcp.ok() || !uds.ok() || clients < 1 || clients > 1000 || requests < 1 ||
      requests > 100000) {
    std::fprintf(stderr,
                 "multi_homed: need a --tcp and a --uds address, --clients in "
                 "1..1000, --requests in 1..100000\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Engine>> server = Engine::Create();
  absl::StatusOr<std::unique_ptr<Engine>> client_engine = Engine::Create();
  if (!server.ok() || !client_engine.ok()) return 1;
  absl::StatusOr<std::unique_ptr<ChannelGroup>> group =
      (*server)->CreateGroup();
  if (!group.ok()) return 1;
  // One group, two listeners: everything either accepts comes to this inbox.
  absl::StatusOr<Address> tcp_bound = Listen(**group, *tcp);
  absl::StatusOr<Address> uds_bound = Listen(**group, *uds);
  if (!tcp_bound.ok() || !uds_bound.ok()) {
    std::fprintf(
        stderr, "multi_homed: %s\n",
        (!tcp_bound.ok() ? tcp_bound : uds_bound).status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s and %s\n", tcp_bound->ToString().c_str(),
              uds_bound->ToString().c_str());

  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    const bool over_tcp = i % 2 == 0;
    threads.emplace_back([&, over_tcp] {
      absl::Status s =
          RunClient(**client_engine, over_tcp ? *tcp_bound : *uds_bound,
                    over_tcp ? "tcp" : "uds", requests);
      if (!s.ok()) {
        std::fprintf(stderr, "multi_homed: %s\n", s.ToString().c_str());
        failed.fetch_add(1);
      }
    });
  }

  // The server: answer everything until N*K Requests are answered and every
  // client has closed (only the two listeners are left).
  const int64_t total = int64_t{clients} * requests;
  int64_t answered = 0;
  int64_t by_tcp = 0;
  // The transport of each open channel, from its HelloRequest.
  std::vector<bool> channel_is_tcp(65536, false);
  while (answered < total || (*server)->stats().channels_open > 2) {
    absl::StatusOr<MessagePtr> m = Next(**group);
    if (!m.ok()) {
      std::fprintf(stderr, "multi_homed: server: %s\n",
                   m.status().ToString().c_str());
      failed.fetch_add(1);
      break;
    }
    if (Classify(**m).kind != Received::Kind::kFrame) continue;
    const BinaryHeader& h = (*m)->header();
    if (h.op_code == OpCode::kHelloRequest) {
      channel_is_tcp[h.channel_number] =
          (*m)->FindTextHeader(kTransportHeader) == "tcp";
    } else if (h.op_code == OpCode::kRequest) {
      ++answered;
      by_tcp += channel_is_tcp[h.channel_number] ? 1 : 0;
    }
    (*group)->Reply(std::move(*m)).IgnoreError();  // Hello, Request, Bye
  }
  for (std::thread& t : threads) t.join();
  std::printf("answered %lld requests: %lld over tcp, %lld over uds\n",
              static_cast<long long>(answered), static_cast<long long>(by_tcp),
              static_cast<long long>(answered - by_tcp));
  return failed.load() == 0 && answered == total ? 0 : 1;
}

}  // namespace
}  // namespace tofu

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tofu::Main();
}
