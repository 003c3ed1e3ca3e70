// A listener that cannot accept (the process is out of descriptors) reports
// accept_failed once, stops watching the socket instead of spinning on it, and
// accepts the waiting connections once a descriptor is free again.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <vector>

#include "gtest/gtest.h"
#include "tofu/testing/scenarios.h"

namespace tofu::scenario {
namespace {

// Lowers the soft descriptor limit for one test and restores it after.
class LowDescriptorLimit {
 public:
  explicit LowDescriptorLimit(rlim_t headroom) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lower = saved_;
    lower.rlim_cur =
        static_cast<rlim_t>(HighestOpenDescriptor() + 1) + headroom;
    ::setrlimit(RLIMIT_NOFILE, &lower);
  }
  ~LowDescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  static int HighestOpenDescriptor() {
    int highest = 0;
    for (int fd = 0; fd < 65536; ++fd) {
      if (::fcntl(fd, F_GETFD) != -1) highest = fd;
    }
    return highest;
  }
  rlimit saved_{};
};

// How the listener gets going again once descriptors come back.
enum class Resume {
  kChannelCloses,  // a channel closes: the listener is retried at once
  kRetryDelay,     // nothing else happens: it is retried after a delay
};

void ExpectAcceptFailureReportedOnceThenResumed(Options server_options,
                                                Resume resume) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
  GTEST_SKIP() << "under TSan: with no descriptors left TSan cannot start its "
                  "symbolizer, so the suppression of abseil's known false "
                  "positive (tools/sanitizers/tsan_run.sh) cannot match";
#endif
#endif
  Env server = NewEnv(server_options);
  Env client = NewEnv();
  Listener l = Listen(server, Transport::kTcp);
  Connection first = Handshake(server, client, l);
  ASSERT_NE(first.server, 0);

  // One: a second client socket could lose its descriptor to the accept.
  constexpr int kClients = 1;
  LowDescriptorLimit limit(/*headroom=*/64);
  // Take every free descriptor but the clients' sockets, so the server's
  // accept finds none.
  std::vector<int> fillers;
  for (int i = 0; i < 1000; ++i) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  ASSERT_GE(fillers.size(), static_cast<size_t>(kClients));
  for (int i = 0; i < kClients; ++i) {
    ::close(fillers.back());
    fillers.pop_back();
  }
  for (int i = 0; i < kClients; ++i) Connect(client, l.address);

  MessagePtr failed = Next(*server.group);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->header().op_code, OpCode::kSignal);
  EXPECT_EQ(failed->header().status, StatusCode::kAcceptFailed)
      << StatusCodeName(failed->header().status);
  EXPECT_EQ(failed->header().channel_number, l.channel);

  // Descriptors come back: the listener resumes and the waiting connections
  // are accepted; accept_failed was said only once.
  for (int fd : fillers) ::close(fd);
  if (resume == Resume::kChannelCloses) Abort(server, first.server);
  int hellos = 0;
  while (hellos < kClients) {
    MessagePtr m = Next(*server.group);
    ASSERT_NE(m, nullptr);
    ASSERT_NE(m->header().status, StatusCode::kAcceptFailed);
    if (m->header().op_code == OpCode::kHelloRequest) ++hellos;
  }
}

TEST(Engine, AcceptFailureIsReportedOnceAndResumes) {
  ExpectAcceptFailureReportedOnceThenResumed(Options(), Resume::kChannelCloses);
}

// With nothing else going on, the listener is retried after a delay, also
// while the I/O thread polls without sleeping the whole time.
TEST(Engine, PausedListenerIsRetriedWhileTheIoThreadSpins) {
  ExpectAcceptFailureReportedOnceThenResumed(
      Options{.io_spin = absl::Seconds(30)}, Resume::kRetryDelay);
}

}  // namespace
}  // namespace tofu::scenario
