#include "adapters/mllp/event_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "adapters/mllp/input_budget.h"
#include "adapters/mllp/tls.h"

namespace gw::mllp {

// What a Reply carries: where its outcome goes. The mailbox is shared so the
// Reply stays safe after its connection, loop or server are gone.
struct Reply::State {
  std::shared_ptr<internal::Mailbox> mailbox;
  uint64_t conn_id = 0;
  uint64_t seq = 0;
};

namespace internal {
namespace {

// One read() per call into a buffer of this size; a few reads per readiness
// event so one busy peer cannot starve the others on the loop.
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerEvent = 4;
// Reading stops while more than this many reply bytes wait for the peer to
// read them (a peer that sends but never reads must not grow our buffers).
constexpr size_t kOutHighWater = 256 * 1024;
// A connection told to close (send_and_close) half-closes, then waits this
// long for the peer's EOF, discarding input, before closing. Closing with
// unread input would send RST, which can destroy the reply still in flight.
constexpr auto kLingerTime = std::chrono::seconds(2);
// After accept() fails for lack of descriptors or memory, the listener is
// ignored this long instead of spinning on a level-triggered event.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
constexpr int kMaxAcceptsPerEvent = 256;
constexpr int kMaxEvents = 256;
// ServerOptions::on_tls_failure is called at most this often per second per
// loop; the failures in between are only counted (and reported as suppressed).
constexpr int kTlsReportsPerSecond = 10;
// With an input budget that has no room, a connection holding nothing may
// still read this much (outside the budget): an honest short message gets
// through while large partial frames hold the budget, and the memory this
// allows beyond the budget is this times the open connections.
constexpr size_t kUnbudgetedRead = 16 * 1024;

thread_local EventLoop* tls_current_loop = nullptr;

Clock::duration sweep_interval_for(std::chrono::milliseconds idle) {
  auto quarter = std::chrono::duration_cast<Clock::duration>(idle) / 4;
  return std::clamp<Clock::duration>(quarter, std::chrono::milliseconds(5),
                                     std::chrono::milliseconds(250));
}

std::string format_address(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "unknown";
}

}  // namespace

// ---------------------------------------------------------------- Mailbox

gw::Result<std::shared_ptr<Mailbox>> Mailbox::create() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return resource_exhausted_error(std::string("eventfd: ") + std::strerror(errno));
  return std::make_shared<Mailbox>(fd);
}

Mailbox::~Mailbox() {
  for (Accepted& a : accepted_) ::close(a.fd);
  ::close(event_fd_);
}

void Mailbox::wake() {
  uint64_t one = 1;
  // Cannot block (EFD_NONBLOCK) and cannot overflow in practice; a failed
  // write only means the counter is already non-zero, i.e. the loop is woken.
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void Mailbox::post(Completion c) {
  bool need_wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    completions_.push_back(std::move(c));
    need_wake = !wake_pending_;
    wake_pending_ = true;
  }
  if (need_wake) wake();
}

bool Mailbox::post_connection(Accepted& a) {
  bool need_wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    accepted_.push_back(std::move(a));
    need_wake = !wake_pending_;
    wake_pending_ = true;
  }
  if (need_wake) wake();
  return true;
}

void Mailbox::request_stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || stop_) return;
    stop_ = true;
    grace_ = grace;
    wake_pending_ = true;
  }
  wake();
}

void Mailbox::budget_released() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    budget_released_ = true;
    if (wake_pending_) return;
    wake_pending_ = true;
  }
  wake();
}

void Mailbox::take(Batch* b) {
  uint64_t counter;
  [[maybe_unused]] ssize_t n = ::read(event_fd_, &counter, sizeof counter);
  std::lock_guard<std::mutex> lock(mu_);
  wake_pending_ = false;
  b->completions.swap(completions_);
  b->accepted.swap(accepted_);
  b->stop = stop_;
  b->grace = grace_;
  b->budget_released = budget_released_;
  budget_released_ = false;
}

std::vector<Accepted> Mailbox::close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  completions_.clear();
  completions_.shrink_to_fit();
  std::vector<Accepted> left;
  left.swap(accepted_);
  return left;
}

// ---------------------------------------------------------------- EventLoop

