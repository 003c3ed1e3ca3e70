#include "message/text_headers.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "message/buffer.h"
#include "message/status.h"

namespace tofu {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs ReadAll(absl::string_view block) {
  Pairs out;
  TextHeaderReader reader(block);
  while (auto h = reader.Next()) out.emplace_back(h->name, h->value);
  return out;
}

TEST(TextHeaderReader, ProtocolVectors) {
  EXPECT_EQ(ReadAll("a: b"), (Pairs{{"a", "b"}}));
  EXPECT_EQ(ReadAll("a: b\r\nc:  \r\nd:e\r\n\r\nf: g\r\n\r\n"),
            (Pairs{{"a", "b"}, {"c", ""}, {"d", "e"}, {"f", "g"}}));
  EXPECT_EQ(ReadAll(": ss\r\n\r\n"), Pairs{});
  EXPECT_EQ(ReadAll("a:b\r\n\r\n: ss\r\n\r\n"), (Pairs{{"a", "b"}}));
}

TEST(TextHeaderReader, EdgeCases) {
  EXPECT_EQ(ReadAll(""), Pairs{});
  EXPECT_EQ(ReadAll("\r\n\r\n"), Pairs{});
  EXPECT_EQ(ReadAll("novalue\r\n"), (Pairs{{"novalue", ""}}));
  EXPECT_EQ(ReadAll("k: a:b \t"), (Pairs{{"k", "a:b"}}));
  // A lone CR or LF is ordinary content.
  EXPECT_EQ(ReadAll("a:x\ry\r\nb:1\n2"), (Pairs{{"a", "x\ry"}, {"b", "1\n2"}}));
  // The name is not trimmed by the reader.
  EXPECT_EQ(ReadAll(" a :b"), (Pairs{{" a ", "b"}}));
}

TEST(TextHeaderReader, RewindStartsOver) {
  TextHeaderReader reader("a:1\r\nb:2\r\n");
  ASSERT_TRUE(reader.Next().has_value());
  ASSERT_TRUE(reader.Next().has_value());
  EXPECT_FALSE(reader.Next().has_value());
  reader.Rewind();
  auto first = reader.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->name, "a");
}

TEST(TextHeaderWriter, WritesNameColonValueCrLf) {
  Buffer block;
  ASSERT_TRUE(
      AppendTextHeader(block, "~connect_to", "tcp|127.0.0.1|7099").ok());
  ASSERT_TRUE(AppendTextHeader(block, " x\t", "").ok());
  EXPECT_EQ(block.view(), "~connect_to:tcp|127.0.0.1|7099\r\nx:\r\n");
  EXPECT_EQ(ReadAll(block.view()),
            (Pairs{{"~connect_to", "tcp|127.0.0.1|7099"}, {"x", ""}}));
}

TEST(TextHeaderWriter, RejectsEmptyNameAndLineBreaks) {
  Buffer block;
  block.Append("a:1\r\n");
  const std::pair<std::string, std::string> bad[] = {
      {"", "v"},       {" \t ", "v"},   {"na\rme", "v"}, {"na\nme", "v"},
      {"name", "v\r"}, {"name", "\nv"}, {"na:me", "v"},  {"x", "a\r\nevil:1"},
  };
  for (const auto& [name, value] : bad) {
    const absl::Status status = AppendTextHeader(block, name, value);
    EXPECT_EQ(StatusCodeOf(status), StatusCode::kInvalidMessage)
        << name << "/" << value;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(block.view(), "a:1\r\n");
}

TEST(FindTextHeader, FirstMatchWins) {
  EXPECT_EQ(FindTextHeader("a:1\r\nb:2\r\nb:3", "b"), absl::string_view("2"));
  EXPECT_FALSE(FindTextHeader("a:1", "b").has_value());
  // Iteration stops at an empty name, so later lines are not found.
  EXPECT_FALSE(FindTextHeader(":x\r\nb:2", "b").has_value());
}

TEST(TextHeaderRange, GivesTheReadersHeadersInOrder) {
  const absl::string_view block = "a: b\r\nc:  \r\nd:e\r\n\r\nf: g\r\n\r\n";
  Pairs got;
  for (const TextHeader& h : TextHeaderRange(block)) {
    got.emplace_back(h.name, h.value);
  }
  EXPECT_EQ(got, ReadAll(block));
  EXPECT_EQ(TextHeaderRange(": ss\r\n").begin(), TextHeaderRange("").end());
  TextHeaderRange range("x:1\r\ny:2");
  auto it = range.begin();
  EXPECT_EQ(it->name, "x");
  EXPECT_EQ((it++)->value, "1");
  EXPECT_EQ(it->name, "y");
  EXPECT_EQ(++it, range.end());
}

}  // namespace
}  // namespace tofu
