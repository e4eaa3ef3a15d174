// Streaming MLLP frame reassembly, independent of sockets so it can be unit
// tested and fuzzed. Feed it bytes as they arrive; it reports complete frames.
//
//   <0x0B> payload <0x1C><0x0D>
//
// Bytes outside a frame (before a start byte) are skipped and counted. A frame
// longer than max_frame_bytes is reported once as oversized with its head (its
// first min(kOversizedHeadBytes, max_frame_bytes + 1) bytes) and its remaining
// bytes are discarded up to the end marker. Events do not depend on how the
// input is split into feed() calls. A start byte
// inside a frame restarts the frame (the earlier partial payload is counted as
// skipped), which is how common engines resynchronize after a broken sender;
// this holds while an oversized frame is being discarded too, so a sender that
// never terminates an oversized frame is resynchronized by its next frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw::mllp {

inline constexpr char kStartBlock = 0x0B;
inline constexpr char kEndBlock = 0x1C;
inline constexpr char kCarriageReturn = 0x0D;

// Wraps payload as one MLLP frame.
std::string frame(std::string_view payload);

class Framer {
 public:
  static constexpr size_t kOversizedHeadBytes = 4096;
  explicit Framer(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Events are delivered through a visitor with these members:
  //   void on_frame(std::string&& payload);
  //   void on_oversized(std::string&& head);
  // Either member may instead return bool: false stops feeding right after
  // that event, so a caller enforcing a limit on frames in flight (the server)
  // does not have to accept every frame packed into one read. Returns the
  // number of bytes of `data` consumed: data.size() unless a visitor member
  // returned false; the caller feeds the rest later. The visitor must not call
  // feed() on the same Framer re-entrantly.
  template <typename Visitor>
  size_t feed(std::string_view data, Visitor& v);

  // Bytes outside any frame, plus the bytes (start byte included) of frames
  // abandoned because a new start byte arrived before their end marker.
  // Bytes discarded from oversized frames are not counted here.
  uint64_t bytes_skipped() const { return bytes_skipped_; }
  bool in_frame() const { return state_ != State::kIdle; }
  size_t buffered_bytes() const { return payload_.size(); }
  // Heap bytes held for the frame in progress (its buffer's capacity, which
  // a frame abandoned for a new start byte keeps): what a memory budget
  // charges. 0 outside a frame.
  size_t held_bytes() const {
    return payload_.capacity() > std::string().capacity() ? payload_.capacity() : 0;
  }

 private:
  enum class State { kIdle, kPayload, kSawEnd, kDiscarding, kDiscardSawEnd };
  // Appends [p, p+n) to the payload, or, if that would pass max_frame_bytes_,
  // reports the frame as oversized and switches to kDiscarding. Returns false
  // if the visitor asked to stop.
  template <typename Visitor>
  bool append(const char* p, size_t n, Visitor& v);
  size_t max_frame_bytes_;
  State state_ = State::kIdle;
  std::string payload_;
  size_t discarded_ = 0;
  uint64_t bytes_skipped_ = 0;
};

}  // namespace gw::mllp

#include "adapters/mllp/framer_inl.h"
