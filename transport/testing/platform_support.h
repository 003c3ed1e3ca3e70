#ifndef TOFU_TRANSPORT_TESTING_PLATFORM_SUPPORT_H_
#define TOFU_TRANSPORT_TESTING_PLATFORM_SUPPORT_H_

namespace tofu {

// True when a Windows build runs under Wine rather than Windows. Tests use it
// only to skip, with the reason printed, what Wine does not implement the
// Windows way.
bool RunningUnderWine();

// Why a test that needs AF_UNIX is skipped (see UnixSocketsSupported).
inline constexpr char kNoUnixSocketsReason[] =
    "AF_UNIX stream sockets are not available on this system (Wine 8.0 has "
    "none)";

// Why a second TCP listener on one port is skipped under Wine.
inline constexpr char kWineReuseAddrReason[] =
    "Wine 8 maps SO_REUSEADDR to Linux's, which refuses a second listener on "
    "one port (Windows allows it)";

}  // namespace tofu

#endif  // TOFU_TRANSPORT_TESTING_PLATFORM_SUPPORT_H_
