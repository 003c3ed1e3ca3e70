#ifndef TOFU_STRESS_TESTING_RAW_PEER_H_
#define TOFU_STRESS_TESTING_RAW_PEER_H_

// A tofu engine driven step by step, for the tests of the sweep's halves: it
// can play either side and send what a correct half never would (skipped or
// corrupted sequence numbers, a missing Bye, a wrong ByeResponse).
//
// Threads: one thread drives a peer; Wake may be called from any thread.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tofu/tofu.h"
#include "transport/address.h"

namespace tofu::stress::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

class RawPeer {
 public:
  static absl::StatusOr<std::unique_ptr<RawPeer>> Create();

  Engine& engine() { return *engine_; }
  ChannelGroup& group() { return *group_; }

  // Listens on 127.0.0.1, port 0; the address to connect to.
  absl::StatusOr<Address> ListenTcp();

  // HelloRequest to `to` with `headers`; the channel once the HelloResponse
  // arrived.
  absl::StatusOr<uint16_t> Connect(const Address& to, const Headers& headers);

  // Posts `op` on `channel` with `id`, the payload of sequence `id` in `size`
  // bytes (stress/payload.h) and `headers`.
  absl::Status Send(OpCode op, uint16_t channel, uint64_t id, size_t size,
                    const Headers& headers = {});

  // The next message other than pool_empty; deadline_exceeded after `timeout`.
  absl::StatusOr<MessagePtr> Next(absl::Duration timeout = absl::Seconds(10));

  // Makes a thread blocked in Next return a receiver_update Signal.
  void Wake() { group_->UpdateReceiver(nullptr).IgnoreError(); }

 private:
  RawPeer(std::unique_ptr<Engine> engine, std::unique_ptr<ChannelGroup> group)
      : engine_(std::move(engine)), group_(std::move(group)) {}

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ChannelGroup> group_;
};

}  // namespace tofu::stress::testing

#endif  // TOFU_STRESS_TESTING_RAW_PEER_H_
