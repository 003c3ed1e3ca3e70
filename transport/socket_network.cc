// Network and Stream on the system's sockets (transport/socket.h).
#include <utility>

#include "transport/stream.h"

namespace tofu {
namespace {

class SocketStream final : public Stream {
 public:
  explicit SocketStream(Socket socket) : socket_(std::move(socket)) {}

  NativeSocket handle() const override { return socket_.handle(); }
  absl::StatusOr<Address> LocalAddress() const override {
    return socket_.LocalAddress();
  }
  absl::Status FinishConnect() override { return socket_.FinishConnect(); }
  absl::StatusOr<std::unique_ptr<Stream>> Accept() override {
    absl::StatusOr<Socket> accepted = socket_.Accept();
    if (!accepted.ok()) return accepted.status();
    if (!accepted->valid()) return nullptr;
    return std::make_unique<SocketStream>(std::move(*accepted));
  }
  using Stream::ReadSome;
  IoResult ReadSome(absl::Span<uint8_t> first,
                    absl::Span<uint8_t> second) override {
    return socket_.ReadSome(first, second);
  }
  IoResult WriteV(absl::Span<const IoSlice> slices) override {
    return socket_.WriteV(slices);
  }
  void Abort() override { socket_.Abort(); }
  void Close() override { socket_.Close(); }

 private:
  Socket socket_;
};

class SocketNetwork final : public Network {
 public:
  absl::StatusOr<std::unique_ptr<Stream>> Listen(
      const Address& address) override {
    absl::StatusOr<Socket> s = Socket::Listen(address);
    if (!s.ok()) return s.status();
    return std::make_unique<SocketStream>(std::move(*s));
  }
  absl::StatusOr<std::unique_ptr<Stream>> Connect(const Address& address,
                                                  bool* connected) override {
    absl::StatusOr<Socket> s = Socket::Connect(address, connected);
    if (!s.ok()) return s.status();
    return std::make_unique<SocketStream>(std::move(*s));
  }
};

}  // namespace

std::unique_ptr<Network> SystemNetwork() {
  return std::make_unique<SocketNetwork>();
}

}  // namespace tofu
