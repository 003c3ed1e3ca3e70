// The engine core driven on the simulated network (reactor/testing/
// sim_network.h): one thread, no sockets, every step chosen by the test, which
// plays the remote peers byte by byte.
#include "reactor/testing/driven_reactor_fixture.h"

namespace tofu {
namespace driven_testing {
namespace {

TEST_F(DrivenReactorTest, HandshakeAsClient) {
  const Client c = Connect("tcp|server|80");
  const StreamInfo info = *sim_.Info(c.stream);
  EXPECT_EQ(info.kind, StreamInfo::Kind::kConnected);
  EXPECT_EQ(info.address.Value(), "tcp|server|80");
  std::vector<MessagePtr> frames = PeerReads(c.stream);
  ASSERT_THAT(frames, SizeIs(1));
  EXPECT_EQ(frames[0]->header().op_code, OpCode::kHelloRequest);
  EXPECT_EQ(frames[0]->header().message_id, c.hello_id);
  EXPECT_EQ(frames[0]->header().channel_number, c.channel);
  EXPECT_EQ(frames[0]->body().view(), "hi");
  EXPECT_EQ(frames[0]->FindTextHeader(kConnectToHeader), "tcp|server|80");

  // The peer accepts; its forged engine origin is cleared.
  Deliver(c.stream, Frame(OpCode::kHelloResponse, c.hello_id, "welcome",
                          Origin::kEngine));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kHelloResponse);
  EXPECT_EQ(got[0]->header().message_id, c.hello_id);
  EXPECT_EQ(got[0]->header().channel_number, c.channel);
  EXPECT_EQ(got[0]->header().origin, Origin::kApplication);
  EXPECT_EQ(got[0]->body().view(), "welcome");
}

TEST_F(DrivenReactorTest, HandshakeAsServer) {
  MessagePtr welcome = NewMessage(OpCode::kWelcomeRequest, 0, "");
  ASSERT_TRUE(welcome->AddTextHeader(kListenOnHeader, "tcp||0").ok());
  const BinaryHeader w = Post(std::move(welcome));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kWelcomeResponse);
  EXPECT_EQ(got[0]->header().status, StatusCode::kSuccess);
  EXPECT_EQ(got[0]->header().channel_number, w.channel_number);
  EXPECT_EQ(got[0]->FindTextHeader(kListenOnHeader), "tcp|sim|1");
  const NativeSocket listener = StreamOf(w.channel_number);

  const NativeSocket incoming = sim_.AddIncoming(listener).value();
  Deliver(incoming, Frame(OpCode::kHelloRequest, 77, "client"));
  Run(2);  // accept, then read
  EXPECT_TRUE(sim_.Info(incoming)->handed_out);
  got = Received();
  ASSERT_THAT(got, SizeIs(1));
  const uint16_t accepted = got[0]->header().channel_number;
  EXPECT_NE(accepted, w.channel_number);
  EXPECT_EQ(got[0]->header().op_code, OpCode::kHelloRequest);
  EXPECT_EQ(got[0]->header().message_id, 77u);
  EXPECT_EQ(got[0]->body().view(), "client");
  EXPECT_EQ(StreamOf(accepted), incoming);

  Post(NewMessage(OpCode::kHelloResponse, accepted, "ok", 77));
  Run();
  std::vector<MessagePtr> frames = PeerReads(incoming);
  ASSERT_THAT(frames, SizeIs(1));
  EXPECT_EQ(frames[0]->header().op_code, OpCode::kHelloResponse);
  EXPECT_EQ(frames[0]->header().message_id, 77u);
  EXPECT_EQ(frames[0]->header().channel_number, accepted);
}

// The WelcomeResponse carries the bound address in place of the requested
// one; every other byte of the header block stays as it was, even lines the
// reader stops at or normalises.
TEST_F(DrivenReactorTest, WelcomeResponseKeepsTheOtherHeadersVerbatim) {
  MessagePtr welcome = NewMessage(OpCode::kWelcomeRequest, 0, "");
  const std::string before = "a:  b\r\n~listen_on: tcp||0 \r\nflag\r\n";
  const std::string after = ":\r\nx:y\r\n~listen_on:second\r\n";
  welcome->text_headers().Assign(before + after);
  const BinaryHeader w = Post(std::move(welcome));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kWelcomeResponse);
  EXPECT_EQ(got[0]->header().channel_number, w.channel_number);
  const std::string expected =
      "a:  b\r\n~listen_on: tcp|sim|1 \r\nflag\r\n" + after;
  EXPECT_EQ(got[0]->text_headers().view(), expected);
  EXPECT_EQ(got[0]->header().text_headers_length, expected.size());
}

