// The MLLP ingest pipeline of one channel: frame -> parse -> check -> store
// (group commit) -> acknowledge.
//
// Durability contract: a positive acknowledgement (AA/CA) is sent only from
// the store's commit callback, i.e. after the message is in SQLite with
// synchronous=FULL. A message the store cannot commit is answered AR/CR with
// code 207 so the sender keeps it and retries. Rejected messages (AE/AR) are
// stored too, in the error queue, so an operator can see what was refused.
//
// Duplicates (gateway/store/message_store.h): a resend of an accepted
// message (same MSH-3/MSH-4 and MSH-10, same content fingerprint) gets the
// original's acknowledgement and stores nothing. The same key with other
// content is a duplicate conflict: answered AE/CE with ERR code 205
// (duplicate key identifier), kept once in the error queue, counted and
// logged (message.duplicate_conflict). It is never answered with the
// original's AA: a forger who guesses the next MSH-10 must not make the real
// message vanish behind the forger's acknowledgement.
//
// Sender rules (sender_rules.h): on a channel with rules, a message whose
// MSH-3/MSH-4 no rule allows on its connection is answered AR/CR with ERR
// code 207 (detail "sender not allowed on this connection"), kept in the
// error queue without records, counted and logged (message.sender_refused).
// AR, not AE: nothing in the message is wrong; the sender may resend once the
// operator has allowed it, and nothing is lost meanwhile. 207 (application
// error) rather than 204 (unknown key identifier, a key in the message's
// content, e.g. the patient to update): table 0357 has no "not authorized",
// and 207 with that text is what engines commonly send for a refusal by
// policy.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/mllp/server.h"
#include "adapters/v2fhir/mapping_config.h"
#include "gateway/labels/label_rules.h"
#include "gateway/pipeline/sender_rules.h"
#include "gateway/pipeline/work_pool.h"
#include "gateway/store/message_store.h"

namespace gw::pipeline {

struct IngestOptions {
  std::string channel;
  hl7::ParseOptions parse;
  std::vector<std::string> processing_ids{"P", "T", "D"};  // MSH-11.1 values accepted
  size_t max_frame_bytes = 1 << 20;                        // for the oversized-frame NAK text
  // Accepted messages (other than ACKs) are normalized to FHIR records with
  // this mapping and stored with them; a message that cannot be mapped is
  // stored in the error queue and answered AE/CE.
  bool normalize = true;
  v2fhir::MappingConfig mapping;
  // A message type the mapper does not support is accepted (AA/CA) and stored
  // without records instead of answered AE/CE ([channel] unmapped_types).
  bool store_unmapped_types = false;
  // Sensitivity labels for the normalized records ([labels]); never null.
  std::shared_ptr<const labels::LabelRules> labels = labels::default_rules();
  // Which senders may arrive from which connections; never null (empty: any).
  std::shared_ptr<const SenderRules> senders = std::make_shared<const SenderRules>();
  // Where frames are parsed, mapped, labeled and tokenized (work_pool.h):
  // shared by the channels, one thread per core by default. Null: on the
  // event-loop thread that read the frame.
  std::shared_ptr<WorkPool> workers;
};

struct IngestStats {
  uint64_t accepted = 0, duplicates = 0, errors = 0, rejected = 0, store_failures = 0;
  // Answered AE/CE 205: same sender and MSH-10 as an accepted message, other
  // content (not in errors).
  uint64_t duplicate_conflicts = 0;
  // Answered AR/CR 207: the sender is not allowed on its connection (also in rejected).
  uint64_t sender_refused = 0;
  uint64_t mapping_failures = 0;  // answered AE/CE because normalization failed (also in errors)
  uint64_t stored_unmapped =
      0;  // accepted without records: an unsupported type, unmapped_types = "store"
};

class MllpIngest : public mllp::FrameHandler {
 public:
  MllpIngest(IngestOptions options, store::MessageStore* store);
  // Waits for every frame handed to the store (their answers follow the commit).
  ~MllpIngest() override;

  void on_frame(const mllp::PeerInfo& peer, std::string frame, mllp::Reply reply) override;
  void on_oversized(const mllp::PeerInfo& peer, std::string head, mllp::Reply reply) override;

  IngestStats stats() const;
  const std::string& channel() const { return options_.channel; }

  // What stats() reads; counted from the workers and the store's thread.
  struct Counters {
    std::atomic<uint64_t> accepted{0}, duplicates{0}, errors{0}, rejected{0}, store_failures{0},
        mapping_failures{0}, stored_unmapped{0}, duplicate_conflicts{0}, sender_refused{0};
  };

 private:
  IngestOptions options_;
  store::MessageStore* store_;  // not owned; outlives this handler
  Counters counters_;
  // Last: destroyed first, after waiting for the jobs that use the rest.
  InOrder order_;
};

// Maps the configuration's default_charset value ("auto", "ASCII", "8859/1",
// "UNICODE UTF-8") to the parser option; unknown values give "auto".
hl7::DefaultCharset charset_option(const std::string& name);

// ACK MSH-10 values: unique per process run and across restarts (time-based
// prefix plus a counter), at most 20 characters (the v2.5 ST length of MSH-10).
std::string next_ack_control_id();
// Current time as an HL7 DTM with seconds and UTC offset: YYYYMMDDHHMMSS+0000.
std::string hl7_now();

}  // namespace gw::pipeline
