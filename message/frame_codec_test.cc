#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "message/binary_header.h"
#include "message/frame_decoder.h"
#include "message/frame_encoder.h"
#include "message/message.h"
#include "message/status.h"

namespace tofu {
namespace {

using Bytes = std::vector<uint8_t>;

MessagePtr MakeFrame(OpCode op, uint64_t id, const std::string& headers,
                     const std::string& body) {
  MessagePtr m = Message::Create();
  m->header().op_code = op;
  m->header().channel_number = static_cast<uint16_t>(id % 65534 + 1);
  m->header().message_id = id;
  m->text_headers().Append(headers);
  m->body().Append(body);
  m->header().text_headers_length = static_cast<uint16_t>(headers.size());
  m->header().body_length = static_cast<uint16_t>(body.size());
  return m;
}

std::vector<MessagePtr> SampleFrames() {
  std::vector<MessagePtr> frames;
  frames.push_back(
      MakeFrame(OpCode::kHelloRequest, 1, "~connect_to:tcp|h|1\r\n", ""));
  frames.push_back(MakeFrame(OpCode::kRequest, 2, "", ""));
  frames.push_back(MakeFrame(OpCode::kResponse, 3, "a:b\r\n", "body"));
  frames.push_back(
      MakeFrame(OpCode::kSignal, 4, "", std::string(70000 % 65536, 's')));
  frames.push_back(MakeFrame(OpCode::kByeRequest, 5, std::string(65535, 'h'),
                             std::string(65535, 'b')));
  frames.push_back(MakeFrame(OpCode::kByeResponse, 6, "", "x"));
  return frames;
}

Bytes Serialize(const std::vector<MessagePtr>& frames) {
  Bytes out;
  for (const MessagePtr& m : frames) {
    const WireHeader h = EncodeBinaryHeader(m->header());
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), m->text_headers().data(),
               m->text_headers().data() + m->text_headers().size());
    out.insert(out.end(), m->body().data(),
               m->body().data() + m->body().size());
  }
  return out;
}

struct DecodeResult {
  std::vector<MessagePtr> frames;
  StatusCode error = StatusCode::kSuccess;
  size_t consumed = 0;
  bool at_boundary = false;
};

// Feeds `stream` in chunks chosen by `next_chunk` and collects every frame.
// With `direct`, every other chunk that falls in a body is written into
// BodyRemainder() and committed instead of fed, as the engine reads large
// bodies.
template <typename ChunkFn>
DecodeResult DecodeAll(const Bytes& stream, ChunkFn next_chunk,
                       FrameDecoder::Limits limits = {}, bool direct = false) {
  FrameDecoder decoder(limits);
  DecodeResult result;
  size_t pos = 0;
  while (true) {
    switch (decoder.state()) {
      case FrameDecoder::State::kNeedMessage:
        decoder.Provide(Message::Create());
        continue;
      case FrameDecoder::State::kFrameReady:
        result.frames.push_back(decoder.TakeFrame());
        continue;
      case FrameDecoder::State::kFailed:
        result.error = decoder.error();
        result.consumed = pos;
        return result;
      case FrameDecoder::State::kNeedBytes:
        break;
    }
    if (pos == stream.size()) break;
    const size_t chunk = std::min(next_chunk(), stream.size() - pos);
    const absl::Span<uint8_t> body = decoder.BodyRemainder();
    if (direct && !body.empty() && (pos & 1) == 0) {
      const size_t n = std::min(chunk, body.size());
      std::copy_n(stream.data() + pos, n, body.data());
      decoder.CommitBody(n);
      pos += n;
      continue;
    }
    const size_t used =
        decoder.Feed(absl::MakeConstSpan(stream.data() + pos, chunk));
    EXPECT_LE(used, chunk);
    pos += used;
  }
  result.consumed = pos;
  result.at_boundary = decoder.at_frame_boundary();
  return result;
}

void ExpectSameFrames(const std::vector<MessagePtr>& got,
                      const std::vector<MessagePtr>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i]->header(), want[i]->header()) << i;
    EXPECT_EQ(got[i]->text_headers().view(), want[i]->text_headers().view())
        << i;
    EXPECT_EQ(got[i]->body().view(), want[i]->body().view()) << i;
  }
}

