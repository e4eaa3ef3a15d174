// MLLP as a codec of the event loop: the Framer decodes, each frame (or
// oversized frame's head) goes to the FrameHandler with its Reply, and a
// reply is framed as <0x0B> payload <0x1C><0x0D>.
#include <exception>

#include "adapters/mllp/codec.h"
#include "adapters/mllp/event_loop.h"
#include "adapters/mllp/framer.h"

namespace gw::mllp::internal {
namespace {

class MllpCodec final : public Codec {
 public:
  MllpCodec(const ServerOptions& options, FrameHandler* handler)
      : framer_(options.max_frame_bytes),
        frame_timeout_(options.frame_timeout),
        handler_(handler) {}

  size_t feed(std::string_view data, ConnectionSink& sink) override {
    Visitor v{this, &sink};
    const uint64_t skipped_before = framer_.bytes_skipped();
    const size_t used = framer_.feed(data, v);
    const uint64_t skipped = framer_.bytes_skipped() - skipped_before;
    if (skipped != 0) LoopCounters::bump(sink.counters().skipped, skipped);
    return used;
  }
  Phase phase() const override { return framer_.in_frame() ? Phase::kHead : Phase::kIdle; }
  size_t buffered_bytes() const override { return framer_.held_bytes(); }
  std::chrono::milliseconds phase_timeout(Phase) const override { return frame_timeout_; }
  void encode(std::string* out, const std::string& payload) const override {
    out->reserve(out->size() + payload.size() + 3);
    out->push_back(kStartBlock);
    out->append(payload);
    out->push_back(kEndBlock);
    out->push_back(kCarriageReturn);
  }

 private:
  struct Visitor {
    MllpCodec* codec;
    ConnectionSink* sink;
    bool on_frame(std::string&& payload) {
      return codec->dispatch(*sink, std::move(payload), false);
    }
    bool on_oversized(std::string&& head) { return codec->dispatch(*sink, std::move(head), true); }
  };

  bool dispatch(ConnectionSink& sink, std::string&& payload, bool oversized) {
    LoopCounters::bump(oversized ? sink.counters().oversized : sink.counters().frames);
    Reply reply = sink.next_reply();
    // A handler that throws must not take down the loop serving every other
    // connection: its Reply is destroyed during unwinding, which counts as
    // none(), and the connection carries on.
    try {
      if (oversized) {
        handler_->on_oversized(sink.peer(), std::move(payload), std::move(reply));
      } else {
        handler_->on_frame(sink.peer(), std::move(payload), std::move(reply));
      }
    } catch (...) {
    }
    // The handler may have replied inline (apply() ran), freeing the slot.
    return sink.may_continue();
  }

  Framer framer_;
  const std::chrono::milliseconds frame_timeout_;
  FrameHandler* const handler_;
};

class MllpCodecs final : public CodecFactory {
 public:
  MllpCodecs(const ServerOptions& options, FrameHandler* handler)
      : options_(options), handler_(handler) {}
  std::unique_ptr<Codec> create() override {
    return std::make_unique<MllpCodec>(options_, handler_);
  }

 private:
  const ServerOptions& options_;
  FrameHandler* const handler_;
};

}  // namespace

std::unique_ptr<CodecFactory> mllp_codecs(const ServerOptions& options, FrameHandler* handler) {
  return std::make_unique<MllpCodecs>(options, handler);
}

}  // namespace gw::mllp::internal