TEST_F(DrivenReactorTest, ListenFailureReturnsTheWelcomeThenChannelClosed) {
  sim_.FailNextListen(StatusCode::kListenFailed);
  MessagePtr welcome = NewMessage(OpCode::kWelcomeRequest, 0, "");
  ASSERT_TRUE(welcome->AddTextHeader(kListenOnHeader, "tcp||0").ok());
  const BinaryHeader w = Post(std::move(welcome));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(2));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kWelcomeResponse);
  EXPECT_EQ(got[0]->header().status, StatusCode::kListenFailed);
  ExpectClosed(got[1], w.channel_number, w.message_id);
  EXPECT_THAT(sim_.streams(), IsEmpty());
}

TEST_F(DrivenReactorTest, PartialWritesKeepFramesWholeAndInOrder) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  const std::string large(3000, 'L');  // referenced, not copied, by the encoder
  const std::vector<std::string> bodies = {"first", large, "third"};
  for (const std::string& body : bodies) {
    Post(NewMessage(OpCode::kRequest, c.channel, body));
  }
  Run();
  EXPECT_THAT(PeerReads(c.stream), IsEmpty());
  EXPECT_EQ(sim_.Info(c.stream)->interest & kInterestWrite, kInterestWrite);

  std::vector<MessagePtr> frames;
  for (int i = 0; i < 1000 && frames.size() < bodies.size(); ++i) {
    ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 7).ok());
    Run();
    EXPECT_LE(sim_.Info(c.stream)->untaken, 7u);
    for (MessagePtr& f : PeerReads(c.stream)) frames.push_back(std::move(f));
  }
  ASSERT_THAT(frames, SizeIs(bodies.size()));
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(frames[i]->header().op_code, OpCode::kRequest);
    EXPECT_EQ(frames[i]->body().view(), bodies[i]);
  }
  EXPECT_THAT(Received(), IsEmpty());
  // Nothing left to write: no more write interest.
  EXPECT_EQ(sim_.Info(c.stream)->interest & kInterestWrite, kInterestNone);
}

// An oob message goes out right behind the frame being written, ahead of
// frames already encoded behind it while the peer was not reading.
TEST_F(DrivenReactorTest, OobGoesBehindTheFrameBeingWrittenOnly) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  const std::string large(3000, 'L');
  for (const std::string& body : {std::string("first"), large,
                                  std::string("third"), std::string("4th")}) {
    Post(NewMessage(OpCode::kRequest, c.channel, body));
  }
  Run();  // all four encoded, nothing written
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, kBinaryHeaderSize + 5 + 100).ok());
  Run();  // "first" whole, the large frame begun
  MessagePtr urgent = NewMessage(OpCode::kSignal, c.channel, "urgent");
  urgent->header().oob = true;
  Post(std::move(urgent));
  Run();  // the oob is dispatched while the peer still reads nothing
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, sim::kUnlimited).ok());
  std::vector<MessagePtr> frames;
  for (int i = 0; i < 10 && frames.size() < 5; ++i) {
    Run();
    for (MessagePtr& f : PeerReads(c.stream)) frames.push_back(std::move(f));
  }
  ASSERT_THAT(frames, SizeIs(5));
  const std::vector<std::string> bodies = {"first", large, "urgent", "third",
                                           "4th"};
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(frames[i]->body().view(), bodies[i]) << i;
  }
  EXPECT_THAT(Received(), IsEmpty());
}

