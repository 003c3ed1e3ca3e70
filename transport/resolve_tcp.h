#ifndef TOFU_TRANSPORT_RESOLVE_TCP_H_
#define TOFU_TRANSPORT_RESOLVE_TCP_H_

// Host name resolution for TCP addresses, shared by the platform socket files:
// getaddrinfo() and its addrinfo are the same on POSIX and Winsock, only the
// headers and the error text differ. Include it after the platform's socket
// headers (<netdb.h> or <ws2tcpip.h>); not for use elsewhere.

#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "message/status.h"
#include "transport/address.h"

namespace tofu::internal {

// A resolved socket address. Length is the platform's socklen_t or int.
template <typename Length>
struct ResolvedAddress {
  sockaddr_storage storage{};
  Length length = 0;
  int family = AF_UNSPEC;
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
};

// Resolves `address` (a server address with an empty host means all
// interfaces, for which IPv4 is preferred, as the reference does);
// invalid_address naming the host and `error_text(getaddrinfo's code)`.
template <typename Length, typename ErrorText>
absl::StatusOr<ResolvedAddress<Length>> ResolveTcp(const Address& address,
                                                   ErrorText error_text) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  if (address.role == Address::Role::kServer) hints.ai_flags = AI_PASSIVE;
  const std::string port = absl::StrCat(address.port);
  addrinfo* result = nullptr;
  const int rc =
      getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(),
                  port.c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    return ToAbslStatus(
        StatusCode::kInvalidAddress,
        absl::StrCat("cannot resolve '", address.host, "': ", error_text(rc)));
  }
  const addrinfo* chosen = result;
  if (address.host.empty()) {
    for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET) {
        chosen = ai;
        break;
      }
    }
  }
  ResolvedAddress<Length> out;
  std::memcpy(&out.storage, chosen->ai_addr, chosen->ai_addrlen);
  out.length = static_cast<Length>(chosen->ai_addrlen);
  out.family = chosen->ai_family;
  freeaddrinfo(result);
  return out;
}

}  // namespace tofu::internal

#endif  // TOFU_TRANSPORT_RESOLVE_TCP_H_
