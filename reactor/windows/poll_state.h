#ifndef TOFU_REACTOR_WINDOWS_POLL_STATE_H_
#define TOFU_REACTOR_WINDOWS_POLL_STATE_H_

// The per-socket AFD poll state machine of the Windows poller (docs/windows.md,
// Design), kept free of system calls and Windows headers so that it builds, is
// unit-tested and is fuzzed on every platform. The system is reached through
// PollDriver; on Windows that is NtDeviceIoControlFile(IOCTL_AFD_POLL) and
// NtCancelIoFileEx, in tests and fuzzers a fake.
//
// Transition table (status x event -> action / new status):
//
//   IDLE       Submit() with a live, non-empty interest
//                -> driver.Submit(AfdEventsForInterest(interest)):
//                   PENDING or SUCCESS -> PENDING (a packet will follow);
//                   INVALID_HANDLE     -> IDLE, ended (the socket is closed);
//                   other              -> IDLE (no packet; the next pass
//                                         tries again).
//   PENDING    SetInterest(i) with i within the pending poll's interest
//                -> keep the poll; its result is filtered by i.
//   PENDING    SetInterest(i) adding bits
//                -> driver.Cancel(): SUCCESS or NOT_FOUND -> CANCELLED (the
//                   packet is still to come: cancelled, or completed before
//                   the cancel took hold); other -> stay PENDING, and the next
//                   Submit() pass retries the cancel.
//   CANCELLED  SetInterest, Submit
//                -> nothing: wait for the packet.
//   PENDING or CANCELLED, packet dequeued (OnCompletion) -> IDLE, then:
//                delete_pending              -> free the object, no event;
//                STATUS_CANCELLED            -> no event;
//                STATUS_INVALID_HANDLE       -> ended;
//                other failure status        -> error;
//                NumberOfHandles == 0        -> no event;
//                AFD_POLL_LOCAL_CLOSE        -> ended;
//                otherwise                   -> the events, filtered by the
//                                               current interest.
//              A live socket with a non-empty interest then wants a Submit().
//   any        Unregister()
//                -> delete_pending; if PENDING, cancel (as above; a failed
//                   cancel is retried by the next Submit() pass); if IDLE,
//                   the owner frees the object now, otherwise when the final
//                   packet is dequeued.
//
// "Ended" means the socket is gone (closed behind the poller's back, or its
// handle is invalid): no poll is outstanding and none will be submitted again,
// and no event is reported for it any more.

#include <cstdint>

namespace tofu::afd {

// AFD_POLL_* event bits (docs/windows.md, Design).
inline constexpr uint32_t kPollReceive = 0x0001;
inline constexpr uint32_t kPollReceiveExpedited = 0x0002;
inline constexpr uint32_t kPollSend = 0x0004;
inline constexpr uint32_t kPollDisconnect = 0x0008;
inline constexpr uint32_t kPollAbort = 0x0010;
inline constexpr uint32_t kPollLocalClose = 0x0020;
// Reported on every poll while connected: never requested (docs/windows.md,
// Design).
inline constexpr uint32_t kPollConnect = 0x0040;
inline constexpr uint32_t kPollAccept = 0x0080;
inline constexpr uint32_t kPollConnectFail = 0x0100;
inline constexpr uint32_t kPollQos = 0x0200;
inline constexpr uint32_t kPollGroupQos = 0x0400;
inline constexpr uint32_t kPollAllEvents = 0x07FF;

// The NTSTATUS values the machine tells apart.
inline constexpr uint32_t kStatusSuccess = 0x00000000;
inline constexpr uint32_t kStatusPending = 0x00000103;
inline constexpr uint32_t kStatusCancelled = 0xC0000120;
inline constexpr uint32_t kStatusNotFound = 0xC0000225;
inline constexpr uint32_t kStatusInvalidHandle = 0xC0000008;

// NT_SUCCESS: severity success or informational (the top bit clear).
constexpr bool NtSuccess(uint32_t status) { return (status >> 31) == 0; }

// Interest bits, with the values of tofu::kInterestRead and
// tofu::kInterestWrite (reactor/poller.h). They are repeated here so that this
// unit does not depend on the Linux-only socket layer; the Windows poller
// static_asserts that the two agree.
inline constexpr uint32_t kInterestRead = 1;
inline constexpr uint32_t kInterestWrite = 2;

// The AFD events to request for `interest` (as wepoll does): read asks for
// RECEIVE, ACCEPT and DISCONNECT; write for SEND (which is also how an
// outbound connect succeeds); ABORT, CONNECT_FAIL and LOCAL_CLOSE are always
// asked for, so hang-ups, failed connects and local closes are always seen.
// CONNECT is never asked for.
uint32_t AfdEventsForInterest(uint32_t interest);

// What a completion tells the reactor, in the terms of tofu::PollEvent.
struct Readiness {
  bool readable = false;
  bool writable = false;
  // Hang-up, reset, failed connect, or a failed poll: reading (or finishing
  // the connect) tells what happened.
  bool error = false;

  bool any() const { return readable || writable || error; }
  friend bool operator==(const Readiness&, const Readiness&) = default;
};

// Maps reported AFD events to readiness, filtered by `interest`:
// RECEIVE, ACCEPT and DISCONNECT are readable; SEND is writable; ABORT is an
// error; CONNECT_FAIL is an error and both readable and writable (what Linux
// reports for a failed connect). Nothing is reported for an empty interest.
// LOCAL_CLOSE and CONNECT map to nothing.
Readiness ReadinessFromAfdEvents(uint32_t afd_events, uint32_t interest);

// The seam to the system, bound to one socket's poll: each PollState call is
// handed the driver of its own socket, so the driver knows which poll it acts
// on without being told (and without casting the PollState to anything). The
// Windows poller binds NtDeviceIoControlFile and NtCancelIoFileEx to the
// IO_STATUS_BLOCK and AFD_POLL_INFO of the socket's PolledSocket
// (reactor/windows/afd_system.h); tests and fuzzers use fakes. Called only
// from inside PollState's methods, so under AfdPollSet's lock.
class PollDriver {
 public:
  virtual ~PollDriver() = default;

