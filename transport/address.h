#ifndef TOFU_TRANSPORT_ADDRESS_H_
#define TOFU_TRANSPORT_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "message/message.h"

namespace tofu {

inline constexpr absl::string_view kConnectToHeader = "~connect_to";
inline constexpr absl::string_view kListenOnHeader = "~listen_on";

// Longest AF_UNIX path, without its terminating NUL (sun_path is 108 bytes on
// Linux and Windows).
inline constexpr size_t kMaxUdsPathLength = 107;

// Where to connect or listen, as carried in `~connect_to` / `~listen_on`:
// `tcp|<host>|<port>` or `uds|<path>`.
struct Address {
  enum class Transport { kTcp, kUds };
  enum class Role { kClient, kServer };

  Transport transport = Transport::kTcp;
  Role role = Role::kClient;
  // TCP: a name, an IPv4 or IPv6 literal; empty on a server means all
  // interfaces.
  std::string host;
  uint16_t port = 0;
  // UDS: a filesystem path; "@name" is a Linux abstract name; empty on a server
  // means "pick a temporary path".
  std::string path;

  // The header value: "tcp|host|port" or "uds|path".
  std::string Value() const;
  absl::string_view HeaderName() const {
    return role == Role::kClient ? kConnectToHeader : kListenOnHeader;
  }
  friend bool operator==(const Address&, const Address&) = default;
};

// Parses a header value. Other than 2 (uds) or 3 (tcp) parts, a port that is
// not a decimal u16, an unknown scheme or a UDS path longer than
// kMaxUdsPathLength is invalid_address.
absl::StatusOr<Address> ParseAddressValue(absl::string_view value,
                                          Address::Role role);

// The address of a Hello/WelcomeRequest: the first `~connect_to` or
// `~listen_on` header decides (its name gives the role). None is wrong_address.
absl::StatusOr<Address> ParseMessageAddress(const Message& message);

// Makes `message` a HelloRequest (client address) or WelcomeRequest (server
// address): the binary header is reset and the address header appended to its
// text headers.
absl::Status FormatAddress(const Address& address, Message& message);

}  // namespace tofu

#endif  // TOFU_TRANSPORT_ADDRESS_H_
