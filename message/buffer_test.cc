#include "message/buffer.h"

#include <string>

#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(Buffer, AppendAndView) {
  Buffer b;
  EXPECT_TRUE(b.empty());
  b.Append("hello ");
  b.Append("world");
  EXPECT_EQ(b.view(), "hello world");
  EXPECT_EQ(b.size(), 11u);
}

TEST(Buffer, ClearKeepsCapacity) {
  Buffer b;
  b.Append(std::string(1000, 'x'));
  const size_t capacity = b.capacity();
  EXPECT_GE(capacity, 1000u);
  b.Clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), capacity);
  b.Append(std::string(1000, 'y'));
  EXPECT_EQ(b.capacity(), capacity);
  EXPECT_EQ(b.view(), std::string(1000, 'y'));
}

TEST(Buffer, GrowsToAtLeastWhatIsNeeded) {
  Buffer b;
  b.Append("abc");
  // One append far larger than twice the capacity must still fit (the
  // reference's growth rule could come out short).
  const std::string big(70000, 'z');
  b.Append(big);
  EXPECT_GE(b.capacity(), 70003u);
  EXPECT_EQ(b.view().substr(0, 3), "abc");
  EXPECT_EQ(b.view().substr(3), big);
}

TEST(Buffer, ResizeUninitializedSetsLengthAndKeepsPrefix) {
  Buffer b;
  b.Append("keep");
  b.ResizeUninitialized(300);
  EXPECT_EQ(b.size(), 300u);
  EXPECT_EQ(b.view().substr(0, 4), "keep");
  b.ResizeUninitialized(2);
  EXPECT_EQ(b.view(), "ke");
}

TEST(Buffer, AssignAndRelease) {
  Buffer b;
  b.Append("old");
  b.Assign("new");
  EXPECT_EQ(b.view(), "new");
  b.Release();
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_TRUE(b.empty());
}

// What is appended may be a view of the buffer itself, also when the append
// makes it grow (the view's storage is freed only after the copy).
TEST(Buffer, AppendsAViewOfItselfWhileGrowing) {
  Buffer b;
  b.Append(std::string(256, 'a'));
  ASSERT_EQ(b.capacity(), 256u);  // full: the next append must grow
  b.Append(b.view().substr(100, 50));
  EXPECT_EQ(b.view(), std::string(306, 'a'));
  b.Assign("xyz");
  b.Append({b.view(), "-", b.view().substr(1)});
  EXPECT_EQ(b.view(), "xyzxyz-yz");
}

TEST(Buffer, AssignsAViewOfItself) {
  Buffer b;
  b.Append("0123456789");
  b.Assign(b.view().substr(2, 5));
  EXPECT_EQ(b.view(), "23456");
}

TEST(Buffer, AppendsPartsInOrderGrowingOnce) {
  Buffer b;
  b.Append({"ab", "", std::string(300, 'c'), "d"});
  EXPECT_EQ(b.view(), "ab" + std::string(300, 'c') + "d");
  EXPECT_EQ(b.capacity(), 512u);
}

}  // namespace
}  // namespace tofu