  // Issues one AFD poll for `afd_events` on the bound socket. Returns an
  // NTSTATUS: kStatusPending or kStatusSuccess when a completion packet will
  // follow (SUCCESS means it completed at once; the packet still comes, since
  // no skip-on-success mode is set); kStatusInvalidHandle when the socket is
  // already closed (no packet); anything else is a failure with no packet.
  virtual uint32_t Submit(uint32_t afd_events) = 0;

  // Cancels the outstanding poll of the bound socket. Returns kStatusSuccess
  // (the packet follows, usually with STATUS_CANCELLED, possibly with events
  // that fired first), kStatusNotFound (the poll had already completed; its
  // packet follows), or another status (the cancel failed; the poll stays
  // outstanding). An implementation may skip the system call and answer
  // kStatusNotFound when its IO_STATUS_BLOCK no longer reads STATUS_PENDING.
  virtual uint32_t Cancel() = 0;
};

// One socket's AFD poll: at most one outstanding poll, its lifetime, and the
// translation of its completions. The owner (afd::PolledSocket) holds it in a
// heap object at a fixed address, together with the kernel-visible
// IO_STATUS_BLOCK and AFD_POLL_INFO, and frees that object only when
// Unregister() or OnCompletion() says so: until the final packet is dequeued,
// the kernel may still write to it. Not thread-safe: AfdPollSet makes every
// call under its lock.
class PollState {
 public:
  enum class Status {
    kIdle,       // no poll outstanding
    kPending,    // one poll outstanding
    kCancelled,  // one poll outstanding, cancel requested: wait for its packet
  };

  struct SubmitResult {
    enum class Kind {
      kNothing,          // nothing to do (see WantsSubmit)
      kSubmitted,        // a poll is now outstanding
      kCancelRequested,  // an earlier failed cancel was retried and succeeded
      kEnded,            // the socket is gone (STATUS_INVALID_HANDLE)
      kFailed,           // the driver failed with `status`; nothing changed,
                         // the next pass tries again
    };
    Kind kind = Kind::kNothing;
    // The driver's NTSTATUS (kStatusSuccess when it was not called).
    uint32_t status = kStatusSuccess;
  };

  struct CompletionResult {
    // What to report for this socket (empty if nothing).
    Readiness readiness;
    // The socket is gone (LOCAL_CLOSE or STATUS_INVALID_HANDLE). The owner
    // may free the object now or at Unregister (which then returns true).
    bool ended = false;
    // This was the final packet of an unregistered socket: the owner frees the
    // object now and touches it no more. Nothing else is set.
    bool free_now = false;
  };

  PollState() = default;
  // Fixed address: the kernel holds pointers into the owning object.
  PollState(const PollState&) = delete;
  PollState& operator=(const PollState&) = delete;

  // Sets what the socket is watched for (kInterestRead | kInterestWrite). A
  // narrower or equal interest keeps a pending poll and filters its result; a
  // wider one cancels it, and the next Submit() after its packet asks for the
  // new interest. Ignored once ended or unregistered. Returns the cancel's
  // NTSTATUS if it failed (the poll is then still pending, and the next
  // Submit() retries), kStatusSuccess otherwise.
  uint32_t SetInterest(uint32_t interest, PollDriver& driver);

  // True when Submit() has something to do: the socket is idle, live, not
  // unregistered and interested in something, or a cancel (for a wider
  // interest, or by Unregister) failed and is to be retried. The poller calls
  // Submit() for such sockets just before it waits (lazy re-arm).
  bool WantsSubmit() const;

  // Re-arms the socket (see WantsSubmit); does nothing otherwise.
  SubmitResult Submit(PollDriver& driver);

  // Feeds the completion packet of the outstanding poll: the IO_STATUS_BLOCK
  // status, and the AFD_POLL_INFO's NumberOfHandles and Handles[0].Events.
  // Must only be called while a poll is outstanding (kPending or kCancelled).
  CompletionResult OnCompletion(uint32_t iosb_status,
                                uint32_t number_of_handles,
                                uint32_t afd_events);

  // Removes the socket from the poller; call it before closing the socket.
  // Cancels a pending poll. Returns true if the owner may free the object now
  // (no poll outstanding); false if it must wait for OnCompletion's free_now.
  // No event is reported for the socket afterwards. Call it once.
  bool Unregister(PollDriver& driver);

  Status status() const { return status_; }
  uint32_t interest() const { return interest_; }
  // The interest the outstanding poll was submitted for (0 when idle or
  // cancelled).
  uint32_t pending_interest() const { return pending_interest_; }
  bool delete_pending() const { return delete_pending_; }
  bool ended() const { return ended_; }

 private:
  // A pending poll whose interest does not cover the current one.
  bool NeedsCancel() const;
  // Requests the cancel of the pending poll; returns the failure status, or
  // kStatusSuccess.
  uint32_t CancelPending(PollDriver& driver);

  Status status_ = Status::kIdle;
  uint32_t interest_ = 0;
  uint32_t pending_interest_ = 0;
  bool delete_pending_ = false;
  bool ended_ = false;
};

}  // namespace tofu::afd

#endif  // TOFU_REACTOR_WINDOWS_POLL_STATE_H_