TEST_F(DrivenReactorTest, PartialReadsDeliverWholeFramesInOrder) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetReadChunk(c.stream, 1).ok());
  const std::string stream = Frame(OpCode::kRequest, 5, "abc") +
                             Frame(OpCode::kSignal, 6, std::string(300, 'x')) +
                             Frame(OpCode::kResponse, 7);
  Deliver(c.stream, stream);
  std::vector<MessagePtr> got = RunUntilReceived(3, stream.size() + 1);
  ASSERT_THAT(got, SizeIs(3));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kRequest);
  EXPECT_EQ(got[0]->header().message_id, 5u);
  EXPECT_EQ(got[0]->body().view(), "abc");
  EXPECT_EQ(got[1]->header().op_code, OpCode::kSignal);
  EXPECT_EQ(got[1]->body().view(), std::string(300, 'x'));
  EXPECT_EQ(got[2]->header().op_code, OpCode::kResponse);
  EXPECT_EQ(got[2]->header().message_id, 7u);
  EXPECT_EQ(sim_.Info(c.stream)->unread, 0u);
}

// Large bodies are read straight into their messages, small frames through
// the read buffer: whatever the read sizes, the frames come out whole, in
// order, with nothing lost between the two paths.
TEST_F(DrivenReactorTest, LargeAndSmallBodiesInAnyChunking) {
  std::string large(kMaxBodyLength, 'L');
  for (size_t i = 0; i < large.size(); i += 97) large[i] = char('a' + i % 26);
  const std::string medium(20000, 'm');
  const std::string stream =
      Frame(OpCode::kSignal, 1, large) + Frame(OpCode::kSignal, 2, "tiny") +
      Frame(OpCode::kSignal, 3, medium) + Frame(OpCode::kSignal, 4, large) +
      Frame(OpCode::kSignal, 5);
  for (const size_t chunk :
       {size_t{1} << 20, size_t{5000}, size_t{4093}, size_t{16}, size_t{1}}) {
    SCOPED_TRACE(chunk);
    const Client c = Connected();
    ASSERT_TRUE(sim_.SetReadChunk(c.stream, chunk).ok());
    Deliver(c.stream, stream);
    std::vector<MessagePtr> got = RunUntilReceived(5, stream.size() + 1);
    ASSERT_THAT(got, SizeIs(5));
    const std::string* bodies[] = {&large, nullptr, &medium, &large, nullptr};
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i]->header().message_id, i + 1);
      EXPECT_EQ(got[i]->header().channel_number, c.channel);
      if (bodies[i] != nullptr) {
        EXPECT_TRUE(got[i]->body().view() == *bodies[i]) << "frame " << i + 1;
      }
    }
    EXPECT_EQ(got[1]->body().view(), "tiny");
    EXPECT_TRUE(got[4]->body().empty());
    EXPECT_EQ(sim_.Info(c.stream)->unread, 0u);
  }
}

TEST_F(DrivenReactorTest, PeerResetReturnsUnsentMessagesThenChannelClosed) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  Post(NewMessage(OpCode::kRequest, c.channel, "one"));
  Post(NewMessage(OpCode::kSignal, c.channel, "two"));
  Run();
  ASSERT_TRUE(sim_.PeerReset(c.stream).ok());
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  ExpectReturned(got[0], "one", StatusCode::kRecvFailed);
  ExpectReturned(got[1], "two", StatusCode::kRecvFailed);
  ExpectClosed(got[2], c.channel, c.hello_id);
  const StreamInfo info = *sim_.Info(c.stream);
  EXPECT_EQ(info.end, StreamInfo::End::kAborted);
  EXPECT_FALSE(info.registered);

  // The channel is gone: a later post comes back.
  Post(NewMessage(OpCode::kRequest, c.channel, "late"));
  got = Received();
  ASSERT_THAT(got, SizeIs(1));
  ExpectReturned(got[0], "late", StatusCode::kChannelClosed);
}

// A post the loop has not reached when the channel closes was made before
// the close: it comes back with the unsent ones, before channel_closed.
TEST_F(DrivenReactorTest, PostNotYetDispatchedComesBackBeforeChannelClosed) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  Post(NewMessage(OpCode::kRequest, c.channel, "one"));
  Run();  // "one" is queued on the channel
  Post(NewMessage(OpCode::kSignal, c.channel, "two"));  // still posted
  ASSERT_TRUE(sim_.PeerReset(c.stream).ok());
  Run();  // the reset closes the channel before the loop takes the posts
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  ExpectReturned(got[0], "one", StatusCode::kRecvFailed);
  ExpectReturned(got[1], "two", StatusCode::kRecvFailed);
  ExpectClosed(got[2], c.channel, c.hello_id);
}