// Found by //fuzz:frame_decoder_fuzzer: an empty span has a null data(), and
// the header copy passed it to memcpy (undefined even for 0 bytes; UBSan
// stops there under --config=asan).
TEST(FrameDecoder, EmptyFeedsConsumeNothing) {
  FrameDecoder decoder;
  EXPECT_EQ(decoder.Feed(absl::Span<const uint8_t>()), 0u);
  EXPECT_EQ(decoder.state(), FrameDecoder::State::kNeedBytes);
  const Bytes one = Serialize(SampleFrames());
  EXPECT_EQ(decoder.Feed(absl::MakeConstSpan(one).subspan(0, 3)), 3u);
  EXPECT_EQ(decoder.Feed(absl::Span<const uint8_t>()), 0u);
  EXPECT_EQ(decoder.state(), FrameDecoder::State::kNeedBytes);
}

TEST(FrameDecoder, WholeStreamAtOnce) {
  const auto frames = SampleFrames();
  const Bytes stream = Serialize(frames);
  DecodeResult r = DecodeAll(stream, [&] { return stream.size(); });
  EXPECT_EQ(r.error, StatusCode::kSuccess);
  EXPECT_EQ(r.consumed, stream.size());
  EXPECT_TRUE(r.at_boundary);
  ExpectSameFrames(r.frames, frames);
}

TEST(FrameDecoder, OneByteAtATimeGivesTheSameFrames) {
  const auto frames = SampleFrames();
  const Bytes stream = Serialize(frames);
  DecodeResult r = DecodeAll(stream, [] { return size_t{1}; });
  EXPECT_EQ(r.error, StatusCode::kSuccess);
  EXPECT_TRUE(r.at_boundary);
  ExpectSameFrames(r.frames, frames);
}

// Fed in random chunks, and with every other body chunk written in place
// (BodyRemainder/CommitBody) as the engine reads large bodies.
TEST(FrameDecoder, RandomChunksGiveTheSameFrames) {
  const auto frames = SampleFrames();
  const Bytes stream = Serialize(frames);
  for (const bool direct : {false, true}) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      std::mt19937 rng(seed);
      std::uniform_int_distribution<size_t> size(1, seed % 2 ? 40 : 100000);
      DecodeResult r = DecodeAll(
          stream, [&] { return size(rng); }, {}, direct);
      EXPECT_EQ(r.error, StatusCode::kSuccess) << seed << " " << direct;
      EXPECT_TRUE(r.at_boundary);
      ExpectSameFrames(r.frames, frames);
    }
  }
}

TEST(FrameDecoder, BodyRemainderOnlyWhileABodyIsDue) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kSignal, 1, "a:b\r\n", "0123456789"));
  const Bytes stream = Serialize(frames);
  FrameDecoder decoder;
  EXPECT_TRUE(decoder.BodyRemainder().empty());  // no header yet
  EXPECT_EQ(decoder.Feed(absl::MakeConstSpan(stream).subspan(0, 16)), 16u);
  ASSERT_EQ(decoder.state(), FrameDecoder::State::kNeedMessage);
  EXPECT_TRUE(decoder.BodyRemainder().empty());
  decoder.Provide(Message::Create());
  EXPECT_TRUE(decoder.BodyRemainder().empty());  // text headers first
  EXPECT_EQ(decoder.Feed(absl::MakeConstSpan(stream).subspan(16, 6)), 6u);
  ASSERT_EQ(decoder.BodyRemainder().size(), 9u);  // one body byte was fed
  // Committing more than the remainder counts only the remainder.
  std::copy_n(stream.data() + 22, 9, decoder.BodyRemainder().data());
  decoder.CommitBody(100);
  ASSERT_EQ(decoder.state(), FrameDecoder::State::kFrameReady);
  EXPECT_TRUE(decoder.BodyRemainder().empty());
  decoder.CommitBody(5);  // nothing is due: ignored
  MessagePtr m = decoder.TakeFrame();
  EXPECT_EQ(m->text_headers().view(), "a:b\r\n");
  EXPECT_EQ(m->body().view(), "0123456789");
  EXPECT_TRUE(decoder.at_frame_boundary());
}

