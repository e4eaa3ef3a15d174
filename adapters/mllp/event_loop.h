// Internal to the MLLP server (and the HTTP server, adapters/http, through a
// codec: codec.h): one epoll event loop thread and the mailbox
// through which other threads reach it. Not part of the public API.
//
// Ownership and threading:
//  - Each connection (Conn) is owned by exactly one EventLoop and touched only
//    by that loop's thread.
//  - Other threads (the handler's workers, the accepting loop) talk to a loop
//    only through its Mailbox, which is shared (shared_ptr) with every
//    outstanding Reply. A Reply may therefore outlive its connection, its loop
//    and the Server: it names its connection by id, and after the loop has
//    exited the mailbox drops whatever is posted to it.
//  - TLS (optional): a connection with an SSL object (Conn::ssl) goes through
//    OpenSSL for its reads and writes; one without takes the plain recv/send
//    path, which TLS does not touch otherwise.
#pragma once

#include <sys/epoll.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/mllp/address_limits.h"
#include "adapters/mllp/codec.h"
#include "adapters/mllp/server.h"

struct ssl_st;  // OpenSSL's SSL, kept out of this header

namespace gw::mllp::internal {

class ServerTls;

using Clock = std::chrono::steady_clock;

enum class ReplyKind : uint8_t { kSend, kNone, kSendAndClose };

// A Reply's outcome on its way to the owning loop.
struct Completion {
  uint64_t conn_id = 0;
  uint64_t seq = 0;
  ReplyKind kind = ReplyKind::kNone;
  bool has_payload = false;
  std::string payload;
};

// A connection accepted by loop 0 and handed to another loop.
struct Accepted {
  int fd = -1;
  uint64_t id = 0;
  std::string address;
  AddressLimits::Lease address_lease;  // its place under max_connections_per_address
};

// Cross-thread inbox of one loop. Posting costs one mutex acquisition; only
// the first post after the loop has drained the box writes the eventfd, so a
// worker completing a burst of replies wakes the loop once.
class Mailbox {
 public:
  struct Batch {
    std::vector<Completion> completions;
    std::vector<Accepted> accepted;
    bool stop = false;
    std::chrono::milliseconds grace{0};
    bool budget_released = false;  // InputBudget released room since the last take
  };

  // An error if the eventfd cannot be created.
  static gw::Result<std::shared_ptr<Mailbox>> create();
  explicit Mailbox(int event_fd) : event_fd_(event_fd) {}
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Any thread. Dropped silently once closed (the connection is gone).
  void post(Completion c);
  // Any thread. Returns false (the caller still owns a.fd) once closed.
  bool post_connection(Accepted& a);
  // Any thread. Asks the loop to stop gracefully within `grace`.
  void request_stop(std::chrono::milliseconds grace);
  // Any thread (InputBudget's wake-up): the loop retries its paused
  // connections.
  void budget_released();

  // Loop thread: drains the eventfd and moves everything pending into *b
  // (whose vectors must be empty; their capacity is reused).
  void take(Batch* b);
  // Loop thread, on exit: refuse further posts; returns connections handed
  // over but never taken so the caller can close them.
  std::vector<Accepted> close();

  int event_fd() const { return event_fd_; }

 private:
  void wake();

  const int event_fd_;
  std::mutex mu_;
  std::vector<Completion> completions_;  // guarded by mu_
  std::vector<Accepted> accepted_;       // guarded by mu_
  bool stop_ = false;                    // guarded by mu_
  bool budget_released_ = false;         // guarded by mu_
  std::chrono::milliseconds grace_{0};   // guarded by mu_
  bool wake_pending_ = false;            // guarded by mu_: eventfd written, not yet drained
  bool closed_ = false;                  // guarded by mu_
};

// Counters written only by the owning loop (single writer, so relaxed
// load+store instead of a locked add) and read by Server::stats().
struct alignas(64) LoopCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> idle_closed{0};
  std::atomic<uint64_t> frame_timeouts{0};
  std::atomic<uint64_t> frames{0};
  std::atomic<uint64_t> oversized{0};
  std::atomic<uint64_t> skipped{0};
  std::atomic<uint64_t> replies{0};
  std::atomic<uint64_t> tls_handshakes{0};
  std::atomic<uint64_t> tls_handshake_failures{0};
  std::atomic<uint64_t> tls_errors{0};
  std::atomic<uint64_t> refused_per_address{0};
  std::atomic<uint64_t> budget_pauses{0};
  std::atomic<uint64_t> buffered{0};  // gauge: input charged to this loop's connections

