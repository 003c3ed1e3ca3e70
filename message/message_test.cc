#include "message/message.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "message/message_queue.h"

namespace tofu {
namespace {

TEST(Message, ResetClearsEverythingButKeepsCapacity) {
  MessagePtr m = Message::Create();
  m->header().channel_number = 7;
  m->header().op_code = OpCode::kSignal;
  m->header().message_id = 99;
  ASSERT_TRUE(m->AddTextHeader("k", "v").ok());
  m->body().Append(std::string(4000, 'b'));
  const size_t body_capacity = m->body().capacity();
  m->Reset();
  EXPECT_EQ(m->header(), BinaryHeader());
  EXPECT_TRUE(m->text_headers().empty());
  EXPECT_TRUE(m->body().empty());
  EXPECT_EQ(m->body().capacity(), body_capacity);
}

TEST(Message, FindTextHeader) {
  MessagePtr m = Message::Create();
  ASSERT_TRUE(m->AddTextHeader("~listen_on", "uds|/tmp/x").ok());
  EXPECT_EQ(m->FindTextHeader("~listen_on"), absl::string_view("uds|/tmp/x"));
  EXPECT_FALSE(m->FindTextHeader("~connect_to").has_value());
}

// A header copied within its message, as an application echoing a received
// header back would: the value is a view of the block that grows.
TEST(Message, CopiesATextHeaderWithinItself) {
  MessagePtr m = Message::Create();
  const std::string value(240, 'v');
  ASSERT_TRUE(m->AddTextHeader("a", value).ok());
  ASSERT_EQ(m->text_headers().capacity(), 256u);  // "a:" + 240 + CRLF = 244
  ASSERT_TRUE(m->AddTextHeader("copy", *m->FindTextHeader("a")).ok());
  EXPECT_EQ(m->FindTextHeader("a"), absl::string_view(value));
  EXPECT_EQ(m->FindTextHeader("copy"), absl::string_view(value));
}

TEST(Message, CloneCopiesHeaderHeadersAndBody) {
  MessagePtr m = Message::Create();
  m->header().message_id = 5;
  ASSERT_TRUE(m->AddTextHeader("a", "b").ok());
  m->body().Append("payload");
  MessagePtr c = m->Clone();
  EXPECT_EQ(c->header(), m->header());
  EXPECT_EQ(c->text_headers().view(), "a:b\r\n");
  EXPECT_EQ(c->body().view(), "payload");
}

MessagePtr WithId(uint64_t id) {
  MessagePtr m = Message::Create();
  m->header().message_id = id;
  return m;
}

TEST(MessageQueue, FifoAndFront) {
  MessageQueue q;
  EXPECT_TRUE(q.empty());
  q.PushBack(WithId(1));
  q.PushBack(WithId(2));
  q.PushFront(WithId(0));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.front()->header().message_id, 0u);
  for (uint64_t id = 0; id < 3; ++id) {
    MessagePtr m = q.PopFront();
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->header().message_id, id);
  }
  EXPECT_EQ(q.PopFront(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(MessageQueue, SpliceKeepsOrderAndEmptiesSource) {
  MessageQueue a;
  MessageQueue b;
  a.PushBack(WithId(1));
  b.PushBack(WithId(2));
  b.PushBack(WithId(3));
  a.Splice(b);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(a.size(), 3u);
  for (uint64_t id = 1; id <= 3; ++id)
    EXPECT_EQ(a.PopFront()->header().message_id, id);
  // Splicing into an empty queue and from an empty queue.
  b.PushBack(WithId(4));
  a.Splice(b);
  a.Splice(b);
  EXPECT_EQ(a.size(), 1u);
  a.PushBack(WithId(5));
  EXPECT_EQ(a.PopFront()->header().message_id, 4u);
  EXPECT_EQ(a.PopFront()->header().message_id, 5u);
}

TEST(MessageQueue, MoveTransfersOwnership) {
  MessageQueue a;
  a.PushBack(WithId(1));
  MessageQueue b = std::move(a);
  EXPECT_EQ(b.size(), 1u);
  // Dropping a queue with messages in it releases them (LeakSanitizer checks
  // this).
  b.PushBack(WithId(2));
}

TEST(Message, AllTextHeadersInOrderWithDuplicates) {
  MessagePtr m = Message::Create();
  ASSERT_TRUE(m->AddTextHeader("k", "1").ok());
  ASSERT_TRUE(m->AddTextHeader("other", "").ok());
  ASSERT_TRUE(m->AddTextHeader("k", "2").ok());
  std::vector<std::string> seen;
  for (const TextHeader& h : m->AllTextHeaders()) {
    seen.push_back(absl::StrCat(h.name, "=", h.value));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"k=1", "other=", "k=2"}));
}

}  // namespace
}  // namespace tofu