struct EventLoop::Conn {
  Conn(uint64_t id, int fd, std::string address, std::unique_ptr<Codec> codec)
      : fd(fd), codec(std::move(codec)) {
    peer.connection_id = id;
    peer.address = std::move(address);
  }
  ~Conn() {
    if (ssl != nullptr) SSL_free(ssl);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  uint64_t id() const { return peer.connection_id; }
  size_t out_pending() const { return out.size() - out_off; }

  const int fd;
  PeerInfo peer;
  std::unique_ptr<Codec> codec;  // the protocol: MLLP's Framer, HTTP's parser
  // Units (frames, requests) awaiting their reply, in arrival order:
  // slots[i] is unit head_seq + i. Bounded by max_in_flight_per_connection.
  std::deque<Slot> slots;
  uint64_t head_seq = 0;
  uint64_t next_seq = 0;
  std::string out;  // framed replies not yet accepted by the kernel, from out_off
  size_t out_off = 0;
  // Input read but not yet framed because the in-flight limit was reached;
  // at most one read chunk.
  std::string in_pending;
  uint32_t registered = 0;  // current epoll interest
  bool peer_eof = false;
  bool close_requested = false;  // a send_and_close() has been recorded
  bool lingering = false;        // half-closed after send_and_close, draining input
  bool closed = false;
  bool dirty = false;
  Clock::time_point last_active;
  Clock::time_point linger_deadline;
  // While the codec is inside a unit (an MLLP frame, an HTTP request's head
  // or body): the phase it is in and when that phase began (as of the read
  // that brought its first byte, or the accept). kIdle: no unit open.
  Codec::Phase frame_open = Codec::Phase::kIdle;
  Clock::time_point frame_started;
  // TLS only: null on a plain connection, which never reads the flags below.
  ssl_st* ssl = nullptr;
  bool handshaking = false;           // until SSL_do_handshake succeeds
  bool tls_read_wants_write = false;  // SSL_read waits for the socket to be writable
  bool tls_write_wants_read = false;  // SSL_write waits for the socket to be readable
  bool tls_read_scheduled = false;    // in tls_readable_
  // Input budget: bytes charged for this connection (what it holds, plus a
  // read's reservation while the read is under way), and whether it waits
  // for room (in paused_).
  size_t charged = 0;
  bool budget_paused = false;
  uint64_t budget_id = 0;  // process-unique, for InputBudget's overdraft
  AddressLimits::Lease address_lease;
};

namespace {

std::atomic<uint64_t> next_budget_id{1};

// What the input budget charges a connection: the memory its codec holds (a
// partial frame or request) plus input read but not yet decoded.
size_t held_input(const Codec& codec, const std::string& in_pending) {
  return codec.buffered_bytes() + in_pending.size();
}

}  // namespace

class EventLoop::Sink final : public ConnectionSink {
 public:
  Sink(EventLoop* loop, Conn* conn) : loop_(loop), conn_(conn) {}
  const PeerInfo& peer() const override { return conn_->peer; }
  Reply next_reply() override { return loop_->next_reply(*conn_); }
  bool may_continue() const override { return loop_->can_read(*conn_); }
  LoopCounters& counters() override { return loop_->counters_; }

 private:
  EventLoop* loop_;
  Conn* conn_;
};

EventLoop::EventLoop(const ServerOptions& options, FrameHandler* handler,
                     std::atomic<uint64_t>* open_connections, const ServerTls* tls,
                     std::shared_ptr<AddressLimits> address_limits)
    : EventLoop(options, static_cast<CodecFactory*>(nullptr), open_connections, tls,
                std::move(address_limits)) {
  own_codecs_ = mllp_codecs(options, handler);
  codecs_ = own_codecs_.get();
}

EventLoop::EventLoop(const ServerOptions& options, CodecFactory* codecs,
                     std::atomic<uint64_t>* open_connections, const ServerTls* tls,
                     std::shared_ptr<AddressLimits> address_limits)
    : options_(options),
      codecs_(codecs),
      open_connections_(open_connections),
      sweep_interval_(sweep_interval_for(options.idle_timeout)),
      tls_(tls),
      address_limits_(std::move(address_limits)),
      budget_(options.input_budget.get()) {}

EventLoop::~EventLoop() {
  if (budget_subscription_ != 0) budget_->unsubscribe(budget_subscription_);
  for (auto& [id, c] : conns_) {
    if (budget_ == nullptr) continue;
    budget_->return_overdraft(c->budget_id);
    budget_->release(c->charged);
  }
  for (auto& [id, c] : conns_) ::close(c->fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (mailbox_) {
    for (Accepted& a : mailbox_->close()) ::close(a.fd);
  }
}

EventLoop* EventLoop::current() { return tls_current_loop; }

gw::Status EventLoop::init() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    return resource_exhausted_error(std::string("epoll_create1: ") + std::strerror(errno));
  }
  GW_ASSIGN_OR_RETURN(mailbox_, Mailbox::create());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_tag_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, mailbox_->event_fd(), &ev) != 0) {
    return internal_error(std::string("epoll_ctl(eventfd): ") + std::strerror(errno));
  }
  read_buf_ = std::make_unique<char[]>(kReadChunk);
  if (budget_ != nullptr) {
    budget_subscription_ = budget_->subscribe([mb = mailbox_] { mb->budget_released(); });
  }
  return ok_status();
}

