#include "stress/payload.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(Payload, RoundTripsEverySize) {
  for (size_t size : {0, 1, 11, 12, 13, 64, 1024, 65535}) {
    Buffer body;
    FillPayload(12345, size, body);
    ASSERT_EQ(body.size(), size);
    absl::StatusOr<uint64_t> seq = ReadPayload(body.view(), 12345);
    ASSERT_TRUE(seq.ok()) << size << ": " << seq.status();
    EXPECT_EQ(*seq, 12345u);
  }
}

TEST(Payload, LongBodiesCarryTheirOwnSequence) {
  Buffer body;
  FillPayload(7, 64, body);
  EXPECT_EQ(ReadPayload(body.view(), 8).value(), 7u);
}

TEST(Payload, ShortBodiesAreCheckedAgainstTheExpectedSequence) {
  Buffer body;
  FillPayload(7, 8, body);
  EXPECT_FALSE(ReadPayload(body.view(), 8).ok());
}

TEST(Payload, EveryFlippedByteIsCaught) {
  for (size_t size : {5, 12, 100}) {
    for (size_t i = 0; i < size; ++i) {
      Buffer body;
      FillPayload(99, size, body);
      body.data()[i] ^= 0x10;
      EXPECT_EQ(ReadPayload(body.view(), 99).status().code(),
                absl::StatusCode::kDataLoss)
          << "size " << size << " byte " << i;
    }
  }
}

TEST(Payload, EveryFlippedByteOfA64KiBBodyIsCaughtWhereItIs) {
  constexpr size_t kSize = 65535;
  Buffer body;
  FillPayload(4242, kSize, body);
  for (size_t i = 0; i < kSize; ++i) {
    body.data()[i] ^= 0x80;
    const absl::StatusOr<uint64_t> read = ReadPayload(body.view(), 4242);
    body.data()[i] ^= 0x80;
    ASSERT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << i;
    // The sequence number and check (bytes 0 to 11) are checked as one.
    if (i >= kMinCheckedSize) {
      ASSERT_EQ(read.status().message(),
                absl::StrCat("body of sequence 4242 differs at byte ", i));
    }
  }
  EXPECT_EQ(ReadPayload(body.view(), 4242).value(), 4242u);
}

TEST(Payload, AnotherMessagesBodyIsCaught) {
  Buffer body;
  FillPayload(8, 1000, body);
  // The same number at another size: the check covers the size.
  EXPECT_FALSE(ReadPayload(body.view().substr(0, 999), 8).ok());
  // Another message's filler behind this one's number and check.
  Buffer other;
  FillPayload(9, 1000, other);
  std::memcpy(other.data(), body.data(), kMinCheckedSize);
  EXPECT_FALSE(ReadPayload(other.view(), 8).ok());
  // Short bodies of neighbouring sequence numbers differ.
  Buffer a, b;
  FillPayload(1, 4, a);
  FillPayload(2, 4, b);
  EXPECT_NE(a.view(), b.view());
}

}  // namespace
}  // namespace tofu
