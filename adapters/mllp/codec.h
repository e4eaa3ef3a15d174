// Internal to the event loop (event_loop.h) and the protocols served on it:
// the per-connection codec that turns a connection's bytes into units (an
// MLLP frame, an HTTP request) and a unit's reply into bytes. The loop owns
// sockets, TLS, timers, reply order and limits; the codec owns the protocol.
// MLLP's codec (the Framer) is the default; adapters/http has the other.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/mllp/server.h"

namespace gw::mllp::internal {

struct LoopCounters;

// The loop's side of one feed() call, for one connection.
class ConnectionSink {
 public:
  virtual const PeerInfo& peer() const = 0;
  // Reserves the next place in the connection's reply order (one per unit,
  // or for an interim answer such as HTTP's 100 Continue) and returns the
  // Reply that fills it. Completing it inline (on the loop thread) is fine.
  virtual Reply next_reply() = 0;
  // False once the loop will not take another unit now (in-flight limit,
  // output high-water, a close requested): the codec stops feeding and
  // returns the bytes it used; the loop feeds the rest later.
  virtual bool may_continue() const = 0;
  // The loop's counters (loop thread only).
  virtual LoopCounters& counters() = 0;

 protected:
  ~ConnectionSink() = default;
};

class Codec {
 public:
  // Where the connection is in its current unit. A phase's clock starts when
  // the codec enters it (or a unit completes and the next one is under way).
  enum class Phase : uint8_t {
    kIdle,  // between units: held by the idle timeout
    kHead,  // a unit has begun (MLLP: inside a frame; HTTP: the request head)
    kBody,  // HTTP: the body after a complete head
  };

  virtual ~Codec() = default;
  // Decodes `data`, handing complete units to the protocol's handler through
  // replies from `sink`. Returns the bytes consumed: all of them unless
  // sink.may_continue() turned false.
  virtual size_t feed(std::string_view data, ConnectionSink& sink) = 0;
  virtual Phase phase() const = 0;
  // Input held inside the codec (a partial frame or request).
  virtual size_t buffered_bytes() const = 0;
  // How long the connection may stay in `phase` (not kIdle) while the loop
  // is reading.
  virtual std::chrono::milliseconds phase_timeout(Phase phase) const = 0;
  // Appends one reply's bytes to the connection's output.
  virtual void encode(std::string* out, const std::string& payload) const = 0;
  // Sent (then the connection closes) when a phase timed out; empty: just close.
  virtual std::string timeout_reply() const { return {}; }
};

// Makes the codec of each accepted connection (on a loop thread; shared by
// the loops of a server, so it must be thread safe).
class CodecFactory {
 public:
  virtual ~CodecFactory() = default;
  virtual std::unique_ptr<Codec> create() = 0;
};

// MLLP (mllp_codec.cc): frames of at most options.max_frame_bytes, held to
// options.frame_timeout, go to `handler` (which must outlive the factory).
std::unique_ptr<CodecFactory> mllp_codecs(const ServerOptions& options, FrameHandler* handler);

// A Server (listener, io_threads loops, TLS, stats) whose connections speak
// `codecs`' protocol (which must outlive it). As Server::create otherwise.
gw::Result<std::unique_ptr<Server>> create_server(const ServerOptions& options,
                                                  CodecFactory* codecs);

}  // namespace gw::mllp::internal