gw::Status EventLoop::set_listener(int fd, std::vector<EventLoop*> loops) {
  listen_fd_ = fd;
  loops_ = std::move(loops);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listener_tag_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return internal_error(std::string("epoll_ctl(listener): ") + std::strerror(errno));
  }
  return ok_status();
}

int EventLoop::wait_timeout_ms() const {
  Clock::time_point next = next_sweep_;
  if (stopping_) next = std::min(next, stop_deadline_);
  if (next <= now_) return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now_).count();
  return static_cast<int>(ms + 1);
}

void EventLoop::run() {
  tls_current_loop = this;
  epoll_event events[kMaxEvents];
  now_ = read_clock();
  next_sweep_ = now_ + sweep_interval_;
  for (;;) {
    int n =
        ::epoll_wait(epoll_fd_, events, kMaxEvents, tls_readable_.empty() ? wait_timeout_ms() : 0);
    now_ = read_clock();
    for (int i = 0; i < n; ++i) handle_event(events[i]);
    if (!tls_readable_.empty()) read_tls_buffered();
    process_dirty();
    if (now_ >= next_sweep_) {
      sweep();
      process_dirty();
      next_sweep_ = now_ + sweep_interval_;
    }
    graveyard_.clear();
    if (stopping_ && (conns_.empty() || now_ >= stop_deadline_)) break;
  }
  // Stop: close whatever is left (grace expired) and refuse further posts.
  while (!conns_.empty()) close_conn(*conns_.begin()->second);
  graveyard_.clear();
  for (Accepted& a : mailbox_->close()) {
    ::close(a.fd);
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  tls_current_loop = nullptr;
}

void EventLoop::close_unstarted() {
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  for (Accepted& a : mailbox_->close()) ::close(a.fd);
}

void EventLoop::handle_event(const epoll_event& ev) {
  if (ev.data.ptr == &wake_tag_) {
    take_mailbox();
    return;
  }
  if (ev.data.ptr == &listener_tag_) {
    accept_ready();
    return;
  }
  Conn& c = *static_cast<Conn*>(ev.data.ptr);
  if (c.closed) return;  // closed earlier in this batch of events
  if (ev.events & (EPOLLERR | EPOLLHUP)) {
    // Reset by the peer, or both directions shut: nothing more can be
    // delivered either way.
    close_conn(c);
    return;
  }
  if (c.handshaking) {
    tls_handshake(c);
    return;
  }
  if (ev.events & EPOLLIN) {
    if (c.lingering) {
      on_linger_readable(c);
      return;
    }
    on_readable(c);
  }
  if (!c.closed && (ev.events & EPOLLOUT)) {
    if (c.tls_read_wants_write) on_readable(c);
    if (!c.closed) mark_dirty(c);
  }
}

void EventLoop::take_mailbox() {
  mailbox_->take(&batch_);
  for (Accepted& a : batch_.accepted) add_connection(std::move(a));
  batch_.accepted.clear();
  for (Completion& c : batch_.completions) apply(std::move(c));
  batch_.completions.clear();
  if (batch_.stop && !stopping_) begin_stop(batch_.grace);
  if (batch_.budget_released && !paused_.empty()) resume_paused();
}

void EventLoop::accept_ready() {
  for (int i = 0; i < kMaxAcceptsPerEvent && listen_fd_ >= 0; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd =
        ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // EMFILE, ENFILE, ENOBUFS, ENOMEM...: the pending connection stays
      // queued and the level-triggered listener would fire again at once.
      epoll_event ev{};
      ev.data.ptr = &listener_tag_;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listener_paused_ = true;
      listener_resume_at_ = now_ + kAcceptPause;
      return;
    }
    if (open_connections_->load(std::memory_order_relaxed) >= options_.max_connections) {
      // Count before closing so the counter is up to date by the time the
      // peer can observe the close.
      LoopCounters::bump(counters_.refused);
      ::close(fd);
      continue;
    }
    AddressLimits::Lease lease;
    if (address_limits_ && !address_limits_->try_acquire(AddressLimits::key_of(ss), &lease)) {
      LoopCounters::bump(counters_.refused_per_address);
      ::close(fd);
      continue;
    }
    open_connections_->fetch_add(1, std::memory_order_relaxed);
    LoopCounters::bump(counters_.accepted);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Accepted a{fd, next_conn_id_++, format_address(ss), std::move(lease)};
    EventLoop* target = loops_[next_loop_++ % loops_.size()];
    if (target == this) {
      add_connection(std::move(a));
    } else if (!target->mailbox()->post_connection(a)) {
      ::close(a.fd);
      open_connections_->fetch_sub(1, std::memory_order_relaxed);
    }
  }
}

