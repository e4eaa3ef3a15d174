#include "gateway/pipeline/mllp_ingest.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <utility>

#include "adapters/hl7/ack.h"
#include "gateway/base/clock.h"
#include "gateway/labels/labeler.h"
#include "gateway/log/log.h"
#include "gateway/pipeline/ack_mapping.h"
#include "gateway/pipeline/normalize.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/pipeline/work_pool.h"

namespace gw::pipeline {
namespace {

std::string join_errors(const std::vector<hl7::Error>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.to_string();
  }
  return out;
}

// Sender key for duplicate detection: MSH-3 and MSH-4 as received.
std::string sender_key(const hl7::Header& h) {
  return h.sending_application + "|" + h.sending_facility;
}

std::string message_type(const hl7::Header& h) {
  std::string t = h.message_code;
  if (!h.trigger_event.empty()) t += "^" + h.trigger_event;
  return t;
}

// Checks the gateway applies to a readable header before accepting. Problems
// here are reasons to reject (AR/CR): the message is not one this channel
// processes, whatever its content.
std::vector<hl7::Error> check_header(const hl7::Header& h, const IngestOptions& o) {
  std::vector<hl7::Error> errors;
  auto msh_error = [&](hl7::ErrorCode code, int field, std::string detail) {
    hl7::Error e;
    e.code = code;
    e.where.segment_id = "MSH";
    e.where.segment_sequence = 1;
    e.where.segment_index = 1;
    e.where.field = field;
    e.detail = std::move(detail);
    errors.push_back(std::move(e));
  };
  if (!h.version_id.empty() && (!h.version_id.starts_with("2.") || !h.version_at_least(2, 1)))
    msh_error(hl7::ErrorCode::kUnsupportedVersionId, 12, "HL7 version must be 2.1 or later 2.x");
  if (!h.processing_id.empty() && std::find(o.processing_ids.begin(), o.processing_ids.end(),
                                            h.processing_id) == o.processing_ids.end())
    msh_error(hl7::ErrorCode::kUnsupportedProcessingId, 11,
              "processing id not accepted on this channel");
  return errors;
}

// An acknowledgement: whether to send one and its text.
struct Answer {
  hl7::AckDecision decision;
  std::string ack;
};

// The one place an ACK is built, from the outcome: for a readable header the
// code hl7::decide_ack picks (AA/AE/AR or CA/CE/CR); for an unreadable one AR
// addressed from what `frame` salvages.
Answer answer(const hl7::Header* header, std::string_view frame, hl7::Outcome outcome,
              std::vector<hl7::Error> errors);

// Everything the commit callback needs. Shared because the store's callback
// type must be copyable while Reply is move-only.
struct Pending {
  mllp::Reply reply;
  std::shared_ptr<const hl7::Header> header;  // null for unparseable frames
  Answer answer;                              // for the message's outcome, stored with it
  // For a duplicate conflict (store::InboundMessage::on_conflict): whether
  // and with which code its acknowledgement is sent.
  hl7::AckDecision conflict_decision;
  std::string channel;
  std::string peer;
  std::string control_id;
  store::MessageStatus status;
};

}  // namespace

hl7::DefaultCharset charset_option(const std::string& name) {
  if (name == "ASCII") return hl7::DefaultCharset::kAscii;
  if (name == "8859/1") return hl7::DefaultCharset::kLatin1;
  if (name == "UNICODE UTF-8") return hl7::DefaultCharset::kUtf8;
  return hl7::DefaultCharset::kUtf8OrLatin1;
}

std::string hl7_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d+0000", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string next_ack_control_id() {
  // Base-36 milliseconds at process start (8 chars until the year 2059) plus a
  // base-36 counter: unique across restarts unless the clock goes backwards.
  static const uint64_t start = static_cast<uint64_t>(now_ms());
  static std::atomic<uint64_t> counter{0};
  auto b36 = [](uint64_t v) {
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string s;
    do {
      s.push_back(digits[v % 36]);
      v /= 36;
    } while (v != 0);
    std::reverse(s.begin(), s.end());
    return s;
  };
  return "G" + b36(start) + "-" + b36(counter.fetch_add(1, std::memory_order_relaxed));
}