TEST(FrameDecoder, ReservingAsBytesArriveHoldsOnlyWhatCame) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kRequest, 1, std::string(30000, 'h'),
                             std::string(60000, 'b')));
  const Bytes stream = Serialize(frames);
  FrameDecoder decoder;
  EXPECT_EQ(decoder.FrameBytesMissing(), 0u);
  ASSERT_EQ(decoder.Feed(absl::MakeConstSpan(stream).subspan(0, 16)), 16u);
  EXPECT_EQ(decoder.FrameBytesMissing(), 90000u);
  decoder.Provide(Message::Create(), FrameDecoder::Reserve::kAsItArrives);
  ASSERT_EQ(decoder.Feed(absl::MakeConstSpan(stream).subspan(16, 10)), 10u);
  EXPECT_EQ(decoder.FrameBytesMissing(), 89990u);
  // A stalled peer that announced 90000 bytes and sent 10 holds little.
  ASSERT_EQ(decoder.state(), FrameDecoder::State::kNeedBytes);
  EXPECT_TRUE(decoder.BodyRemainder().empty());  // text headers still due
  // The rest arrives in pieces, some read straight into the body as far as
  // its capacity reaches, and the frame is whole and exact.
  size_t pos = 26;
  bool direct = false;
  while (decoder.state() == FrameDecoder::State::kNeedBytes) {
    const absl::Span<uint8_t> room = decoder.BodyRemainder();
    if (direct && !room.empty()) {
      const size_t n = std::min(room.size(), stream.size() - pos);
      std::copy_n(stream.data() + pos, n, room.data());
      decoder.CommitBody(n);
      pos += n;
    } else {
      const size_t n = std::min<size_t>(7000, stream.size() - pos);
      ASSERT_EQ(decoder.Feed(absl::MakeConstSpan(stream).subspan(pos, n)), n);
      pos += n;
    }
    direct = !direct;
  }
  ASSERT_EQ(decoder.state(), FrameDecoder::State::kFrameReady);
  EXPECT_EQ(pos, stream.size());
  MessagePtr m = decoder.TakeFrame();
  EXPECT_EQ(m->text_headers().view(), std::string(30000, 'h'));
  EXPECT_EQ(m->body().view(), std::string(60000, 'b'));
}

TEST(FrameDecoder, KeepsFramesBeforeAnInvalidOne) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kRequest, 1, "", "ok"));
  frames.push_back(MakeFrame(OpCode::kRequest, 2, "", "bad"));
  frames[1]->header().op_code = static_cast<OpCode>(13);
  const Bytes stream = Serialize(frames);
  for (size_t chunk : {size_t{1}, size_t{7}, stream.size()}) {
    DecodeResult r = DecodeAll(stream, [&] { return chunk; });
    EXPECT_EQ(r.error, StatusCode::kInvalidMessage);
    ASSERT_EQ(r.frames.size(), 1u);
    EXPECT_EQ(r.frames[0]->body().view(), "ok");
    // Only the bad header was read, not its body.
    EXPECT_EQ(r.consumed, 16u + 2 + 16);
  }
}

TEST(FrameDecoder, RejectsInvalidOpCodesAndWelcomeFrames) {
  for (int op = 8; op <= 15; ++op) {
    MessagePtr m = MakeFrame(static_cast<OpCode>(op), 1, "", "");
    std::vector<MessagePtr> frames;
    frames.push_back(std::move(m));
    DecodeResult r = DecodeAll(Serialize(frames), [] { return size_t{3}; });
    EXPECT_EQ(r.error, StatusCode::kInvalidMessage) << op;
    EXPECT_TRUE(r.frames.empty());
  }
}

TEST(FrameDecoder, RejectsBodyLongerThanLimit) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kSignal, 1, "", std::string(101, 'b')));
  DecodeResult r = DecodeAll(
      Serialize(frames), [] { return size_t{1000}; },
      FrameDecoder::Limits{.max_body = 100});
  EXPECT_EQ(r.error, StatusCode::kInvalidBodyLen);
  EXPECT_EQ(r.consumed, kBinaryHeaderSize);
}

TEST(FrameDecoder, RejectsTextHeadersLongerThanLimit) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kSignal, 1, std::string(11, 'h'), ""));
  DecodeResult r = DecodeAll(
      Serialize(frames), [] { return size_t{1000}; },
      FrameDecoder::Limits{.max_text_headers = 10});
  EXPECT_EQ(r.error, StatusCode::kInvalidHeadersLen);
}

TEST(FrameDecoder, GarbageIsRejectedOrBufferedButNeverOverread) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    Bytes garbage(1 + rng() % 300);
    for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng());
    DecodeResult r = DecodeAll(garbage, [&] { return size_t{1 + rng() % 17}; });
    EXPECT_LE(r.consumed, garbage.size());
    if (r.error == StatusCode::kSuccess) {
      EXPECT_EQ(r.consumed, garbage.size());
    }
  }
}