void EventLoop::add_connection(Accepted&& a) {
  if (stopping_) {
    ::close(a.fd);
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  auto conn = std::make_unique<Conn>(a.id, a.fd, std::move(a.address), codecs_->create());
  conn->address_lease = std::move(a.address_lease);
  if (budget_ != nullptr) conn->budget_id = next_budget_id.fetch_add(1, std::memory_order_relaxed);
  conn->last_active = now_;
  // A protocol may hold a connection to a unit from its accept (HTTP: the
  // first request's head, TLS handshake included, within header_timeout).
  conn->frame_open = conn->codec->phase();
  conn->frame_started = now_;
  if (tls_ != nullptr) {
    // The handshake is driven by the connection's events (tls_handshake);
    // until it is done, last_active stays at the accept for sweep().
    conn->ssl = tls_->accept(a.fd);
    if (conn->ssl == nullptr) {
      ERR_clear_error();
      ::close(a.fd);
      open_connections_->fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    SSL_set_accept_state(conn->ssl);
    conn->handshaking = true;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = conn.get();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, a.fd, &ev) != 0) {
    ::close(a.fd);
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  conn->registered = EPOLLIN;
  conns_.emplace(a.id, std::move(conn));
}

bool EventLoop::can_read(const Conn& c) const {
  return !stopping_ && !c.peer_eof && !c.close_requested && !c.lingering && !c.closed &&
         c.slots.size() < options_.max_in_flight_per_connection && c.out_pending() < kOutHighWater;
}

void EventLoop::on_readable(Conn& c) {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    if (!can_read(c) || !c.in_pending.empty() || c.budget_paused) break;
    const size_t want = reserve_read(c);
    if (want == 0) break;  // paused: no room in the input budget
    ssize_t n = c.ssl == nullptr ? ::recv(c.fd, read_buf_.get(), want, 0) : tls_read(c, want);
    if (n > 0) {
      // Frame bytes count as activity, garbage does not: a peer trickling
      // garbage is idle, and one trickling a frame meets frame_timeout.
      size_t got = static_cast<size_t>(n);
      const uint64_t frames_before = c.next_seq;
      size_t used = feed(c, read_buf_.get(), got);
      const bool completed = c.next_seq != frames_before;
      const Codec::Phase phase = c.codec->phase();
      if (completed || phase != Codec::Phase::kIdle) c.last_active = now_;
      if (phase == Codec::Phase::kIdle) {
        c.frame_open = Codec::Phase::kIdle;
      } else if (c.frame_open != phase || completed) {
        // A frame (or a unit's phase) started in this read (after any that
        // completed in it).
        c.frame_open = phase;
        c.frame_started = now_;
      }
      if (used < got) c.in_pending.assign(read_buf_.get() + used, got - used);
      settle_budget(c);
      // A short read drained the socket; TLS returns a record at a time
      // (at most 16 KiB), so it reads on until OpenSSL wants more input.
      if (got < want && c.ssl == nullptr) break;
      continue;
    }
    if (n == 0) {
      // EOF (perhaps half-close): replies to frames already received are
      // still sent; a partial frame is dropped with the framer.
      c.peer_eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_conn(c);
    return;
  }
  settle_budget(c);  // returns a reservation the last read did not use
  mark_dirty(c);
}

void EventLoop::on_linger_readable(Conn& c) {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    ssize_t n = ::recv(c.fd, read_buf_.get(), kReadChunk, 0);
    if (n > 0) continue;  // discarded: the connection is closing
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_conn(c);  // EOF or error
    return;
  }
}

size_t EventLoop::feed(Conn& c, const char* data, size_t n) {
  Sink sink(this, &c);
  return c.codec->feed(std::string_view(data, n), sink);
}

Reply EventLoop::next_reply(Conn& c) {
  c.slots.emplace_back();
  auto state = std::make_shared<Reply::State>();
  state->mailbox = mailbox_;
  state->conn_id = c.id();
  state->seq = c.next_seq++;
  return Reply(std::move(state));
}

void EventLoop::apply(Completion&& done) {
  auto it = conns_.find(done.conn_id);
  if (it == conns_.end()) return;  // connection closed meanwhile: drop
  Conn& c = *it->second;
  if (c.closed || c.lingering || done.seq < c.head_seq) return;
  uint64_t index = done.seq - c.head_seq;
  if (index >= c.slots.size()) return;
  Slot& slot = c.slots[index];
  if (slot.done) return;
  slot.done = true;
  slot.kind = done.kind;
  slot.has_payload = done.has_payload;
  slot.payload = std::move(done.payload);
  if (done.kind == ReplyKind::kSendAndClose) c.close_requested = true;
  if (index == 0) drain_slots(c);
  mark_dirty(c);
}

void EventLoop::drain_slots(Conn& c) {
  while (!c.slots.empty() && c.slots.front().done) {
    Slot& s = c.slots.front();
    if (s.kind != ReplyKind::kNone && s.has_payload) {
      c.codec->encode(&c.out, s.payload);
      LoopCounters::bump(counters_.replies);
    }
    bool close_after = s.kind == ReplyKind::kSendAndClose;
    c.slots.pop_front();
    ++c.head_seq;
    if (close_after) {
      // Frames that arrived after the fatal one get no reply.
      c.head_seq += c.slots.size();
      c.slots.clear();
      return;
    }
  }
}

void EventLoop::mark_dirty(Conn& c) {
  if (c.dirty || c.closed) return;
  c.dirty = true;
  dirty_.push_back(&c);
}

void EventLoop::process_dirty() {
  // flush() may frame buffered input, and a handler replying inline marks
  // connections dirty again; repeat until quiet. Each round consumes input
  // that is bounded per connection, so this terminates.
  while (!dirty_.empty()) {
    dirty_work_.swap(dirty_);
    for (Conn* c : dirty_work_) {
      c->dirty = false;
      if (!c->closed) flush(*c);
    }
    dirty_work_.clear();
  }
}

void EventLoop::flush(Conn& c) {
  if (c.lingering) {
    if (stopping_) close_conn(c);
    return;
  }
  while (c.out_pending() > 0) {
    ssize_t n = c.ssl == nullptr
                    ? ::send(c.fd, c.out.data() + c.out_off, c.out_pending(), MSG_NOSIGNAL)
                    : tls_write(c, c.out.data() + c.out_off, c.out_pending());
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      c.last_active = now_;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    close_conn(c);  // EPIPE, ECONNRESET...
    return;
  }
  if (c.out_pending() == 0) {
    if (c.out.capacity() > kOutHighWater) {
      std::string().swap(c.out);
    } else {
      c.out.clear();
    }
    c.out_off = 0;
  } else if (c.out_off >= kReadChunk && c.out_off >= c.out.size() / 2) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  if (c.slots.empty() && c.out_pending() == 0) {
    if (c.close_requested) {
      begin_linger(c);
      return;
    }
    if (c.peer_eof || stopping_) {
      close_conn(c);
      return;
    }
  }
  if (!c.in_pending.empty() && can_read(c)) {
    std::string pending;
    pending.swap(c.in_pending);
    size_t used = feed(c, pending.data(), pending.size());
    if (used < pending.size()) c.in_pending.assign(pending, used, std::string::npos);
    settle_budget(c);
  }
  update_interest(c);
}

void EventLoop::update_interest(Conn& c) {
  uint32_t want = 0;
  if (c.lingering || (can_read(c) && c.in_pending.empty() && !c.budget_paused)) want |= EPOLLIN;
  if (c.out_pending() > 0) want |= EPOLLOUT;
  if (c.ssl != nullptr) want = tls_interest(c, want);
  if (want != c.registered) set_interest(c, want);
}

bool EventLoop::set_interest(Conn& c, uint32_t want) {
  if (want == c.registered) return true;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = &c;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
    close_conn(c);
    return false;
  }
  c.registered = want;
  return true;
}