  static void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class EventLoop {
 public:
  // `open_connections` and `address_limits` (null: no per-address cap) are
  // shared by all loops of a server; `options`, `handler` and `tls` (null:
  // plain TCP) must outlive the loop. Connections speak MLLP (the Framer) and
  // their frames go to `handler`.
  EventLoop(const ServerOptions& options, FrameHandler* handler,
            std::atomic<uint64_t>* open_connections, const ServerTls* tls = nullptr,
            std::shared_ptr<AddressLimits> address_limits = nullptr);
  // Another protocol: each connection gets a codec from `codecs` (which must
  // outlive the loop); options_.max_frame_bytes is then unused.
  EventLoop(const ServerOptions& options, CodecFactory* codecs,
            std::atomic<uint64_t>* open_connections, const ServerTls* tls = nullptr,
            std::shared_ptr<AddressLimits> address_limits = nullptr);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  gw::Status init();
  // Before run(), on the loop that accepts: takes ownership of the listening
  // socket; accepted connections are spread round robin over `loops` (which
  // includes this one).
  gw::Status set_listener(int fd, std::vector<EventLoop*> loops);
  // The thread body. Returns after a stop request once every connection is
  // closed (or the grace period has passed).
  void run();
  // Instead of run() when the server is stopped before it started: closes
  // the listener and refuses further posts.
  void close_unstarted();

  const std::shared_ptr<Mailbox>& mailbox() const { return mailbox_; }
  const LoopCounters& counters() const { return counters_; }

  // Loop thread only: records a reply (used directly when a Reply completes
  // on its own loop's thread, otherwise via the mailbox).
  void apply(Completion&& c);
  // The loop running on the calling thread, if any.
  static EventLoop* current();

 private:
  struct Slot {
    bool done = false;
    ReplyKind kind = ReplyKind::kNone;
    bool has_payload = false;
    std::string payload;
  };
  struct Conn;
  class Sink;

  void handle_event(const epoll_event& ev);
  void accept_ready();
  void add_connection(Accepted&& a);
  void on_readable(Conn& c);
  void on_linger_readable(Conn& c);
  size_t feed(Conn& c, const char* data, size_t n);
  Reply next_reply(Conn& c);
  bool can_read(const Conn& c) const;
  void drain_slots(Conn& c);
  void mark_dirty(Conn& c);
  void process_dirty();
  void flush(Conn& c);
  void update_interest(Conn& c);
  bool set_interest(Conn& c, uint32_t want);
  // TLS only.
  void tls_handshake(Conn& c);
  ssize_t tls_read(Conn& c, size_t size);  // recv()'s contract: bytes, 0 at EOF, -1 with errno
  ssize_t tls_write(Conn& c, const char* data, size_t size);  // send()'s contract
  uint32_t tls_interest(Conn& c, uint32_t want);
  void read_tls_buffered();
  void tls_failure(Conn& c, bool during_handshake, std::string reason);
  void begin_linger(Conn& c);
  void close_conn(Conn& c);
  void take_mailbox();
  void begin_stop(std::chrono::milliseconds grace);
  void sweep();
  int wait_timeout_ms() const;
  // Input budget (ServerOptions::input_budget; input_budget.cc's notes).
  size_t reserve_read(Conn& c);  // bytes the next read may take; 0: paused
  void settle_budget(Conn& c);   // charge what the connection holds now
  void resume_paused();
  Clock::time_point read_clock() const { return options_.clock ? options_.clock() : Clock::now(); }

  const ServerOptions& options_;
  std::unique_ptr<CodecFactory> own_codecs_;  // MLLP's, with the first constructor
  CodecFactory* codecs_;
  std::atomic<uint64_t>* const open_connections_;
  const Clock::duration sweep_interval_;
  const ServerTls* const tls_;
  const std::shared_ptr<AddressLimits> address_limits_;
  InputBudget* const budget_;  // options_.input_budget, or null
  uint64_t budget_subscription_ = 0;

  int epoll_fd_ = -1;
  std::shared_ptr<Mailbox> mailbox_;
  LoopCounters counters_;

  // Acceptor state (the loop given the listener only).
  int listen_fd_ = -1;
  bool listener_paused_ = false;  // after EMFILE and the like
  Clock::time_point listener_resume_at_{};
  std::vector<EventLoop*> loops_;
  size_t next_loop_ = 0;
  uint64_t next_conn_id_ = 1;

  // Loop-thread state.
  Clock::time_point now_{};
  Clock::time_point next_sweep_{};
  bool stopping_ = false;
  Clock::time_point stop_deadline_{};
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> dirty_;                      // connections to flush this iteration
  std::vector<Conn*> dirty_work_;                 // process_dirty()'s scratch (keeps capacity)
  std::vector<std::unique_ptr<Conn>> graveyard_;  // closed this iteration; freed at its end
  Mailbox::Batch batch_;
  std::unique_ptr<char[]> read_buf_;
  // TLS: connections whose SSL object holds decrypted input that no epoll
  // event will announce, read on the next iteration (ids: a connection may
  // close first).
  std::vector<uint64_t> tls_readable_, tls_readable_work_;
  // Connections paused for the input budget, in the order they paused (ids:
  // a connection may close first).
  std::vector<uint64_t> paused_, paused_work_;
  Clock::time_point tls_report_window_{};  // on_tls_failure rate limit
  int tls_reports_in_window_ = 0;
  uint64_t tls_reports_suppressed_ = 0;
  char listener_tag_ = 0;  // addresses used as epoll_event.data.ptr tags
  char wake_tag_ = 0;
};

}  // namespace gw::mllp::internal