TEST_F(DrivenReactorTest, PeerCloseMidFrameIsRecvFailedAndGraceful) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  Post(NewMessage(OpCode::kRequest, c.channel, "queued"));
  const std::string frame = Frame(OpCode::kRequest, 3, "truncated");
  Deliver(c.stream, frame.substr(0, 20));
  ASSERT_TRUE(sim_.PeerClose(c.stream).ok());
  Run(2);
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(2));
  ExpectReturned(got[0], "queued", StatusCode::kRecvFailed);
  ExpectClosed(got[1], c.channel, c.hello_id);
  EXPECT_EQ(sim_.Info(c.stream)->end, StreamInfo::End::kClosed);
}

TEST_F(DrivenReactorTest, GarbageIsInvalidMessageOnThatChannelOnly) {
  const Client bad = Connected();
  const Client good = Connected();
  Deliver(bad.stream, Frame(OpCode::kRequest, 11, "fine") + Garbage() +
                          Frame(OpCode::kRequest, 12, "never"));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  EXPECT_EQ(got[0]->header().message_id, 11u);
  EXPECT_EQ(got[0]->body().view(), "fine");
  EXPECT_EQ(got[1]->header().op_code, OpCode::kSignal);
  EXPECT_EQ(got[1]->header().origin, Origin::kEngine);
  EXPECT_EQ(got[1]->header().status, StatusCode::kInvalidMessage);
  EXPECT_EQ(got[1]->header().channel_number, bad.channel);
  ExpectClosed(got[2], bad.channel, bad.hello_id);
  EXPECT_EQ(sim_.Info(bad.stream)->end, StreamInfo::End::kAborted);

  Post(NewMessage(OpCode::kRequest, good.channel, "still here"));
  Run();
  std::vector<MessagePtr> frames = PeerReads(good.stream);
  ASSERT_THAT(frames, SizeIs(1));
  EXPECT_EQ(frames[0]->body().view(), "still here");
  EXPECT_EQ(sim_.Info(good.stream)->end, StreamInfo::End::kOpen);
}

TEST_F(DrivenReactorTest, PoolExhaustionReportsOnceThenResumesWithoutLoss) {
  MakeReactor(PoolOptions{2, 2});
  const Client c = Connected();
  constexpr uint64_t kFrames = 6;
  for (uint64_t id = 1; id <= kFrames; ++id) {
    Deliver(c.stream, Frame(OpCode::kRequest, id, "payload"));
  }
  // The application holds everything it receives: the pool runs dry.
  std::vector<MessagePtr> held;
  for (int i = 0; i < 4; ++i) {
    Run();
    for (MessagePtr& m : Received()) held.push_back(std::move(m));
  }
  std::vector<uint64_t> ids;
  int pool_empty = 0;
  auto sort = [&](std::vector<MessagePtr>& messages) {
    for (MessagePtr& m : messages) {
      if (m->header().origin == Origin::kEngine) {
        EXPECT_EQ(m->header().status, StatusCode::kPoolEmpty);
        EXPECT_EQ(m->header().channel_number, c.channel);
        ++pool_empty;
      } else {
        ids.push_back(m->header().message_id);
      }
    }
  };
  sort(held);
  EXPECT_EQ(pool_empty, 1);
  EXPECT_THAT(ids, SizeIs(2));
  // Starved: no read interest, so no busy loop.
  EXPECT_EQ(sim_.Info(c.stream)->interest & kInterestRead, kInterestNone);

  held.clear();  // back to the pool: reading resumes
  for (int i = 0; i < 20 && ids.size() < kFrames; ++i) {
    Run();
    std::vector<MessagePtr> got = Received();
    sort(got);
  }
  EXPECT_EQ(pool_empty, 1);
  EXPECT_THAT(ids, ::testing::ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(sim_.Info(c.stream)->interest & kInterestRead, kInterestRead);
}

TEST_F(DrivenReactorTest, ByeExchangeStartedByTheApplication) {
  const Client c = Connected();
  const BinaryHeader bye =
      Post(NewMessage(OpCode::kByeRequest, c.channel, "bye"));
  Run();
  Post(NewMessage(OpCode::kRequest, c.channel, "after bye"));
  Run();
  std::vector<MessagePtr> frames = PeerReads(c.stream);
  ASSERT_THAT(frames, SizeIs(1));  // nothing is sent after a bye frame
  EXPECT_EQ(frames[0]->header().op_code, OpCode::kByeRequest);
  EXPECT_EQ(frames[0]->header().message_id, bye.message_id);

  Deliver(c.stream, Frame(OpCode::kByeResponse, bye.message_id));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kByeResponse);
  EXPECT_EQ(got[0]->header().origin, Origin::kApplication);
  ExpectReturned(got[1], "after bye", StatusCode::kChannelClosed);
  ExpectClosed(got[2], c.channel, c.hello_id);
  EXPECT_EQ(sim_.Info(c.stream)->end, StreamInfo::End::kClosed);
}