void EventLoop::begin_linger(Conn& c) {
  // TLS: close_notify first (one attempt; the replies are out, so the socket
  // has room), then the same half-close and linger as plain TCP.
  if (c.ssl != nullptr && !SSL_in_init(c.ssl)) {
    SSL_shutdown(c.ssl);
    ERR_clear_error();
  }
  ::shutdown(c.fd, SHUT_WR);
  c.lingering = true;
  c.linger_deadline = now_ + kLingerTime;
  std::string().swap(c.in_pending);
  settle_budget(c);
  update_interest(c);
}

void EventLoop::close_conn(Conn& c) {
  if (c.closed) return;
  c.closed = true;
  if (c.ssl != nullptr) {
    // close_notify, best effort (one non-blocking attempt), unless sent when
    // lingering began; SSL_in_init is also true after a failed handshake or
    // a fatal error, when nothing more may be sent.
    if (!c.lingering && !SSL_in_init(c.ssl)) SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
    c.ssl = nullptr;
    ERR_clear_error();
  }
  // Out of the epoll set before the close: close() removes it only when no
  // other descriptor shares the socket, and a child forked meanwhile (the
  // daemon's or a test's subprocess, before its exec closes CLOEXEC
  // descriptors) holds one; its events would then name a freed Conn.
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  open_connections_->fetch_sub(1, std::memory_order_relaxed);
  c.address_lease.reset();
  if (budget_ != nullptr) budget_->return_overdraft(c.budget_id);
  if (budget_ != nullptr && c.charged != 0) {
    LoopCounters::bump(counters_.buffered, 0 - c.charged);
    const size_t charged = c.charged;
    c.charged = 0;
    budget_->release(charged);
  }
  auto it = conns_.find(c.id());
  if (it != conns_.end()) {
    // Freed at the end of the iteration: later events of this batch and the
    // dirty list may still point at it.
    graveyard_.push_back(std::move(it->second));
    conns_.erase(it);
  }
}

