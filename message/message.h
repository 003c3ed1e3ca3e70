#ifndef TOFU_MESSAGE_MESSAGE_H_
#define TOFU_MESSAGE_MESSAGE_H_

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "message/binary_header.h"
#include "message/buffer.h"
#include "message/text_headers.h"

namespace tofu {

class Message;

// How a message reached the application through a group's inbox. Set by the
// engine on the way in, never read from or written to the wire: a peer cannot
// make its frame look like anything but kFrame.
enum class Arrival : uint8_t {
  kNone,          // not delivered by an engine (new, or the application's)
  kFrame,         // a frame a peer sent
  kNotification,  // a Signal the engine made (channel_closed, pool_empty, ...)
  kReturned,      // the application's own message back, status = why
  kReceiverUpdate,  // UpdateReceiver's message (or its Signal)
};

// Where a message goes when its owner lets go of it (a MessagePool). Release is
// called from whichever thread drops the last MessagePtr, so implementations
// are thread-safe.
class MessageOwner {
 public:
  virtual void Release(Message* message) noexcept = 0;

 protected:
  ~MessageOwner() = default;
};

// Deleter of MessagePtr: hands the message back to its owner, or deletes it if
// it has none.
struct MessageReleaser {
  void operator()(Message* message) const noexcept;
};

// The only handle applications hold: dropping it returns the message to its
// pool, so a forgotten "put" cannot leak.
using MessagePtr = std::unique_ptr<Message, MessageReleaser>;

// A tofu message: binary header, text headers and body. Buffers keep their
// capacity across Reset(), which is what makes pooling pay. Not thread-safe:
// one thread owns a message at a time, and ownership moves with the MessagePtr.
class Message {
 public:
  Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // A new message owned by nobody (dropping it deletes it).
  static MessagePtr Create();

  BinaryHeader& header() { return header_; }
  const BinaryHeader& header() const { return header_; }
  Buffer& text_headers() { return text_headers_; }
  const Buffer& text_headers() const { return text_headers_; }
  Buffer& body() { return body_; }
  const Buffer& body() const { return body_; }

  // Appends a text header (see AppendTextHeader for the rules).
  absl::Status AddTextHeader(absl::string_view name, absl::string_view value);
  // The value of the first header named `name`.
  std::optional<absl::string_view> FindTextHeader(absl::string_view name) const;
  // Every text header in order, as name/value views into this message (valid
  // until its text headers change):
  //   for (const TextHeader& h : message->AllTextHeaders()) ...
  TextHeaderRange AllTextHeaders() const {
    return TextHeaderRange(text_headers_.view());
  }

  // How the message reached the application; kNone until an engine delivers
  // it. Reset and Clone give kNone.
  Arrival arrival() const { return arrival_; }
  void set_arrival(Arrival arrival) { arrival_ = arrival; }

  // Header zeroed, buffers emptied (capacity kept), arrival kNone.
  void Reset();

  // A copy of header, text headers and body, owned by nobody.
  MessagePtr Clone() const;

 private:
  friend struct MessageReleaser;
  friend class MessageQueue;
  friend class MessagePool;

  BinaryHeader header_;
  Buffer text_headers_;
  Buffer body_;
  Arrival arrival_ = Arrival::kNone;
  // Intrusive link for MessageQueue: a message sits in at most one queue.
  Message* next_ = nullptr;
  MessageOwner* owner_ = nullptr;
};

}  // namespace tofu

#endif  // TOFU_MESSAGE_MESSAGE_H_