TEST_F(DrivenReactorTest, ByeExchangeStartedByThePeer) {
  const Client c = Connected();
  Deliver(c.stream, Frame(OpCode::kByeRequest, 9, "bye"));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kByeRequest);
  Post(NewMessage(OpCode::kByeResponse, c.channel, "", 9));
  Run();
  std::vector<MessagePtr> frames = PeerReads(c.stream);
  ASSERT_THAT(frames, SizeIs(1));
  EXPECT_EQ(frames[0]->header().op_code, OpCode::kByeResponse);
  EXPECT_EQ(frames[0]->header().message_id, 9u);
  got = Received();
  ASSERT_THAT(got, SizeIs(1));
  ExpectClosed(got[0], c.channel, c.hello_id);
  EXPECT_EQ(sim_.Info(c.stream)->end, StreamInfo::End::kClosed);
}

TEST_F(DrivenReactorTest, PendingConnectThatFails) {
  sim_.set_connect_behavior(ConnectBehavior::kPending);
  const Client c = Connect();
  Post(NewMessage(OpCode::kRequest, c.channel, "waiting"));
  Run(2);
  EXPECT_EQ(sim_.Info(c.stream)->connect, StreamInfo::Connect::kPending);
  EXPECT_EQ(sim_.Info(c.stream)->written, 0u);
  EXPECT_THAT(Received(), IsEmpty());
  ASSERT_TRUE(sim_.FailConnect(c.stream).ok());
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kHelloRequest);
  ExpectReturned(got[0], "hi", StatusCode::kConnectFailed);
  ExpectReturned(got[1], "waiting", StatusCode::kConnectFailed);
  ExpectClosed(got[2], c.channel, c.hello_id);
  EXPECT_EQ(sim_.Info(c.stream)->end, StreamInfo::End::kAborted);
}

TEST_F(DrivenReactorTest, PendingConnectThatSucceedsSendsTheHelloFirst) {
  sim_.set_connect_behavior(ConnectBehavior::kPending);
  const Client c = Connect();
  Post(NewMessage(OpCode::kRequest, c.channel, "waiting"));
  Run();
  ASSERT_TRUE(sim_.CompleteConnect(c.stream).ok());
  Run();
  std::vector<MessagePtr> frames = PeerReads(c.stream);
  ASSERT_THAT(frames, SizeIs(2));
  EXPECT_EQ(frames[0]->header().op_code, OpCode::kHelloRequest);
  EXPECT_EQ(frames[1]->body().view(), "waiting");
  EXPECT_THAT(Received(), IsEmpty());
}

TEST_F(DrivenReactorTest, RefusedConnectReturnsTheHelloThenChannelClosed) {
  sim_.set_connect_behavior(ConnectBehavior::kRefuse);
  MessagePtr hello = NewMessage(OpCode::kHelloRequest, 0, "hi");
  ASSERT_TRUE(hello->AddTextHeader(kConnectToHeader, "tcp|server|80").ok());
  const BinaryHeader h = Post(std::move(hello));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(2));
  ExpectReturned(got[0], "hi", StatusCode::kConnectFailed);
  ExpectClosed(got[1], h.channel_number, h.message_id);
  EXPECT_THAT(sim_.streams(), IsEmpty());
}