void EventLoop::begin_stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  stop_deadline_ = now_ + grace;
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  for (auto& [id, c] : conns_) {
    std::string().swap(c->in_pending);
    mark_dirty(*c);  // flush() closes it once its replies are out
  }
}

void EventLoop::sweep() {
  if (listener_paused_ && now_ >= listener_resume_at_ && listen_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listener_tag_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    listener_paused_ = false;
  }
  // A wake-up may have raced with a pause (see InputBudget::charge_or_wait):
  // retrying here bounds how long a connection can wait for room that is
  // there.
  if (!paused_.empty()) resume_paused();
  std::vector<Conn*> expired;
  for (auto& [id, c] : conns_) {
    if (c->lingering) {
      if (now_ >= c->linger_deadline) expired.push_back(c.get());
      continue;
    }
    if (c->handshaking) {
      // Held to the frame and idle timers from the accept: a peer that never
      // finishes its handshake, or trickles it, must not pin a connection.
      if (now_ - c->last_active >= std::min(options_.frame_timeout, options_.idle_timeout)) {
        tls_failure(*c, true, "handshake not completed within the frame or idle timeout");
        expired.push_back(c.get());
      }
      continue;
    }
    // Frames awaiting a reply keep a connection open however long the
    // handler takes, unless the peer has gone (EOF): then nothing more can
    // arrive and the idle clock bounds how long we hold the descriptor.
    if (!c->slots.empty() && !c->peer_eof) continue;
    // A frame in progress while we are reading (nothing awaits a reply, no
    // input held back by the in-flight limit) is the peer's to finish.
    if (c->frame_open != Codec::Phase::kIdle && c->in_pending.empty() && !c->peer_eof &&
        now_ - c->frame_started >= c->codec->phase_timeout(c->frame_open)) {
      LoopCounters::bump(counters_.frame_timeouts);
      if (std::string reply = c->codec->timeout_reply(); !reply.empty() && !c->close_requested) {
        // Said before closing (HTTP's 408); flush() then lingers as after
        // send_and_close. No further input is read.
        c->out.append(reply);
        c->close_requested = true;
        c->frame_open = Codec::Phase::kIdle;
        c->last_active = now_;
        mark_dirty(*c);
      } else {
        expired.push_back(c.get());
      }
      continue;
    }
    if (now_ - c->last_active >= options_.idle_timeout) {
      LoopCounters::bump(counters_.idle_closed);
      expired.push_back(c.get());
    }
  }
  for (Conn* c : expired) close_conn(*c);
}

// ---------------------------------------------------------------- input budget