TEST(FrameDecoder, TruncatedFrameIsNotAtBoundary) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kRequest, 1, "", "0123456789"));
  Bytes stream = Serialize(frames);
  stream.resize(stream.size() - 3);
  FrameDecoder decoder;
  EXPECT_TRUE(decoder.at_frame_boundary());
  size_t used = decoder.Feed(absl::MakeConstSpan(stream));
  EXPECT_EQ(used, kBinaryHeaderSize);
  ASSERT_EQ(decoder.state(), FrameDecoder::State::kNeedMessage);
  EXPECT_EQ(decoder.pending_header().body_length, 10);
  decoder.Provide(Message::Create());
  used += decoder.Feed(absl::MakeConstSpan(stream).subspan(used));
  EXPECT_EQ(used, stream.size());
  EXPECT_EQ(decoder.state(), FrameDecoder::State::kNeedBytes);
  EXPECT_FALSE(decoder.at_frame_boundary());
}

TEST(FrameDecoder, ProvidedMessageIsReset) {
  std::vector<MessagePtr> frames;
  frames.push_back(MakeFrame(OpCode::kSignal, 9, "", "new"));
  const Bytes stream = Serialize(frames);
  FrameDecoder decoder;
  decoder.Feed(absl::MakeConstSpan(stream));
  MessagePtr reused = Message::Create();
  reused->body().Append("old contents");
  ASSERT_TRUE(reused->AddTextHeader("stale", "1").ok());
  decoder.Provide(std::move(reused));
  decoder.Feed(absl::MakeConstSpan(stream).subspan(kBinaryHeaderSize));
  MessagePtr m = decoder.TakeFrame();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->body().view(), "new");
  EXPECT_TRUE(m->text_headers().empty());
}

// One write of at most `budget` bytes through a "socket" appending to `wire`,
// with `slices.size()` slices at most; returns the frames it completed.
size_t WriteOnce(FrameEncoder& encoder, std::vector<IoSlice>& slices,
                 size_t budget, Bytes& wire) {
  const size_t n = encoder.Gather(absl::MakeSpan(slices));
  EXPECT_GT(n, 0u);
  size_t written = 0;
  for (size_t i = 0; i < n && budget > 0; ++i) {
    const size_t take = std::min(budget, slices[i].size);
    const uint8_t* p = static_cast<const uint8_t*>(slices[i].data);
    wire.insert(wire.end(), p, p + take);
    budget -= take;
    written += take;
  }
  return encoder.Advance(written);
}

// Writes the encoder's batch through a "socket" that accepts `limit()` bytes
// per call.
template <typename LimitFn>
Bytes WriteThrough(FrameEncoder& encoder, LimitFn limit, size_t max_slices,
                   size_t* frames_completed) {
  Bytes wire;
  std::vector<IoSlice> slices(max_slices);
  *frames_completed = 0;
  while (!encoder.empty()) {
    *frames_completed += WriteOnce(encoder, slices, limit(), wire);
  }
  return wire;
}

TEST(FrameEncoder, BatchMatchesTheWireFormat) {
  const auto frames = SampleFrames();
  FrameEncoder encoder;
  size_t total = 0;
  for (const MessagePtr& m : frames) {
    encoder.Add(*m);
    total += kBinaryHeaderSize + m->text_headers().size() + m->body().size();
  }
  EXPECT_EQ(encoder.frame_count(), frames.size());
  EXPECT_EQ(encoder.pending_bytes(), total);
  size_t completed = 0;
  const Bytes wire = WriteThrough(
      encoder, [] { return size_t{1} << 30; }, 1024, &completed);
  EXPECT_EQ(wire, Serialize(frames));
  EXPECT_EQ(completed, frames.size());
  EXPECT_EQ(encoder.pending_bytes(), 0u);
}

TEST(FrameEncoder, PartialWritesAndFewSlicesResumeExactly) {
  const auto frames = SampleFrames();
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    std::mt19937 rng(seed);
    FrameEncoder encoder;
    for (const MessagePtr& m : frames) encoder.Add(*m);
    size_t completed = 0;
    const Bytes wire = WriteThrough(
        encoder, [&] { return size_t{1 + rng() % 5000}; }, 1 + seed % 4,
        &completed);
    EXPECT_EQ(wire, Serialize(frames)) << seed;
    EXPECT_EQ(completed, frames.size());
  }
}

