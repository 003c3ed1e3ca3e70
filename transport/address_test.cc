#include "transport/address.h"

#include <string>

#include "gtest/gtest.h"
#include "message/message.h"
#include "message/status.h"

namespace tofu {
namespace {

TEST(Address, RoundTripForAllFourKinds) {
  const Address addresses[] = {
      {Address::Transport::kTcp, Address::Role::kClient, "127.0.0.1", 7099, ""},
      {Address::Transport::kTcp, Address::Role::kServer, "", 0, ""},
      {Address::Transport::kUds, Address::Role::kClient, "", 0, "/tmp/a.sock"},
      {Address::Transport::kUds, Address::Role::kServer, "", 0, ""},
  };
  for (const Address& a : addresses) {
    MessagePtr m = Message::Create();
    ASSERT_TRUE(FormatAddress(a, *m).ok());
    EXPECT_EQ(m->header().op_code, a.role == Address::Role::kClient
                                       ? OpCode::kHelloRequest
                                       : OpCode::kWelcomeRequest);
    absl::StatusOr<Address> parsed = ParseMessageAddress(*m);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, a) << a.Value();
  }
}

TEST(Address, ExactHeaderText) {
  MessagePtr m = Message::Create();
  Address a{Address::Transport::kTcp, Address::Role::kClient, "127.0.0.1", 7099,
            ""};
  ASSERT_TRUE(FormatAddress(a, *m).ok());
  EXPECT_EQ(m->text_headers().view(), "~connect_to:tcp|127.0.0.1|7099\r\n");
}

TEST(Address, MalformedValuesAreInvalidAddress) {
  const std::string bad[] = {
      "tcp",      "tcp|h|1|extra", "tcp|h|65536",
      "tcp|h|-1", "tcp|h|",        "tcp|h|12ab",
      "udp|h|1",  "xyz|path",      "uds|" + std::string(108, 'p'),
      "tcp||1",  // a client needs a host
  };
  for (const std::string& value : bad) {
    absl::StatusOr<Address> a =
        ParseAddressValue(value, Address::Role::kClient);
    EXPECT_EQ(StatusCodeOf(a.status()), StatusCode::kInvalidAddress) << value;
  }
  EXPECT_TRUE(
      ParseAddressValue("uds|" + std::string(107, 'p'), Address::Role::kClient)
          .ok());
  EXPECT_TRUE(ParseAddressValue("tcp||0", Address::Role::kServer).ok());
  // IPv6 literals need no brackets: only '|' separates.
  EXPECT_TRUE(ParseAddressValue("tcp|::1|65535", Address::Role::kClient).ok());
}

TEST(Address, FirstAddressHeaderDecides) {
  MessagePtr m = Message::Create();
  ASSERT_TRUE(m->AddTextHeader("other", "x").ok());
  ASSERT_TRUE(m->AddTextHeader("~listen_on", "uds|/tmp/s").ok());
  ASSERT_TRUE(m->AddTextHeader("~connect_to", "tcp|h|1").ok());
  absl::StatusOr<Address> a = ParseMessageAddress(*m);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, Address::Role::kServer);
  EXPECT_EQ(a->path, "/tmp/s");
  MessagePtr none = Message::Create();
  EXPECT_EQ(StatusCodeOf(ParseMessageAddress(*none).status()),
            StatusCode::kWrongAddress);
}

TEST(Address, TextFormRoundTrip) {
  const Address addresses[] = {
      Address::Tcp("127.0.0.1", 7099),
      Address::Tcp("::1", 1),
      Address::Tcp("", 0),
      Address::Uds("/tmp/a.sock"),
      Address::Uds("@not_abstract"),
      Address::AbstractUds("tofu_name"),
  };
  for (const Address& a : addresses) {
    absl::StatusOr<Address> parsed = Address::Parse(a.ToString());
    ASSERT_TRUE(parsed.ok()) << a.ToString() << ": " << parsed.status();
    EXPECT_EQ(*parsed, a) << a.ToString();
  }
  EXPECT_EQ(Address::Tcp("h", 80).ToString(), "tcp|h|80");
  EXPECT_EQ(Address::AbstractUds("n").ToString(), "uds-abstract|n");
}

TEST(Address, UdsAtIsAPathAsInTheReference) {
  absl::StatusOr<Address> a = Address::Parse("uds|@x");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->transport, Address::Transport::kUds);
  EXPECT_FALSE(a->abstract);
  EXPECT_EQ(a->path, "@x");
}

TEST(Address, AbstractNamesAreCheckedAndTwoParts) {
  for (const std::string& bad :
       {std::string("uds-abstract|"), "uds-abstract|" + std::string(107, 'n'),
        std::string("uds-abstract|a|b")}) {
    EXPECT_EQ(StatusCodeOf(Address::Parse(bad).status()),
              StatusCode::kInvalidAddress)
        << bad;
  }
  EXPECT_TRUE(Address::Parse("uds-abstract|" + std::string(106, 'n')).ok());
}

}  // namespace
}  // namespace tofu