namespace {

Answer answer(const hl7::Header* header, std::string_view frame, hl7::Outcome outcome,
              std::vector<hl7::Error> errors) {
  hl7::AckParams params;
  params.control_id = next_ack_control_id();
  params.timestamp = hl7_now();
  params.errors = std::move(errors);
  Answer a;
  if (header != nullptr) {
    a.decision = hl7::decide_ack(*header, outcome);
    // An acknowledgement is never acknowledged (HL7 v2 ch. 2): answering one
    // invites two engines to ping-pong ACKs forever. It is still stored.
    if (header->message_code == "ACK") a.decision.send = false;
    a.ack = hl7::build_ack(*header, a.decision.code, params);
  } else {
    a.decision = hl7::AckDecision{true, hl7::AckCode::kAR};
    a.ack = hl7::build_ack_for_unparseable(frame, hl7::AckCode::kAR, params);
  }
  return a;
}

void send_answer(mllp::Reply& reply, const hl7::AckDecision& decision, std::string ack) {
  if (decision.send)
    reply.send(std::move(ack));
  else
    reply.none();
}

// Everything done to a frame before it goes to the store: parse, header and
// sender checks, normalization, labels, tokens, the acknowledgements. Runs on
// a pipeline worker (work_pool.h), several at once, so it reads only the
// channel's options and the store's keys and counts in atomics.
store::InboundMessage prepare_frame(const IngestOptions& options, store::MessageStore* store,
                                    MllpIngest::Counters& counters, const mllp::PeerInfo& peer,
                                    std::string frame, int64_t received_at_ms, Pending* p) {
  store::InboundMessage m;
  m.channel = options.channel;
  m.peer = peer.address;
  m.received_at_ms = received_at_ms;

  hl7::ParseResult r = hl7::parse(frame, options.parse);
  std::vector<hl7::Error> errors = std::move(r.errors);
  hl7::Outcome outcome = hl7::Outcome::kAccept;
  if (r.header) {
    auto header_errors = check_header(*r.header, options);
    if (!header_errors.empty()) {
      outcome = hl7::Outcome::kReject;
      errors.insert(errors.begin(), header_errors.begin(), header_errors.end());
    } else if (!errors.empty()) {
      outcome = hl7::Outcome::kError;
    }
  } else {
    outcome = hl7::Outcome::kReject;
  }
  // Sender rules before anything else is done with the content: a refused
  // sender is told nothing about its message but the refusal.
  bool sender_refused = false;
  if (r.header && !options.senders->empty() &&
      options.senders->allowing_rule(*r.header, peer) == nullptr) {
    sender_refused = true;
    outcome = hl7::Outcome::kReject;
    hl7::Error e;
    e.code = hl7::ErrorCode::kApplicationInternalError;
    e.where.segment_id = "MSH";
    e.where.segment_sequence = 1;
    e.where.segment_index = 1;
    e.where.field = 3;
    e.detail = "sender not allowed on this connection (channel sender rules)";
    errors.assign(1, std::move(e));
  }

  // Normalization to FHIR records, for messages that are otherwise accepted.
  // An acknowledgement is stored as received, never mapped.
  bool mapping_failed = false;
  if (outcome == hl7::Outcome::kAccept && options.normalize && r.message &&
      r.header->message_code != "ACK") {
    Normalized n = normalize_v2(*r.message, options.mapping);
    if (n.ok()) {
      m.records = std::move(n.records);
      if (gw::Status labeled = labels::label_records(*options.labels, &m.records); !labeled.ok()) {
        // The mapper's own output did not read back: a bug, answered AE/CE
        // 207 and kept in the error queue rather than stored unlabeled.
        m.records.clear();
        mapping_failed = true;
        outcome = hl7::Outcome::kError;
        hl7::Error e;
        e.code = hl7::ErrorCode::kApplicationInternalError;
        e.detail = "the records could not be labeled";
        errors.push_back(std::move(e));
        log::error("label.failed", {{"channel", options.channel}, {"detail", labeled.message()}});
      } else {
        tokenize(store->keys(), &m.records);
        // The store's keyed work on the records (digests, commitments, first
        // seals), here on a worker rather than in submit(), which runs for
        // one message at a time in arrival order.
        store->prepare_records(&m);
      }
    } else if (n.unsupported_type() && options.store_unmapped_types) {
      // Stored as received, no records: counted, not logged per message (a
      // whole feed of such types would flood the log).
      counters.stored_unmapped.fetch_add(1, std::memory_order_relaxed);
    } else {
      mapping_failed = true;
      outcome = hl7::Outcome::kError;
      // The ERR segments name the first problems; the stored error lists them.
      constexpr size_t kMaxErrSegments = 10;
      for (size_t i = 0; i < n.errors.size() && i < kMaxErrSegments; ++i)
        errors.push_back(to_hl7_error(n.errors[i]));
    }
  }

  if (r.header) {
    const hl7::Header& h = *r.header;
    m.sender = sender_key(h);
    m.control_id = h.control_id;
    m.message_type = message_type(h);
    p->header = r.header;
  }
  // The parser's warnings (an undecodable escape kept as literal text, a
  // charset declaration that contradicts the bytes, ...) follow the errors as
  // ERR segments of severity W or I: the sender learns where its message was
  // read leniently, even when it is accepted. They are located, never content.
  std::vector<hl7::Error> ack_errors = errors;
  ack_errors.insert(ack_errors.end(), r.warnings.begin(), r.warnings.end());
  p->answer = answer(p->header.get(), frame, outcome, std::move(ack_errors));
  if (outcome == hl7::Outcome::kAccept && !m.control_id.empty()) {
    // Built now, with the other answer, for the store to keep should the key
    // be taken by other content (decided inside its transaction).
    hl7::Error e;
    e.code = hl7::ErrorCode::kDuplicateKeyIdentifier;
    e.where.segment_id = "MSH";
    e.where.segment_sequence = 1;
    e.where.segment_index = 1;
    e.where.field = 10;
    e.detail =
        "a message with this sender and control id but other content was accepted before; "
        "this one was not processed";
    Answer conflict = answer(p->header.get(), frame, hl7::Outcome::kError, {e});
    p->conflict_decision = conflict.decision;
    m.on_conflict = store::InboundMessage::ConflictAnswer{std::move(conflict.ack), e.to_string()};
  }
  // The parsed Message holds views into `frame`; it is not used past here.
  r.message.reset();

  if (outcome == hl7::Outcome::kAccept) {
    m.status = store::MessageStatus::kAccepted;
  } else {
    m.status = store::MessageStatus::kRejected;
    m.error = join_errors(errors);
    if (mapping_failed) counters.mapping_failures.fetch_add(1, std::memory_order_relaxed);
    if (sender_refused) {
      counters.sender_refused.fetch_add(1, std::memory_order_relaxed);
      // Not the MSH-3/MSH-4 values: the error queue has them for the operator.
      log::warn("message.sender_refused",
                {{"channel", options.channel},
                 {"peer", peer.address},
                 {"certificate", peer.cert_sha256.empty() ? "none" : peer.cert_sha256},
                 {"type", m.message_type},
                 {"control_id", m.control_id},
                 {"ack", hl7::ack_code_text(p->answer.decision.code)}});
    } else {
      log::info(mapping_failed ? "message.not_mapped" : "message.refused",
                {{"channel", options.channel},
                 {"peer", peer.address},
                 {"type", m.message_type},
                 {"control_id", m.control_id},
                 {"ack", hl7::ack_code_text(p->answer.decision.code)},
                 {"errors", m.error}});
    }
  }
  p->status = m.status;
  p->control_id = m.control_id;
  p->peer = peer.address;
  m.ack = p->answer.ack;
  m.raw = std::move(frame);
  return m;
}

// Hands a prepared message to the store and answers once it is durable. Runs
// in the order the frames arrived (InOrder), one at a time.
void commit_frame(store::MessageStore* store, MllpIngest::Counters& counters,
                  store::InboundMessage m, std::shared_ptr<Pending> p) {
  store->submit(std::move(m), [store, &counters, p](store::CommitResult result) {
    const hl7::AckDecision& decided = p->answer.decision;
    const AckMapping mapped = ack_for_commit(result.kind);
    if (mapped.outcome != hl7::Outcome::kAccept) {
      counters.store_failures.fetch_add(1, std::memory_order_relaxed);
      log::error("store.commit_failed", {{"channel", p->channel}, {"detail", result.error}});
      // Not stored: the answer decided before the commit no longer holds.
      hl7::Error e;
      e.code = mapped.code;
      e.detail = std::string(mapped.detail);
      Answer refused = answer(p->header.get(), "", mapped.outcome, {e});
      send_answer(p->reply, refused.decision, std::move(refused.ack));
      return;
    }
    if (result.kind == store::CommitResult::Kind::kDuplicateConflict) {
      counters.duplicate_conflicts.fetch_add(1, std::memory_order_relaxed);
      const hl7::AckDecision& c = p->conflict_decision;
      log::warn("message.duplicate_conflict",
                {{"channel", p->channel},
                 {"peer", p->peer},
                 {"control_id", p->control_id},
                 {"original_id", std::to_string(result.original_id)},
                 {"id", std::to_string(result.id)},
                 {"ack", c.send ? hl7::ack_code_text(c.code) : "none"}});
      // The conflict's acknowledgement as stored with it (the first time it
      // came), so a resend of the conflicting message is answered the same.
      const hl7::AckDecision conflict{c.send && !result.ack.empty(), c.code};
      send_answer(p->reply, conflict, std::move(result.ack));
      return;
    }
    if (result.kind == store::CommitResult::Kind::kDuplicate) {
      counters.duplicates.fetch_add(1, std::memory_order_relaxed);
      log::debug("message.duplicate", {{"channel", p->channel},
                                       {"control_id", p->control_id},
                                       {"original_id", std::to_string(result.id)}});
      // The original's acknowledgement, so a resent message gets the same answer.
      const hl7::AckDecision original{decided.send && !result.ack.empty(), decided.code};
      send_answer(p->reply, original, std::move(result.ack));
      return;
    }
    if (log::enabled(log::Level::kDebug))
      log::debug("message.stored",
                 {{"channel", p->channel},
                  {"id", std::to_string(result.id)},
                  {"control_id", p->control_id},
                  {"status", store::to_string(p->status)},
                  {"ack", decided.send ? hl7::ack_code_text(decided.code) : "none"}});
    if (p->status == store::MessageStatus::kAccepted)
      counters.accepted.fetch_add(1, std::memory_order_relaxed);
    else if (decided.code == hl7::AckCode::kAR || decided.code == hl7::AckCode::kCR)
      counters.rejected.fetch_add(1, std::memory_order_relaxed);
    else
      counters.errors.fetch_add(1, std::memory_order_relaxed);
    send_answer(p->reply, decided, std::move(p->answer.ack));
  });
}

}  // namespace

