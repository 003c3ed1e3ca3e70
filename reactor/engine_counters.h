#ifndef TOFU_REACTOR_ENGINE_COUNTERS_H_
#define TOFU_REACTOR_ENGINE_COUNTERS_H_

#include <atomic>
#include <cstdint>

#include "pool/message_pool.h"

namespace tofu {

// A snapshot of an engine's counters (Engine::stats()). Every figure counts
// since the engine was created, except the gauges channels_open and pool.
// Fields are read one by one, so a snapshot taken while the engine works may
// mix moments (frames_in may already count a frame whose bytes bytes_in does
// not yet), but each field only grows, except the gauges.
struct EngineStats {
  // Channels with a number now: pending, connecting, connected and listeners.
  uint64_t channels_open = 0;
  // Connections a listener accepted and gave a channel.
  uint64_t connections_accepted = 0;
  // Connections a listener accepted and closed at once: no channel number
  // was free.
  uint64_t connections_refused = 0;
  // Complete frames received from peers and written to them.
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  // Bytes read from and written to sockets (headers and bodies).
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  // The application's messages that came back unsent (status = why), a
  // successful WelcomeResponse not included.
  uint64_t messages_returned = 0;
  // Channels closed because the peer broke the protocol (an invalid frame).
  uint64_t protocol_violations = 0;
  // Channels and accepted connections closed by a deadline (bye, handshake or
  // frame timeout).
  uint64_t timeouts = 0;
  // The message pool's own figures.
  PoolStats pool;
};

// The engine's counters: relaxed atomics, bumped by whichever thread runs the
// engine's loop (the I/O thread, or a posting thread on the inline path) and
// read by any thread without a lock (Post bumps a few from application
// threads too).
class EngineCounters {
 public:
  void ChannelOpened() { Add(channels_opened_, 1); }
  void ChannelClosed() { Add(channels_closed_, 1); }
  void ConnectionAccepted() { Add(accepted_, 1); }
  void ConnectionRefused() { Add(refused_, 1); }
  // The per-frame counters are bumped only by the thread running the loop,
  // which holds the reactor's io_mu_: one writer at a time, so a plain load
  // and store do, without a locked add on the hot path.
  void FrameIn() { Bump(frames_in_, 1); }
  void FramesOut(uint64_t n) { Bump(frames_out_, n); }
  void BytesIn(uint64_t n) { Bump(bytes_in_, n); }
  void BytesOut(uint64_t n) { Bump(bytes_out_, n); }
  void MessageReturned() { Add(returned_, 1); }
  void ProtocolViolation() { Add(protocol_violations_, 1); }
  void Timeout() { Add(timeouts_, 1); }

  // Everything but `pool`, which the caller fills in.
  EngineStats Snapshot() const {
    EngineStats s;
    // Closed first: a channel opened and closed meanwhile never makes the
    // gauge negative.
    const uint64_t closed = Load(channels_closed_);
    const uint64_t opened = Load(channels_opened_);
    s.channels_open = opened >= closed ? opened - closed : 0;
    s.connections_accepted = Load(accepted_);
    s.connections_refused = Load(refused_);
    s.frames_in = Load(frames_in_);
    s.frames_out = Load(frames_out_);
    s.bytes_in = Load(bytes_in_);
    s.bytes_out = Load(bytes_out_);
    s.messages_returned = Load(returned_);
    s.protocol_violations = Load(protocol_violations_);
    s.timeouts = Load(timeouts_);
    return s;
  }

 private:
  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  static void Bump(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n,
                  std::memory_order_relaxed);
  }
  static uint64_t Load(const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  }

  std::atomic<uint64_t> channels_opened_{0};
  std::atomic<uint64_t> channels_closed_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> frames_in_{0};
  std::atomic<uint64_t> frames_out_{0};
  std::atomic<uint64_t> bytes_in_{0};
  std::atomic<uint64_t> bytes_out_{0};
  std::atomic<uint64_t> returned_{0};
  std::atomic<uint64_t> protocol_violations_{0};
  std::atomic<uint64_t> timeouts_{0};
};

}  // namespace tofu

#endif  // TOFU_REACTOR_ENGINE_COUNTERS_H_
