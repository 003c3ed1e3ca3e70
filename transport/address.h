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
// Linux and Windows). An abstract name has one byte less: its leading NUL
// takes the place of the terminator.
inline constexpr size_t kMaxUdsPathLength = 107;
inline constexpr size_t kMaxAbstractNameLength = kMaxUdsPathLength - 1;

// Where to connect or listen. The text form (docs/protocol.md, Addresses) is
// what `~connect_to` / `~listen_on` carry:
//   tcp|<host>|<port>       TCP; host is a name or an IPv4/IPv6 literal
//   uds|<path>              AF_UNIX on a filesystem path (any bytes, '@' too)
//   uds-abstract|<name>     Linux abstract AF_UNIX name (this implementation
//                           only: the reference rejects the scheme instead of
//                           misreading it)
// A plain value type: copy it, compare it, use it from any thread.
struct Address {
  enum class Transport { kTcp, kUds };
  // Which header the address goes in: kClient `~connect_to` (a HelloRequest),
  // kServer `~listen_on` (a WelcomeRequest). The helpers that build those
  // messages set it; it is not part of the text form.
  enum class Role { kClient, kServer };

  Transport transport = Transport::kTcp;
  Role role = Role::kClient;
  // TCP: a name, an IPv4 or IPv6 literal; empty on a server means all
  // interfaces.
  std::string host;
  uint16_t port = 0;
  // UDS: a filesystem path (or the abstract name without its leading NUL);
  // empty on a server means "pick a temporary path".
  std::string path;
  // UDS: `path` is a Linux abstract name, not a file.
  bool abstract = false;

  static Address Tcp(absl::string_view host, uint16_t port);
  static Address Uds(absl::string_view path);
  static Address AbstractUds(absl::string_view name);
  // Parses the text form (role kClient; an empty TCP host is accepted here
  // and refused by a connect). invalid_address for anything else.
  static absl::StatusOr<Address> Parse(absl::string_view text);

  // The text form: "tcp|host|port", "uds|path" or "uds-abstract|name".
  std::string ToString() const;
  // The header value: the text form.
  std::string Value() const { return ToString(); }
  absl::string_view HeaderName() const {
    return role == Role::kClient ? kConnectToHeader : kListenOnHeader;
  }
  friend bool operator==(const Address&, const Address&) = default;
};

// Parses a header value. Other than 2 (uds, uds-abstract) or 3 (tcp) parts, a
// port that is not a decimal u16, an unknown scheme, a UDS path longer than
// kMaxUdsPathLength, an abstract name that is empty or longer than
// kMaxAbstractNameLength, or an empty client host is invalid_address.
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