MllpIngest::MllpIngest(IngestOptions options, store::MessageStore* store)
    : options_(std::move(options)), store_(store), order_(options_.workers.get()) {}

MllpIngest::~MllpIngest() { order_.wait_idle(); }

void MllpIngest::on_frame(const mllp::PeerInfo& peer, std::string frame, mllp::Reply reply) {
  auto p = std::make_shared<Pending>();
  p->reply = std::move(reply);
  p->channel = options_.channel;
  const size_t bytes = frame.size();
  order_.post(bytes,
              [this, p, peer, frame = std::move(frame),
               received_at_ms = now_ms()]() mutable -> InOrder::Continuation {
                auto m = std::make_shared<store::InboundMessage>(prepare_frame(
                    options_, store_, counters_, peer, std::move(frame), received_at_ms, p.get()));
                return [this, p, m] { commit_frame(store_, counters_, std::move(*m), p); };
              });
}

void MllpIngest::on_oversized(const mllp::PeerInfo& peer, std::string head, mllp::Reply reply) {
  hl7::Error e;
  e.code = hl7::ErrorCode::kValueTooLong;
  e.detail = "message exceeds this channel's max_frame_bytes (" +
             std::to_string(options_.max_frame_bytes) + ")";
  // Parse only the head to address the NAK; the body is gone.
  hl7::ParseOptions po = options_.parse;
  po.require_header_fields = false;
  size_t cut = head.rfind('\r');
  hl7::ParseResult r = hl7::parse(
      std::string_view(head).substr(0, cut == std::string::npos ? head.size() : cut), po);

  store::InboundMessage m;
  m.channel = options_.channel;
  m.peer = peer.address;
  m.received_at_ms = now_ms();
  m.status = store::MessageStatus::kRejected;
  m.error = e.to_string();

  auto p = std::make_shared<Pending>();
  p->reply = std::move(reply);
  p->channel = options_.channel;
  p->status = m.status;
  if (r.header) {
    m.sender = sender_key(*r.header);
    m.control_id = r.header->control_id;
    m.message_type = message_type(*r.header);
    p->header = r.header;
  }
  p->answer = answer(p->header.get(), head, hl7::Outcome::kReject, {e});
  r.message.reset();
  log::warn("message.oversized", {{"channel", options_.channel},
                                  {"peer", peer.address},
                                  {"control_id", m.control_id},
                                  {"limit", std::to_string(options_.max_frame_bytes)}});
  m.ack = p->answer.ack;
  m.raw = std::move(head);  // the head only, for the operator's error queue
  // Through the same queue as whole frames, so the store sees this
  // connection's frames in the order they came.
  auto queued = std::make_shared<store::InboundMessage>(std::move(m));
  order_.post(0, [this, p, queued]() -> InOrder::Continuation {
    return [this, p, queued] {
      store_->submit(std::move(*queued), [this, p](store::CommitResult) {
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        send_answer(p->reply, p->answer.decision, std::move(p->answer.ack));
      });
    };
  });
}

IngestStats MllpIngest::stats() const {
  IngestStats s;
  const Counters& c = counters_;
  s.accepted = c.accepted.load();
  s.duplicates = c.duplicates.load();
  s.errors = c.errors.load();
  s.rejected = c.rejected.load();
  s.store_failures = c.store_failures.load();
  s.mapping_failures = c.mapping_failures.load();
  s.stored_unmapped = c.stored_unmapped.load();
  s.duplicate_conflicts = c.duplicate_conflicts.load();
  s.sender_refused = c.sender_refused.load();
  return s;
}

}  // namespace gw::pipeline