// A post behind the HelloRequest in the same batch comes back before
// channel_closed too, when the connect fails as the loop dispatches it.
TEST_F(DrivenReactorTest, RefusedConnectReturnsWhatWasPostedBehindTheHello) {
  sim_.set_connect_behavior(ConnectBehavior::kRefuse);
  MessagePtr hello = NewMessage(OpCode::kHelloRequest, 0, "hi");
  ASSERT_TRUE(hello->AddTextHeader(kConnectToHeader, "tcp|server|80").ok());
  const BinaryHeader h = Post(std::move(hello));
  Post(NewMessage(OpCode::kRequest, h.channel_number, "behind"));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  ExpectReturned(got[0], "hi", StatusCode::kConnectFailed);
  ExpectReturned(got[1], "behind", StatusCode::kConnectFailed);
  ExpectClosed(got[2], h.channel_number, h.message_id);
}

TEST_F(DrivenReactorTest, OobByeSignalAbortsAndReturnsEverythingUnsent) {
  const Client c = Connected();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  Post(NewMessage(OpCode::kRequest, c.channel, "unsent"));
  MessagePtr abort = NewMessage(OpCode::kByeSignal, c.channel, "abort");
  abort->header().oob = true;
  Post(std::move(abort));
  Run();
  std::vector<MessagePtr> got = Received();
  ASSERT_THAT(got, SizeIs(3));
  EXPECT_EQ(got[0]->header().op_code, OpCode::kByeSignal);
  ExpectReturned(got[0], "abort", StatusCode::kChannelClosed);
  ExpectReturned(got[1], "unsent", StatusCode::kChannelClosed);
  ExpectClosed(got[2], c.channel, c.hello_id);
  EXPECT_EQ(sim_.Info(c.stream)->end, StreamInfo::End::kAborted);
  EXPECT_THAT(PeerReads(c.stream), IsEmpty());
}

TEST_F(DrivenReactorTest, DestroyGroupClosesItsChannelsSilently) {
  const Client c = Connected();
  std::shared_ptr<GroupInbox> other = reactor_->CreateGroup().value();
  ASSERT_TRUE(sim_.SetWriteBudget(c.stream, 0).ok());
  Post(NewMessage(OpCode::kRequest, c.channel, "queued"));
  reactor_->DestroyGroup(*group_);
  EXPECT_EQ(sim_.Info(c.stream)->end, StreamInfo::End::kAborted);
  EXPECT_EQ(StatusCodeOf(group_->Wait(absl::ZeroDuration()).status()),
            StatusCode::kShutdownStarted);
  // The other group lives on.
  EXPECT_EQ(other->Wait(absl::ZeroDuration()).value(), nullptr);
  Run();
  reactor_->Shutdown();
  EXPECT_FALSE(reactor_->RunOnce(absl::ZeroDuration()));
  EXPECT_EQ(StatusCodeOf(other->Wait(absl::ZeroDuration()).status()),
            StatusCode::kShutdownStarted);
}

TEST_F(DrivenReactorTest, ShutdownClosesEveryStream) {
  const Client c = Connected();
  MessagePtr welcome = NewMessage(OpCode::kWelcomeRequest, 0, "");
  ASSERT_TRUE(welcome->AddTextHeader(kListenOnHeader, "uds|").ok());
  const BinaryHeader w = Post(std::move(welcome));
  Run();
  const NativeSocket listener = StreamOf(w.channel_number);
  reactor_->Shutdown();
  EXPECT_NE(sim_.Info(c.stream)->end, StreamInfo::End::kOpen);
  EXPECT_NE(sim_.Info(listener)->end, StreamInfo::End::kOpen);
  MessagePtr late = NewMessage(OpCode::kRequest, c.channel, "late");
  EXPECT_EQ(StatusCodeOf(reactor_->Post(*group_, late).status()),
            StatusCode::kShutdownStarted);
  EXPECT_NE(late, nullptr);  // the caller keeps it
}

}  // namespace
}  // namespace driven_testing
}  // namespace tofu
