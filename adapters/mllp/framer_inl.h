// Template implementation of Framer::feed. Included by framer.h only.
//
// Cost model: bytes inside a frame are located with memchr (two passes at most
// over each span: one for the end byte, one for a start byte before it) and
// copied once into the payload; the completed payload is moved, not copied, to
// the visitor. Memory held is bounded by max_frame_bytes_ (plus at most
// kOversizedHeadBytes while an oversized event is built), whatever the peer
// sends.
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

namespace gw::mllp {

namespace framer_internal {

// Calls f(); a void result means "continue".
template <typename F>
inline bool call_continues(F&& f) {
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    return true;
  } else {
    return static_cast<bool>(f());
  }
}

inline const char* find(const char* p, const char* end, char c) {
  return static_cast<const char*>(std::memchr(p, c, static_cast<size_t>(end - p)));
}

}  // namespace framer_internal

template <typename Visitor>
bool Framer::append(const char* p, size_t n, Visitor& v) {
  if (n <= max_frame_bytes_ && payload_.size() <= max_frame_bytes_ - n) {
    payload_.append(p, n);
    return true;
  }
  // Oversized. Keep only the head; release the buffer (it may be as large as
  // max_frame_bytes_) before calling out. The head's length does not depend
  // on how the input was split: this point is reached as soon as the frame
  // passes max_frame_bytes_, so at least head_bytes are available.
  const size_t head_bytes =
      max_frame_bytes_ < kOversizedHeadBytes ? max_frame_bytes_ + 1 : kOversizedHeadBytes;
  std::string head;
  size_t from_payload = std::min(payload_.size(), head_bytes);
  size_t from_input = std::min(n, head_bytes - from_payload);
  head.reserve(from_payload + from_input);
  head.append(payload_, 0, from_payload);
  head.append(p, from_input);
  discarded_ = payload_.size() + n - head.size();
  std::string().swap(payload_);
  state_ = State::kDiscarding;
  return framer_internal::call_continues([&] { return v.on_oversized(std::move(head)); });
}

template <typename Visitor>
size_t Framer::feed(std::string_view data, Visitor& v) {
  using framer_internal::find;
  const char* const begin = data.data();
  const char* const end = begin + data.size();
  const char* p = begin;
  while (p < end) {
    switch (state_) {
      case State::kIdle: {
        const char* s = find(p, end, kStartBlock);
        if (s == nullptr) {
          bytes_skipped_ += static_cast<uint64_t>(end - p);
          return data.size();
        }
        bytes_skipped_ += static_cast<uint64_t>(s - p);
        p = s + 1;
        payload_.clear();
        state_ = State::kPayload;
        break;
      }
      case State::kPayload: {
        const char* e = find(p, end, kEndBlock);
        const char* limit = e != nullptr ? e : end;
        const char* s = find(p, limit, kStartBlock);
        const char* stop = s != nullptr ? s : limit;
        // Appended even when a start byte follows, so that the size limit
        // trips at the same byte however the input was split into reads.
        if (!append(p, static_cast<size_t>(stop - p), v)) {
          return static_cast<size_t>(stop - begin);
        }
        if (state_ == State::kDiscarding) {
          p = stop;  // the start or end byte (if any) is handled by kDiscarding
          break;
        }
        if (s != nullptr) {
          // A new frame starts before this one ended: abandon this one.
          bytes_skipped_ += payload_.size() + 1;
          payload_.clear();
          p = s + 1;
          break;
        }
        if (e == nullptr) return data.size();
        p = e + 1;
        state_ = State::kSawEnd;
        break;
      }
      case State::kSawEnd: {
        const char c = *p;
        if (c == kCarriageReturn) {
          ++p;
          state_ = State::kIdle;
          std::string payload = std::move(payload_);
          payload_.clear();
          if (!framer_internal::call_continues([&] { return v.on_frame(std::move(payload)); })) {
            return static_cast<size_t>(p - begin);
          }
        } else if (c == kStartBlock) {
          bytes_skipped_ += payload_.size() + 2;  // start byte, payload, 0x1C
          payload_.clear();
          ++p;
          state_ = State::kPayload;
        } else {
          // The 0x1C was payload after all.
          const char end_byte = kEndBlock;
          if (!append(&end_byte, 1, v)) return static_cast<size_t>(p - begin);
          if (state_ == State::kDiscarding) break;  // c is handled by kDiscarding
          if (c == kEndBlock) {
            ++p;  // this one may be the real end marker; stay in kSawEnd
          } else {
            state_ = State::kPayload;
          }
        }
        break;
      }
      case State::kDiscarding: {
        const char* e = find(p, end, kEndBlock);
        const char* limit = e != nullptr ? e : end;
        const char* s = find(p, limit, kStartBlock);
        if (s != nullptr) {
          discarded_ += static_cast<size_t>(s - p);
          p = s + 1;
          payload_.clear();
          state_ = State::kPayload;
          break;
        }
        discarded_ += static_cast<size_t>(limit - p);
        if (e == nullptr) return data.size();
        p = e + 1;
        state_ = State::kDiscardSawEnd;
        break;
      }
      case State::kDiscardSawEnd: {
        const char c = *p++;
        if (c == kCarriageReturn) {
          state_ = State::kIdle;
        } else if (c == kStartBlock) {
          payload_.clear();
          state_ = State::kPayload;
        } else if (c != kEndBlock) {
          ++discarded_;
          state_ = State::kDiscarding;
        }
        break;
      }
    }
  }
  return data.size();
}

}  // namespace gw::mllp
