#include "transport/windows/uds_path.h"

#include "absl/strings/str_cat.h"

namespace tofu::windows_uds {
namespace {

// Winsock error codes (winsock2.h), repeated so that this file needs no
// Windows headers.
constexpr int kWsaEAfNoSupport = 10047;

std::string Join(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (path.back() != '\\' && path.back() != '/') path.push_back('\\');
  path.append(name);
  return path;
}

}  // namespace

absl::Status CheckPath(std::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("empty AF_UNIX path");
  if (path.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("AF_UNIX path of ", path.size(), " bytes; at most ",
                     kMaxPathBytes, " fit"));
  }
  if (path[0] == '@' || path[0] == '\0') {
    return absl::InvalidArgumentError(
        "abstract AF_UNIX names exist only on Linux");
  }
  return absl::OkStatus();
}

std::string GeneratedName(const NameParts& parts) {
  return absl::StrCat("tofu-", absl::Hex(parts.pid), "-", absl::Hex(parts.tag),
                      "-", absl::Hex(parts.counter), ".sock");
}

absl::StatusOr<std::string> TemporaryPath(std::string_view temp_dir,
                                          std::string_view fallback_dir,
                                          const NameParts& parts) {
  const std::string name = GeneratedName(parts);
  for (std::string_view dir : {temp_dir, fallback_dir}) {
    if (dir.empty()) continue;
    std::string path = Join(dir, name);
    if (path.size() <= kMaxPathBytes) return path;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no AF_UNIX path of at most ", kMaxPathBytes,
                   " bytes in the temporary directory (", temp_dir, ") or in ",
                   fallback_dir));
}

FileDuties DutiesOf(Role role) {
  if (role == Role::kListener) return FileDuties{true, true};
  return FileDuties{};
}

absl::Status AfUnixSupport(bool created, int wsa_error) {
  if (created) return absl::OkStatus();
  if (wsa_error == kWsaEAfNoSupport) {
    return absl::UnimplementedError(
        "AF_UNIX is not implemented here (WSAEAFNOSUPPORT: Windows before 10 "
        "version 1803, or Wine)");
  }
  return absl::UnavailableError(
      absl::StrCat("socket(AF_UNIX) failed with error ", wsa_error));
}

}  // namespace tofu::windows_uds