size_t EventLoop::reserve_read(Conn& c) {
  if (budget_ == nullptr) return kReadChunk;
  if (budget_->charge_or_wait(kReadChunk)) {
    c.charged += kReadChunk;
    LoopCounters::bump(counters_.buffered, kReadChunk);
    return kReadChunk;
  }
  // Holding nothing: a small read outside the budget (kUnbudgetedRead).
  if (held_input(*c.codec, c.in_pending) == 0) return kUnbudgetedRead;
  // Holding a partial frame: read on past the limit if the overdraft is free
  // (one connection per budget), so that some frame always completes.
  if (budget_->take_overdraft(c.budget_id)) return kReadChunk;
  c.budget_paused = true;
  paused_.push_back(c.id());
  LoopCounters::bump(counters_.budget_pauses);
  return 0;
}

void EventLoop::settle_budget(Conn& c) {
  if (budget_ == nullptr || c.closed) return;
  const size_t held = held_input(*c.codec, c.in_pending);
  if (held == 0) budget_->return_overdraft(c.budget_id);  // its frame is done
  if (held == c.charged) return;
  // Unsigned wrap-around adds the (possibly negative) difference.
  LoopCounters::bump(counters_.buffered, held - c.charged);
  if (held > c.charged) {
    // More than the reservation (a buffer that doubled, or a read outside
    // the budget): charged after the fact, which keeps further reads paused
    // until it is released.
    budget_->charge(held - c.charged);
    c.charged = held;
  } else {
    const size_t freed = c.charged - held;
    c.charged = held;
    budget_->release(freed);
  }
}

void EventLoop::resume_paused() {
  paused_work_.swap(paused_);
  for (uint64_t id : paused_work_) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;  // closed meanwhile
    Conn& c = *it->second;
    c.budget_paused = false;
    // Reads at once if there is room now (level-triggered epoll would report
    // the waiting input only after the interest is restored); pauses again,
    // at the back of the queue, if not.
    if (!c.closed && !c.lingering && !c.handshaking) on_readable(c);
  }
  paused_work_.clear();
}

// ---------------------------------------------------------------- TLS

void EventLoop::tls_handshake(Conn& c) {
  ERR_clear_error();
  const int rc = SSL_do_handshake(c.ssl);
  if (rc == 1) {
    c.handshaking = false;
    c.last_active = now_;
    LoopCounters::bump(counters_.tls_handshakes);
    peer_certificate_identity(c.ssl, &c.peer.cert_subject, &c.peer.cert_sha256);
    // The client's first frame may have come with its Finished message.
    on_readable(c);
    return;
  }
  const int err = SSL_get_error(c.ssl, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    set_interest(c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
    return;
  }
  if (BIO_number_read(SSL_get_rbio(c.ssl)) == 0) {
    // Connected and left without a byte (a port probe, a load balancer's
    // health check): not a TLS failure.
    ERR_clear_error();
    close_conn(c);
    return;
  }
  tls_failure(c, true, ssl_failure_text(c.ssl, err));
  // OpenSSL has queued its alert; closing now with the peer's unread bytes
  // (a TLS 1.3 client sends its first frame before it learns that its
  // certificate was refused) would send RST, which can destroy the alert.
  // Linger as send_and_close does, so the sender sees why.
  c.handshaking = false;
  c.lingering = true;
  c.linger_deadline = now_ + kLingerTime;
  ::shutdown(c.fd, SHUT_WR);
  set_interest(c, EPOLLIN);
}

ssize_t EventLoop::tls_read(Conn& c, size_t size) {
  c.tls_read_wants_write = false;
  ERR_clear_error();
  errno = 0;
  const int n = SSL_read(c.ssl, read_buf_.get(), static_cast<int>(std::min(size, kReadChunk)));
  if (n > 0) return n;
  const int err = SSL_get_error(c.ssl, n);
  switch (err) {
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
    case SSL_ERROR_WANT_WRITE:
      c.tls_read_wants_write = true;
      [[fallthrough]];
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {  // the socket's error (a reset), not TLS's
        if (errno == 0) return 0;
        return -1;
      }
      [[fallthrough]];
    default:
      tls_failure(c, false, ssl_failure_text(c.ssl, err));
      errno = EPROTO;
      return -1;
  }
}

ssize_t EventLoop::tls_write(Conn& c, const char* data, size_t size) {
  c.tls_write_wants_read = false;
  ERR_clear_error();
  errno = 0;
  // A retry after WANT_WRITE passes the same bytes, perhaps more of them and
  // from a moved buffer (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER): c.out only
  // grows at its end until they are sent.
  const int n = SSL_write(c.ssl, data, static_cast<int>(std::min<size_t>(size, 1u << 30)));
  if (n > 0) return n;
  const int err = SSL_get_error(c.ssl, n);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      c.tls_write_wants_read = true;
      [[fallthrough]];
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        if (errno == 0) errno = EPIPE;
        return -1;
      }
      [[fallthrough]];
    default:
      tls_failure(c, false, ssl_failure_text(c.ssl, err));
      errno = EPROTO;
      return -1;
  }
}

