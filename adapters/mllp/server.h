// MLLP server: an epoll event loop that accepts many connections (thousands
// held open), reassembles MLLP frames (0x0B ... 0x1C 0x0D) across TCP reads,
// and hands each complete frame to a FrameHandler. The handler answers
// asynchronously, from any thread, through the Reply it is given; the server
// writes replies on each connection in the order the frames arrived, even when
// the handler completes them out of order (HL7 senders may pipeline).
//
// Threat model: every peer is hostile. Frame size, connection count, in-flight
// frames per connection and idle time are bounded by ServerOptions; a peer that
// exceeds them is answered (where a frame head is available) or disconnected,
// never allowed to grow memory without bound.
//
// TLS (ServerOptions::tls, OpenSSL, non-blocking): the same loop, with the
// socket's bytes going through an SSL object instead of recv/send. The threat
// notes for it:
//  - A handshake is not a frame, but it is held to the frame and idle timers:
//    a peer that opens TCP and never finishes the handshake (or trickles it)
//    is closed min(frame_timeout, idle_timeout) after the accept, and counts
//    against max_connections meanwhile like any connection.
//  - Only TLS 1.2 and later, OpenSSL's default ciphers, no compression (CRIME)
//    and no renegotiation (a peer cannot make the server redo handshakes).
//  - Client certificates: with a client CA the chain must verify against it;
//    with SHA-256 pins the leaf must also be one of them (without a CA the pin
//    alone decides, validity dates still checked). Refusal happens inside the
//    handshake, before any frame is read; the refused connection then
//    lingers (at most 2 s, as after send_and_close) so that the peer gets the
//    alert rather than a reset.
//  - A failure is counted in ServerStats and reported through
//    ServerOptions::on_tls_failure with the peer's address and OpenSSL's
//    reason only (never bytes from the connection), rate-limited per loop so a
//    peer reconnecting in a loop cannot flood the log.
//  - The plaintext path is unchanged: a connection without TLS has no SSL
//    object and its reads and writes are the same recv/send calls.
//  - Nothing new to fuzz: OpenSSL parses the TLS records, the decrypted bytes
//    go to the same Framer (framer_fuzz), and the certificate pins come from
//    the configuration (config_fuzz covers its parser).
//
// Memory across connections (ServerOptions::input_budget, one InputBudget
// shared by every server of the process). The per-connection bounds multiply
// (max_connections x max_frame_bytes is 4 GiB by default), so a peer holding
// many unfinished frames open could take the host's memory. The threat notes:
//  - What is charged: each connection's buffered input, i.e. its framer's
//    buffer (its capacity: what the allocator holds, not the bytes in it) plus
//    input read but held back by the in-flight limit (held_input() in
//    event_loop.cc). A frame handed to the handler is no longer charged.
//  - Before each read a connection reserves one read chunk (64 KiB); when the
//    budget has no room it is paused: it leaves epoll's read set, so the
//    kernel's socket buffer fills and TCP flow control stops the sender.
//    Nothing is dropped and nothing is answered; a paused connection resumes
//    when budget is released (a frame completes, a connection closes): the
//    release wakes every loop with paused connections through its mailbox
//    (same latency as a reply posted by a worker), and each loop also retries
//    its paused connections on every sweep (at most 250 ms) in case a wake
//    raced with a pause. Paused connections resume in the order they paused.
//  - Honest short messages keep flowing while large partial frames hold the
//    budget: a connection that holds nothing may always read one small chunk
//    (16 KiB) outside the budget. A message that fits in it is framed and
//    handed over within that read and ends up holding nothing; a partial
//    frame left by it is charged (over the limit) and the connection then
//    waits like the others.
//  - No deadlock: when the budget is full of partial frames that each wait
//    for room only another's completion would free (more honest large
//    messages at once than the budget holds), one connection at a time (the
//    budget's overdraft, taken by the first paused connection that finds it
//    free) reads on past the limit until its frame is done, so frames keep
//    completing one after another. A paused connection holding a partial
//    frame keeps its frame timer (frame_timeout runs while it is not reading
//    as while it is), and so does the overdraft's holder, so an attacker's
//    half-frames are cut and their budget (and the overdraft) released.
//  - Bound: the memory held for input stays below about
//      limit + open connections x 16 KiB + (loops + 1) x 2 x max_frame_bytes
//    where loops counts the io threads of every server sharing the budget
//    (the small reads outside the budget; a read that makes a framer's
//    buffer double past its reservation, charged after the fact, which
//    stops further reads until released; and the overdraft's frame).
//  - Not charged: frames already handed to the handler (bounded per
//    connection by max_in_flight_per_connection; the handler's own queue
//    bounds them further), OpenSSL's record buffers (TLS), and the kernel's
//    socket buffers that backpressure fills (kernel memory, bounded by the
//    host's tcp_mem, not by this process).
//  - A paused connection is not read, so a peer that closes it (FIN) is
//    noticed when it resumes or at its frame timeout; until then it still
//    counts against max_connections and its address's cap. (A reset is
//    noticed at once: epoll reports errors without read interest.)
//  - Per-address connection caps (max_connections_per_address): one client
//    cannot take every slot of a channel; a connection over its address's cap
//    is closed at accept and counted, others are still accepted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"

