#include "stress/verifier.h"

#include <string>

#include "gtest/gtest.h"
#include "message/buffer.h"
#include "stress/payload.h"

namespace tofu::stress {
namespace {

constexpr size_t kSize = 64;

std::string Body(uint64_t sequence, size_t size = kSize) {
  Buffer b;
  FillPayload(sequence, size, b);
  return std::string(b.view());
}

TEST(SequenceVerifier, AcceptsAnInOrderRun) {
  SequenceVerifier v(kSize);
  for (uint64_t s = 1; s <= 100; ++s) {
    ASSERT_TRUE(v.Check(s, Body(s)).ok()) << s;
  }
  EXPECT_TRUE(v.Finish(100).ok());
  EXPECT_EQ(v.received(), 100u);
  EXPECT_EQ(v.counts().total(), 0u);
}

TEST(SequenceVerifier, ReportsALossAtTheGapAndAtFinish) {
  SequenceVerifier v(kSize);
  ASSERT_TRUE(v.Check(1, Body(1)).ok());
  const absl::Status gap = v.Check(3, Body(3));
  EXPECT_EQ(gap.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(gap.message(), "expected sequence 2, got 3: 2 missing so far");
  const absl::Status finished = v.Finish(3);
  EXPECT_EQ(finished.message(),
            "1 of 3 messages lost, the first is sequence 2 (2 arrived)");
  EXPECT_EQ(v.counts().lost, 1u);
  EXPECT_EQ(v.counts().reordered, 0u);
}

TEST(SequenceVerifier, ReportsMessagesMissingAtTheEnd) {
  SequenceVerifier v(kSize);
  for (uint64_t s = 1; s <= 5; ++s) ASSERT_TRUE(v.Check(s, Body(s)).ok());
  EXPECT_EQ(v.Finish(8).message(),
            "3 of 8 messages lost, the first is sequence 6 (5 arrived)");
  EXPECT_EQ(v.counts().lost, 3u);
}

TEST(SequenceVerifier, ReportsReorderWhenTheGapIsFilled) {
  SequenceVerifier v(kSize);
  ASSERT_TRUE(v.Check(1, Body(1)).ok());
  EXPECT_FALSE(v.Check(4, Body(4)).ok());  // 2..3 missing so far
  EXPECT_EQ(v.Check(3, Body(3)).message(),
            "sequence 3 arrived after 4 (reordered)");
  EXPECT_EQ(v.Check(2, Body(2)).message(),
            "sequence 2 arrived after 4 (reordered)");
  EXPECT_TRUE(v.Finish(4).ok());  // nothing lost in the end
  EXPECT_EQ(v.counts().reordered, 2u);
  EXPECT_EQ(v.counts().lost, 0u);
  EXPECT_EQ(v.received(), 4u);
}

TEST(SequenceVerifier, ReportsDuplicates) {
  SequenceVerifier v(kSize);
  ASSERT_TRUE(v.Check(1, Body(1)).ok());
  ASSERT_TRUE(v.Check(2, Body(2)).ok());
  EXPECT_EQ(v.Check(2, Body(2)).message(),
            "sequence 2 arrived again (duplicate)");
  EXPECT_TRUE(v.Check(3, Body(3)).ok());
  EXPECT_TRUE(v.Finish(3).ok());
  EXPECT_EQ(v.counts().duplicated, 1u);
  EXPECT_EQ(v.received(), 3u);
}

TEST(SequenceVerifier, ALateCopyOfAFilledGapIsADuplicate) {
  SequenceVerifier v(kSize);
  ASSERT_TRUE(v.Check(1, Body(1)).ok());
  EXPECT_FALSE(v.Check(3, Body(3)).ok());
  EXPECT_FALSE(v.Check(2, Body(2)).ok());  // reordered
  EXPECT_EQ(v.Check(2, Body(2)).message(),
            "sequence 2 arrived again (duplicate)");
}

TEST(SequenceVerifier, ReportsCorruptBodies) {
  SequenceVerifier v(kSize);
  std::string body = Body(1);
  body[40] ^= 1;
  const absl::Status s = v.Check(1, body);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("sequence 1: "), absl::string_view::npos);
  EXPECT_NE(s.message().find("differs at byte 40"), absl::string_view::npos);
  EXPECT_EQ(v.counts().corrupted, 1u);
  // The corrupt copy does not count: the real one still comes next.
  EXPECT_TRUE(v.Check(1, Body(1)).ok());
}

// The sweep's largest bodies: one flipped byte anywhere, header, filler or
// the odd tail, is a corrupt message, and the intact copy still passes after.
TEST(SequenceVerifier, CatchesOneFlippedByteInA64KiBBody) {
  constexpr size_t kLarge = 65535;
  SequenceVerifier v(kLarge);
  uint64_t sequence = 1;
  for (size_t at :
       {size_t{0}, size_t{7}, size_t{8}, size_t{11}, size_t{12}, size_t{4096},
        kLarge / 2, kLarge / 2 + 1, kLarge - 8, kLarge - 1}) {
    std::string body = Body(sequence, kLarge);
    body[at] ^= 0x01;
    const absl::Status s = v.Check(sequence, body);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << "byte " << at;
    ASSERT_TRUE(v.Check(sequence, Body(sequence, kLarge)).ok()) << at;
    ++sequence;
  }
  EXPECT_EQ(v.counts().corrupted, 10u);
  EXPECT_TRUE(v.Finish(sequence - 1).ok());
}

TEST(SequenceVerifier, ReportsWrongSizeAndIdBodyMismatch) {
  SequenceVerifier v(kSize);
  EXPECT_EQ(v.Check(1, Body(1, 63)).message(),
            "sequence 1: body has 63 bytes, expected 64 (corrupt)");
  EXPECT_EQ(v.Check(1, Body(2)).message(),
            "sequence 1: body carries sequence 2 (corrupt)");
  EXPECT_EQ(v.Check(0, Body(0)).message(),
            "sequence 0: message_id 0 (corrupt)");
  EXPECT_EQ(v.counts().corrupted, 3u);
}

TEST(SequenceVerifier, ShortBodiesAreCheckedAgainstTheMessageId) {
  SequenceVerifier v(4);
  EXPECT_TRUE(v.Check(1, Body(1, 4)).ok());
  EXPECT_FALSE(v.Check(2, Body(3, 4)).ok());  // pattern of another sequence
  EXPECT_TRUE(v.Check(2, Body(2, 4)).ok());
  SequenceVerifier empty(0);
  EXPECT_TRUE(empty.Check(1, "").ok());
  EXPECT_TRUE(empty.Finish(1).ok());
}

TEST(SequenceVerifier, AHugeIdCostsOneGap) {
  SequenceVerifier v(kSize);
  const uint64_t huge = uint64_t{1} << 60;
  EXPECT_FALSE(v.Check(huge, Body(huge)).ok());
  const absl::Status s = v.Finish(10);
  EXPECT_EQ(s.message(),
            "10 of 10 messages lost, the first is sequence 1 (1 arrived)");
}

TEST(SequenceVerifier, ReportsMoreThanTheSenderSent) {
  SequenceVerifier v(kSize);
  for (uint64_t s = 1; s <= 3; ++s) ASSERT_TRUE(v.Check(s, Body(s)).ok());
  EXPECT_EQ(v.Finish(2).message(),
            "sender says it sent 2 messages, but sequence 3 arrived");
}

}  // namespace
}  // namespace tofu::stress
