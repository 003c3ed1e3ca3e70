#include "transport/address.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "message/status.h"
#include "message/text_headers.h"

namespace tofu {
namespace {

constexpr absl::string_view kAbstractScheme = "uds-abstract";

}  // namespace

Address Address::Tcp(absl::string_view host, uint16_t port) {
  Address a;
  a.host = std::string(host);
  a.port = port;
  return a;
}

Address Address::Uds(absl::string_view path) {
  Address a;
  a.transport = Transport::kUds;
  a.path = std::string(path);
  return a;
}

Address Address::AbstractUds(absl::string_view name) {
  Address a = Uds(name);
  a.abstract = true;
  return a;
}

absl::StatusOr<Address> Address::Parse(absl::string_view text) {
  // Parsed as a server's, which allows an empty host.
  absl::StatusOr<Address> a = ParseAddressValue(text, Role::kServer);
  if (a.ok()) a->role = Role::kClient;
  return a;
}

std::string Address::ToString() const {
  if (transport == Transport::kUds) {
    return absl::StrCat(abstract ? kAbstractScheme : "uds", "|", path);
  }
  return absl::StrCat("tcp|", host, "|", port);
}

absl::StatusOr<Address> ParseAddressValue(absl::string_view value,
                                          Address::Role role) {
  const std::vector<absl::string_view> parts = absl::StrSplit(value, '|');
  Address address;
  address.role = role;
  if (parts.size() == 2 && parts[0] == "uds") {
    if (parts[1].size() > kMaxUdsPathLength) {
      return ToAbslStatus(
          StatusCode::kInvalidAddress,
          absl::StrCat("UDS path longer than ", kMaxUdsPathLength, " bytes"));
    }
    address.transport = Address::Transport::kUds;
    address.path = std::string(parts[1]);
    return address;
  }
  if (parts.size() == 2 && parts[0] == kAbstractScheme) {
    if (parts[1].empty() || parts[1].size() > kMaxAbstractNameLength) {
      return ToAbslStatus(StatusCode::kInvalidAddress,
                          absl::StrCat("abstract UDS name not 1 to ",
                                       kMaxAbstractNameLength, " bytes"));
    }
    address.transport = Address::Transport::kUds;
    address.abstract = true;
    address.path = std::string(parts[1]);
    return address;
  }
  if (parts.size() == 3 && parts[0] == "tcp") {
    uint32_t port = 0;
    if (parts[2].empty() ||
        parts[2].find_first_not_of("0123456789") != absl::string_view::npos ||
        !absl::SimpleAtoi(parts[2], &port) || port > 65535) {
      return ToAbslStatus(StatusCode::kInvalidAddress,
                          absl::StrCat("bad port '", parts[2], "'"));
    }
    if (role == Address::Role::kClient && parts[1].empty()) {
      return ToAbslStatus(StatusCode::kInvalidAddress, "empty host");
    }
    address.transport = Address::Transport::kTcp;
    address.host = std::string(parts[1]);
    address.port = static_cast<uint16_t>(port);
    return address;
  }
  return ToAbslStatus(
      StatusCode::kInvalidAddress,
      absl::StrCat("not tcp|host|port, uds|path or uds-abstract|name: '", value,
                   "'"));
}

absl::StatusOr<Address> ParseMessageAddress(const Message& message) {
  TextHeaderReader reader(message.text_headers().view());
  while (std::optional<TextHeader> header = reader.Next()) {
    if (header->name == kConnectToHeader) {
      return ParseAddressValue(header->value, Address::Role::kClient);
    }
    if (header->name == kListenOnHeader) {
      return ParseAddressValue(header->value, Address::Role::kServer);
    }
  }
  return ToAbslStatus(StatusCode::kWrongAddress,
                      "no ~connect_to or ~listen_on header");
}

absl::Status FormatAddress(const Address& address, Message& message) {
  message.header() = BinaryHeader();
  message.header().op_code = address.role == Address::Role::kClient
                                 ? OpCode::kHelloRequest
                                 : OpCode::kWelcomeRequest;
  return message.AddTextHeader(address.HeaderName(), address.Value());
}

}  // namespace tofu