namespace gw::mllp {

class InputBudget;  // input_budget.h

// MLLP over TLS on a listener. Files are PEM.
struct TlsServerOptions {
  std::string cert_file;  // the server certificate, optionally followed by its chain
  std::string key_file;   // its private key (must match cert_file)
  // Non-empty: clients must present a certificate that verifies against
  // these CA certificates (mutual TLS).
  std::string client_ca_file;
  // Non-empty: clients must present one of these certificates, named by the
  // SHA-256 of their DER encoding as 64 hex digits (colons allowed, any
  // case), after verification against client_ca_file when that is set too.
  std::vector<std::string> client_cert_sha256;
  // With client_ca_file and/or pins: ask for a client certificate but let a
  // client without one through (a certificate presented must still verify
  // and match). The FHIR endpoint uses this: clients with access tokens
  // present none.
  bool client_cert_optional = false;
  // OpenSSL cipher list for TLS 1.2 (TLS 1.3's suites are OpenSSL's
  // defaults); empty: OpenSSL's default list.
  std::string cipher_list;
};

// A TLS handshake that failed or timed out, or a TLS error on an established
// connection. Carries no bytes of the connection.
struct TlsFailure {
  uint64_t connection_id = 0;
  std::string address;  // the peer, "127.0.0.1:51234"
  bool during_handshake = true;
  std::string reason;  // OpenSSL's reason or ours, e.g. "certificate verify failed"
  // Failures on this loop that were not reported since the previous report
  // (reports are rate-limited).
  uint64_t suppressed = 0;
};

struct ServerOptions {
  std::string name = "mllp";         // channel name, used in logs and stats only
  std::string host = "127.0.0.1";    // numeric IPv4/IPv6 address to bind
  uint16_t port = 2575;              // 0 picks a free port (see Server::port())
  size_t max_frame_bytes = 1 << 20;  // larger frames are refused (see FrameHandler::on_oversized)
  // No frame bytes in and nothing out for this long (bytes outside frames do
  // not count: a peer trickling garbage is idle).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // A frame must end within this long of its start byte while the server is
  // reading: a peer trickling one frame slowly (slowloris) is disconnected.
  std::chrono::milliseconds frame_timeout{std::chrono::minutes(1)};
  size_t max_connections = 4096;             // further accepts are closed at once
  size_t max_in_flight_per_connection = 64;  // stop reading a connection beyond this
  // Connections from one peer IP (port ignored; counted across all loops)
  // at a time: further accepts from that address are closed at once and
  // counted (connections_refused_per_address). 0: no cap.
  size_t max_connections_per_address = 0;
  // Bounds the input held by all connections of every server given the same
  // object (see the threat notes above). Null: each connection is bounded by
  // max_frame_bytes only.
  std::shared_ptr<InputBudget> input_budget;
  int io_threads = 1;  // event loop threads (SO_REUSEPORT is not used)
  int listen_backlog = 1024;
  // The event loops' time source for every timer above and their own (stop
  // grace, send_and_close linger, accept pause). Empty: steady_clock::now.
  // Tests set a clock they advance by hand instead of sleeping for a timeout
  // to pass; it must be monotonic and callable from the loop threads. The
  // loops still wake by real time (at least every 250 ms), and that is when
  // they read it.
  std::function<std::chrono::steady_clock::time_point()> clock;
  // Empty: plain TCP. Set: every connection is TLS; the files are read by
  // Server::create (an error names the file that cannot be used).
  std::optional<TlsServerOptions> tls;
  // Called on a loop thread (must not block) for TLS failures, at most about
  // ten times a second per loop; empty: they are only counted.
  std::function<void(const TlsFailure&)> on_tls_failure;
};

// Per-connection and per-server counters; read with Server::stats().
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t connections_refused = 0;  // over max_connections
  uint64_t connections_idle_closed = 0;
  uint64_t connections_frame_timeout = 0;  // closed: a frame not finished within frame_timeout
  uint64_t frames_received = 0;            // handed to on_frame
  uint64_t frames_oversized = 0;           // handed to on_oversized (not in frames_received)
  uint64_t bytes_skipped = 0;              // garbage outside frames
  uint64_t replies_sent = 0;
  uint64_t tls_handshakes = 0;          // TLS handshakes completed
  uint64_t tls_handshake_failures = 0;  // failed, refused a certificate, or not done in time
  uint64_t tls_errors = 0;              // TLS errors after the handshake (connection closed)
  uint64_t connections_refused_per_address = 0;  // over max_connections_per_address
  // Reads refused because input_budget had no room (the connection stops
  // reading; a paused connection retried and still short counts again).
  uint64_t reads_paused = 0;
  uint64_t input_buffered_bytes = 0;  // input this server's connections hold now (charged)
};