uint32_t EventLoop::tls_interest(Conn& c, uint32_t want) {
  if (c.handshaking) return c.registered;  // tls_handshake() decides
  const bool reading = !c.lingering && can_read(c) && c.in_pending.empty() && !c.budget_paused;
  // Only while reading: a level-triggered EPOLLOUT that on_readable() would
  // not act on would spin.
  if (c.tls_read_wants_write && reading) want |= EPOLLOUT;
  if (c.tls_write_wants_read) want |= EPOLLIN;  // flush() retries the write on it
  // Input OpenSSL has already decrypted raises no epoll event.
  if (reading && !c.tls_read_scheduled && SSL_pending(c.ssl) > 0) {
    c.tls_read_scheduled = true;
    tls_readable_.push_back(c.id());
  }
  return want;
}

void EventLoop::read_tls_buffered() {
  tls_readable_work_.swap(tls_readable_);
  for (uint64_t id : tls_readable_work_) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;  // closed meanwhile
    Conn& c = *it->second;
    c.tls_read_scheduled = false;
    if (!c.closed && !c.lingering && !c.handshaking) on_readable(c);
  }
  tls_readable_work_.clear();
}

void EventLoop::tls_failure(Conn& c, bool during_handshake, std::string reason) {
  LoopCounters::bump(during_handshake ? counters_.tls_handshake_failures : counters_.tls_errors);
  if (!options_.on_tls_failure) return;
  if (now_ - tls_report_window_ >= std::chrono::seconds(1)) {
    tls_report_window_ = now_;
    tls_reports_in_window_ = 0;
  }
  if (tls_reports_in_window_ >= kTlsReportsPerSecond) {
    ++tls_reports_suppressed_;
    return;
  }
  ++tls_reports_in_window_;
  TlsFailure f;
  f.connection_id = c.id();
  f.address = c.peer.address;
  f.during_handshake = during_handshake;
  f.reason = std::move(reason);
  f.suppressed = tls_reports_suppressed_;
  tls_reports_suppressed_ = 0;
  try {
    options_.on_tls_failure(f);
  } catch (...) {
    // A reporting problem must not take down the loop.
  }
}

}  // namespace internal

// ---------------------------------------------------------------- Reply

namespace {

void complete(std::shared_ptr<Reply::State> state, internal::ReplyKind kind,
              std::optional<std::string> payload) {
  internal::Completion c;
  c.conn_id = state->conn_id;
  c.seq = state->seq;
  c.kind = kind;
  c.has_payload = payload.has_value();
  if (payload) c.payload = std::move(*payload);
  internal::EventLoop* loop = internal::EventLoop::current();
  if (loop != nullptr && loop->mailbox().get() == state->mailbox.get()) {
    loop->apply(std::move(c));  // on the owning loop's thread: no need to post
  } else {
    state->mailbox->post(std::move(c));
  }
}

}  // namespace

Reply::Reply(Reply&& other) noexcept : state_(std::move(other.state_)) {}

Reply& Reply::operator=(Reply&& other) noexcept {
  if (this != &other) {
    if (state_) complete(std::move(state_), internal::ReplyKind::kNone, std::nullopt);
    state_ = std::move(other.state_);
  }
  return *this;
}

Reply::~Reply() {
  if (state_) complete(std::move(state_), internal::ReplyKind::kNone, std::nullopt);
}

void Reply::send(std::string payload) {
  if (state_) complete(std::move(state_), internal::ReplyKind::kSend, std::move(payload));
}

void Reply::none() {
  if (state_) complete(std::move(state_), internal::ReplyKind::kNone, std::nullopt);
}

void Reply::send_and_close(std::optional<std::string> payload) {
  if (state_) complete(std::move(state_), internal::ReplyKind::kSendAndClose, std::move(payload));
}

}  // namespace gw::mllp
