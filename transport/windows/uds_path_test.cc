#include "transport/windows/uds_path.h"

#include <string>

#include "gtest/gtest.h"

namespace tofu::windows_uds {
namespace {

constexpr NameParts kParts{0x1a2b, 0xdeadbeef, 7};

TEST(CheckPath, AcceptsUpTo107Bytes) {
  EXPECT_TRUE(CheckPath("C:\\Temp\\a.sock").ok());
  EXPECT_TRUE(CheckPath(std::string(kMaxPathBytes, 'a')).ok());
  EXPECT_TRUE(
      absl::IsInvalidArgument(CheckPath(std::string(kMaxPathBytes + 1, 'a'))));
}

TEST(CheckPath, RejectsEmptyAndAbstractNames) {
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPath("")));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPath("@tofu")));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPath(std::string("\0tofu", 5))));
}

TEST(GeneratedName, IsShortAndNamesItsParts) {
  EXPECT_EQ(GeneratedName(kParts), "tofu-1a2b-deadbeef-7.sock");
  const std::string longest =
      GeneratedName({0xffffffff, 0xffffffff, ~uint64_t{0}});
  EXPECT_LE(longest.size(), 48u);
}

TEST(GeneratedName, DiffersByCounterTagAndProcess) {
  EXPECT_NE(GeneratedName({1, 2, 3}), GeneratedName({1, 2, 4}));
  EXPECT_NE(GeneratedName({1, 2, 3}), GeneratedName({1, 5, 3}));
  EXPECT_NE(GeneratedName({1, 2, 3}), GeneratedName({6, 2, 3}));
}

TEST(TemporaryPath, LivesInTempWithOneSeparator) {
  const std::string with = *TemporaryPath(
      "C:\\Users\\dev\\AppData\\Local\\Temp\\", "C:\\ProgramData\\", kParts);
  EXPECT_EQ(with,
            "C:\\Users\\dev\\AppData\\Local\\Temp\\tofu-1a2b-deadbeef-7.sock");
  EXPECT_EQ(*TemporaryPath("C:\\Temp", "D:\\", kParts),
            "C:\\Temp\\tofu-1a2b-deadbeef-7.sock");
}

TEST(TemporaryPath, FallsBackWhenTempIsTooLong) {
  // A user name long enough that %TEMP% alone takes most of the 107 bytes.
  const std::string temp =
      "C:\\Users\\" + std::string(70, 'u') + "\\AppData\\Local\\Temp\\";
  absl::StatusOr<std::string> path = TemporaryPath(temp, "C:\\tofu", kParts);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "C:\\tofu\\tofu-1a2b-deadbeef-7.sock");
  EXPECT_TRUE(CheckPath(*path).ok());
}

TEST(TemporaryPath, EveryPathItReturnsIsValid) {
  for (size_t n = 1; n <= kMaxPathBytes + 2; ++n) {
    const std::string temp(n, 't');
    absl::StatusOr<std::string> path =
        TemporaryPath(temp, "C:\\", {0xffffffff, 0xffffffff, ~uint64_t{0}});
    ASSERT_TRUE(path.ok()) << n;
    EXPECT_TRUE(CheckPath(*path).ok()) << *path;
  }
}

TEST(TemporaryPath, EmptyTempUsesTheFallback) {
  EXPECT_EQ(*TemporaryPath("", "C:\\", kParts),
            "C:\\tofu-1a2b-deadbeef-7.sock");
}

TEST(TemporaryPath, FailsWhenNothingFits) {
  const std::string too_long(kMaxPathBytes, 'd');
  EXPECT_TRUE(absl::IsFailedPrecondition(
      TemporaryPath(too_long, too_long, kParts).status()));
}

TEST(DutiesOf, OnlyTheListenerDeletesSocketFiles) {
  const FileDuties listener = DutiesOf(Role::kListener);
  EXPECT_TRUE(listener.delete_before_bind);
  EXPECT_TRUE(listener.delete_on_close);
  for (Role role : {Role::kConnector, Role::kAccepted}) {
    const FileDuties d = DutiesOf(role);
    EXPECT_FALSE(d.delete_before_bind);
    EXPECT_FALSE(d.delete_on_close);
  }
}

TEST(AfUnixSupport, TellsMissingFromFailing) {
  EXPECT_TRUE(AfUnixSupport(true, 0).ok());
  EXPECT_TRUE(absl::IsUnimplemented(AfUnixSupport(false, 10047)));
  const absl::Status other = AfUnixSupport(false, 10055);  // WSAENOBUFS
  EXPECT_TRUE(absl::IsUnavailable(other));
  EXPECT_NE(other.message().find("10055"), std::string::npos);
}

}  // namespace
}  // namespace tofu::windows_uds