// Identifies the peer of a frame for logs (never contains message content).
struct PeerInfo {
  uint64_t connection_id = 0;
  std::string address;  // "127.0.0.1:51234"
  // TLS with a client certificate that passed verification: its subject
  // (RFC 2253, at most 4 KiB) and the SHA-256 of its DER encoding (64
  // lowercase hex digits). Empty on plain TCP or without a certificate.
  std::string cert_subject;
  std::string cert_sha256;
};

// Completes one frame. Exactly one of send()/none() should be called, once,
// from any thread; later calls are ignored, and a Reply destroyed without
// either counts as none(). If the connection has closed meanwhile (or the
// server has stopped or been destroyed) the reply is discarded. Move-only.
class Reply {
 public:
  Reply() = default;
  Reply(Reply&&) noexcept;
  Reply& operator=(Reply&&) noexcept;
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply();

  // Send `payload` framed as MLLP (the server adds 0x0B and 0x1C 0x0D).
  void send(std::string payload);
  // Send nothing for this frame (e.g. enhanced-mode accept ack NE) but release
  // its place in the connection's reply order.
  void none();
  // Send `payload` (if any) and then close the connection.
  void send_and_close(std::optional<std::string> payload);

  struct State;  // implementation detail
  explicit Reply(std::shared_ptr<State> s) : state_(std::move(s)) {}

 private:
  std::shared_ptr<State> state_;
};

class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  // A complete frame's payload (without 0x0B / 0x1C 0x0D). Called on an event
  // loop thread: must not block (hand slow work to another thread and reply
  // later). `frame` is owned by the handler.
  virtual void on_frame(const PeerInfo& peer, std::string frame, Reply reply) = 0;
  // A frame exceeded max_frame_bytes. `head` holds its first bytes (up to
  // 4 KiB) so the handler can build a negative acknowledgement from its MSH;
  // the rest of the frame is discarded as it streams in. Default: no reply.
  virtual void on_oversized(const PeerInfo& peer, std::string head, Reply reply) { reply.none(); }
};

class Server {
 public:
  // Binds and listens immediately (so port() is valid on return) but does not
  // serve until start(). kInvalidArgument for bad options, kUnavailable when
  // the address cannot be bound.
  static gw::Result<std::unique_ptr<Server>> create(const ServerOptions& options,
                                                    FrameHandler* handler);
  virtual ~Server() = default;

  virtual uint16_t port() const = 0;
  virtual void start() = 0;
  // Graceful stop: close the listening socket, stop reading new frames, wait
  // (up to `grace`) for replies to frames already received, flush them, then
  // close all connections and join the threads. Idempotent. The destructor
  // calls stop(0ms). Must not be called from a handler on a loop thread (it
  // joins that thread). Replies completed after stop are discarded.
  virtual void stop(std::chrono::milliseconds grace) = 0;
  virtual ServerStats stats() const = 0;
};

// Reads the files of `tls` as Server::create does, without listening: for
// configuration checks (gatewayd --check). The error names the file and what
// is wrong with it.
gw::Status check_tls_options(const TlsServerOptions& tls);

}  // namespace gw::mllp