// Small frames are staged (copied) and large ones referenced; frames keep
// being added while earlier ones are half written, long enough for the
// staging buffer to compact. The wire still carries every frame exactly.
TEST(FrameEncoder, StagedAndReferencedFramesInterleaveAcrossPartialWrites) {
  std::vector<MessagePtr> frames;
  for (int i = 0; i < 3000; ++i) {
    const size_t body = i % 50 == 0 ? FrameEncoder::kCopyLimit + 1 + i : i % 97;
    frames.push_back(MakeFrame(
        OpCode::kSignal, static_cast<uint64_t>(i), i % 7 == 0 ? "k:v\r\n" : "",
        std::string(body, static_cast<char>('a' + i % 26))));
  }
  std::mt19937 rng(7);
  FrameEncoder encoder;
  Bytes wire;
  std::vector<IoSlice> slices(16);
  size_t added = 0;
  size_t completed = 0;
  while (completed < frames.size()) {
    for (int k = 0; k < 20 && added < frames.size(); ++k) {
      encoder.Add(*frames[added++]);
    }
    completed += WriteOnce(encoder, slices, 1 + rng() % 2000, wire);
  }
  EXPECT_TRUE(encoder.empty());
  EXPECT_EQ(encoder.slice_bound(), 0u);
  EXPECT_EQ(wire, Serialize(frames));
}

TEST(FrameEncoder, AdvanceReportsCompletedFramesInOrder) {
  FrameEncoder encoder;
  MessagePtr a = MakeFrame(OpCode::kRequest, 1, "", "aa");
  MessagePtr b = MakeFrame(OpCode::kRequest, 2, "", "");
  encoder.Add(*a);
  encoder.Add(*b);
  EXPECT_EQ(encoder.Advance(10), 0u);
  EXPECT_EQ(encoder.Advance(8), 1u);  // a is 18 bytes
  EXPECT_EQ(encoder.Advance(16), 1u);
  EXPECT_TRUE(encoder.empty());
}

// Frames not started yet come out, for an out-of-band frame to go first:
// the wire carries the partly written frame whole, then what is added next.
TEST(FrameEncoder, RemoveUnstartedKeepsOnlyThePartlyWrittenFrame) {
  for (const size_t written_of_second : {size_t{0}, size_t{10}}) {
    SCOPED_TRACE(written_of_second);
    MessagePtr first = MakeFrame(OpCode::kRequest, 1, "", "first");
    MessagePtr large =
        MakeFrame(OpCode::kRequest, 2, "k:v\r\n",
                  std::string(FrameEncoder::kCopyLimit + 1, 'L'));
    MessagePtr third = MakeFrame(OpCode::kSignal, 3, "", "third");
    MessagePtr oob = MakeFrame(OpCode::kSignal, 4, "", "urgent");
    FrameEncoder encoder;
    for (const MessagePtr* m : {&first, &large, &third}) encoder.Add(**m);
    Bytes wire;
    std::vector<IoSlice> slices(16);
    const size_t first_size = kBinaryHeaderSize + 5;
    EXPECT_EQ(WriteOnce(encoder, slices, first_size + written_of_second, wire),
              1u);
    const bool started = written_of_second > 0;
    EXPECT_EQ(encoder.unstarted_count(), started ? 1u : 2u);
    EXPECT_EQ(encoder.RemoveUnstarted(), started ? 1u : 2u);
    EXPECT_EQ(encoder.frame_count(), started ? 1u : 0u);
    encoder.Add(*oob);
    if (!started) encoder.Add(*large);
    encoder.Add(*third);
    size_t completed = 0;
    const Bytes rest = WriteThrough(
        encoder, [] { return size_t{7}; }, 4, &completed);
    wire.insert(wire.end(), rest.begin(), rest.end());
    std::vector<MessagePtr> expected;
    for (const MessagePtr* m : {&first, &large, &oob, &third}) {
      expected.push_back((*m)->Clone());
    }
    if (!started) std::swap(expected[1], expected[2]);  // oob before large
    EXPECT_EQ(wire, Serialize(expected));
    EXPECT_TRUE(encoder.empty());
    EXPECT_EQ(encoder.slice_bound(), 0u);
  }
}

TEST(FrameCodec, EncoderOutputDecodes) {
  const auto frames = SampleFrames();
  FrameEncoder encoder;
  for (const MessagePtr& m : frames) encoder.Add(*m);
  size_t completed = 0;
  const Bytes wire = WriteThrough(
      encoder, [] { return size_t{4096}; }, 64, &completed);
  DecodeResult r = DecodeAll(wire, [] { return size_t{1500}; });
  EXPECT_EQ(r.error, StatusCode::kSuccess);
  ExpectSameFrames(r.frames, frames);
}

}  // namespace
}  // namespace tofu
