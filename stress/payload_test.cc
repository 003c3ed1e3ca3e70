#include "stress/payload.h"

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

}  // namespace
}  // namespace tofu
