#include "message/post_validation.h"

#include <string>

#include "gtest/gtest.h"
#include "message/message.h"
#include "message/status.h"

namespace tofu {
namespace {

MessagePtr Make(OpCode op, uint16_t channel = 5, uint64_t id = 0) {
  MessagePtr m = Message::Create();
  m->header().op_code = op;
  m->header().channel_number = channel;
  m->header().message_id = id;
  return m;
}

TEST(PrepareForPost, FreshMessageHasNoChannel) {
  MessagePtr m = Message::Create();
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kInvalidChannelNumber);
  EXPECT_EQ(m->header().status, StatusCode::kInvalidChannelNumber);
}

TEST(PrepareForPost, InvalidOpCodeComesFirst) {
  MessagePtr m = Make(static_cast<OpCode>(12), 0, 0);
  m->header().more = true;
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kInvalidOpCode);
  EXPECT_EQ(m->header().status, StatusCode::kInvalidOpCode);
}

TEST(PrepareForPost, ForcesApplicationOriginAndClearsStatus) {
  MessagePtr m = Make(OpCode::kSignal);
  m->header().origin = Origin::kEngine;
  m->header().status = StatusCode::kPoolEmpty;
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kSuccess);
  EXPECT_EQ(m->header().origin, Origin::kApplication);
  EXPECT_EQ(m->header().status, StatusCode::kSuccess);
}

TEST(PrepareForPost, ResponseNeedsMessageIdBeforeOtherChecks) {
  // A response with id 0 and channel 0: the id check (step 3) wins over the
  // channel (5).
  MessagePtr m = Make(OpCode::kResponse, 0, 0);
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kInvalidMessageId);
  for (OpCode op : {OpCode::kHelloResponse, OpCode::kByeResponse}) {
    MessagePtr r = Make(op, 3, 0);
    EXPECT_EQ(PrepareForPost(*r), StatusCode::kInvalidMessageId);
  }
}

TEST(PrepareForPost, MoreOnlyOnRegularTypes) {
  MessagePtr m = Make(OpCode::kByeRequest, 0);
  m->header().more = true;
  // Step 4 before step 5 (channel 0).
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kInvalidMoreUsage);
  MessagePtr ok = Make(OpCode::kRequest);
  ok->header().more = true;
  EXPECT_EQ(PrepareForPost(*ok), StatusCode::kSuccess);
}

TEST(PrepareForPost, ChannelZeroOnlyForHelloAndWelcomeRequests) {
  EXPECT_EQ(PrepareForPost(*Make(OpCode::kByeRequest, 0)),
            StatusCode::kInvalidChannelNumber);
  MessagePtr hello = Make(OpCode::kHelloRequest, 0);
  ASSERT_TRUE(hello->AddTextHeader("~connect_to", "tcp|127.0.0.1|1").ok());
  EXPECT_EQ(PrepareForPost(*hello), StatusCode::kSuccess);
}

TEST(PrepareForPost, HeadersTooLongBeforeMissingAddress) {
  MessagePtr m = Make(OpCode::kRequest);
  m->text_headers().Append(std::string(65536, 'h'));
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kInvalidHeadersLen);
  MessagePtr max = Make(OpCode::kRequest);
  max->text_headers().Append(std::string(65535, 'h'));
  max->body().Append(std::string(65535, 'b'));
  EXPECT_EQ(PrepareForPost(*max), StatusCode::kSuccess);
  EXPECT_EQ(max->header().text_headers_length, 65535);
  EXPECT_EQ(max->header().body_length, 65535);
}

TEST(PrepareForPost, HelloAndWelcomeWithoutHeadersAreWrongAddress) {
  EXPECT_EQ(PrepareForPost(*Make(OpCode::kHelloRequest, 0)),
            StatusCode::kWrongAddress);
  EXPECT_EQ(PrepareForPost(*Make(OpCode::kWelcomeRequest, 0)),
            StatusCode::kWrongAddress);
}

TEST(PrepareForPost, BodyTooLong) {
  MessagePtr m = Make(OpCode::kSignal);
  m->body().Append(std::string(65536, 'b'));
  EXPECT_EQ(PrepareForPost(*m), StatusCode::kInvalidBodyLen);
  EXPECT_EQ(m->header().status, StatusCode::kInvalidBodyLen);
}

TEST(PrepareForPost, AssignsIdsOnlyWhenZeroAndSetsLengths) {
  MessagePtr a = Make(OpCode::kRequest);
  a->body().Append("12345");
  ASSERT_TRUE(a->AddTextHeader("x", "y").ok());
  ASSERT_EQ(PrepareForPost(*a), StatusCode::kSuccess);
  EXPECT_NE(a->header().message_id, 0u);
  EXPECT_EQ(a->header().body_length, 5);
  EXPECT_EQ(a->header().text_headers_length, 5);
  MessagePtr b = Make(OpCode::kRequest);
  ASSERT_EQ(PrepareForPost(*b), StatusCode::kSuccess);
  EXPECT_GT(b->header().message_id, a->header().message_id);
  MessagePtr c = Make(OpCode::kRequest, 5, 777);
  ASSERT_EQ(PrepareForPost(*c), StatusCode::kSuccess);
  EXPECT_EQ(c->header().message_id, 777u);
}

}  // namespace
}  // namespace tofu
