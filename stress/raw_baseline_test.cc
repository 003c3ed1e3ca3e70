#include "stress/raw_baseline.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

TEST(RawFrameTest, HeaderCarriesTheBodyLength) {
  const std::vector<char> frame = RawFrame(300);
  ASSERT_EQ(frame.size(), 316u);
  EXPECT_EQ(frame[2], 2);  // Signal
  EXPECT_EQ(static_cast<uint8_t>(frame[14]), 1);
  EXPECT_EQ(static_cast<uint8_t>(frame[15]), 44);
}

TEST(RawFrameTest, WalkCountsWholeFramesAndLeavesAPartialOne) {
  std::vector<char> stream;
  for (size_t body : {0, 5, 70000 % 65536}) {
    const std::vector<char> f = RawFrame(body);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  const std::vector<char> partial = RawFrame(10);
  stream.insert(stream.end(), partial.begin(), partial.begin() + 20);
  uint64_t frames = 7;
  const size_t used = WalkRawFrames(stream.data(), stream.size(), frames);
  EXPECT_EQ(frames, 10u);
  EXPECT_EQ(used, stream.size() - 20);
  // A header cut short is left too.
  EXPECT_EQ(WalkRawFrames(partial.data(), 15, frames), 0u);
  EXPECT_EQ(frames, 10u);
}

}  // namespace
}  // namespace tofu::stress
