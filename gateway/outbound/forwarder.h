// One destination's protocol: how a stored message is delivered and what the
// destination's answer means for the queue. Implementations:
//  - FHIR (fhir_forwarder.cc): the message's normalized records as one FHIR
//    transaction Bundle, POSTed to the server's base URL over HTTPS; for a
//    received transfer, the records it stored (stored_payload.cc);
//  - MLLP (mllp_forwarder.cc): the message as received, over MLLP, confirmed
//    by the receiver's ACK.
// A forwarder is used by one sender thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/mllp/client.h"
#include "adapters/v2fhir/mapping_config.h"
#include "gateway/base/status.h"
#include "gateway/outbound/outbound_queue.h"
#include "gateway/store/message_store.h"

namespace gw::outbound {

struct Delivery {
  enum class Kind {
    kDelivered,  // the destination has it: remove from the queue
    kSkipped,    // nothing to forward for this message: remove, counted apart
    kRetry,      // transient (unreachable, timeout, 5xx, no or unclear ACK): try again later
    kRejected,   // the destination refused this message for good: dead letter
  };
  Kind kind = Kind::kRetry;
  std::string detail;  // fixed text, codes and statuses only, never message content
};

class Forwarder {
 public:
  virtual ~Forwarder() = default;
  // `raw` is the message as stored (the frame as received).
  virtual Delivery deliver(const QueueItem& item, const std::string& raw) = 0;
};

// How FHIR transactions address their entries.
enum class FhirRequestStyle {
  // The Bundle as the mapping makes it: conditional updates on business
  // identifiers (PUT Type?identifier=system|value); MessageHeader and
  // Provenance by their deterministic id. For FHIR servers that match
  // existing resources by identifier (HAPI, gatewayd, most EHR-facing servers).
  kConditional,
  // PUT Type/<deterministic id> (the id the mapping derives from the
  // business identifiers), for servers that take client-assigned ids but no
  // conditional writes in a transaction.
  kById,
};

// What a FHIR destination builds its transaction from.
enum class FhirSource {
  // The stored HL7 v2 message, mapped again as the channel maps it (a
  // channel's messages).
  kMappedV2,
  // The record versions the message stored (stored_records_payload): a
  // received transfer, whose stored raw is a sealed envelope, not HL7 v2.
  // Needs `store`.
  kStoredRecords,
};

struct FhirForwarderOptions {
  std::string url;      // https://host[:port][/path]; user:password@ = HTTP Basic (never logged)
  std::string ca_file;  // trust anchors; empty: the system store
  std::string client_cert_file, client_key_file;  // optional mutual TLS
  std::string bearer_token_file;  // optional: "Authorization: Bearer <file content>"
  FhirRequestStyle style = FhirRequestStyle::kConditional;
  std::chrono::milliseconds timeout{30000};  // connect, and each send and receive
  // How the channel's messages are read and mapped (as the ingest does).
  hl7::ParseOptions parse;
  v2fhir::MappingConfig mapping;
  // Where the merged versions of partial resources are read (see
  // fhir_payload); not owned, may be null (the mapped part is sent).
  store::MessageStore* store = nullptr;
  FhirSource source = FhirSource::kMappedV2;
};

// Checks the URL and the TLS and token files; connects later, per delivery.
Result<std::unique_ptr<Forwarder>> make_fhir_forwarder(FhirForwarderOptions options);

struct MllpForwarderOptions {
  std::string host;
  uint16_t port = 0;
  std::chrono::milliseconds timeout{30000};   // connect, send, and waiting for the ACK
  std::optional<mllp::ClientTlsOptions> tls;  // MLLP over TLS when set
};

std::unique_ptr<Forwarder> make_mllp_forwarder(MllpForwarderOptions options);

// What an HTTP status from a FHIR server means for the item (exposed for tests).
Delivery::Kind classify_http_status(int status);
// What an MLLP ACK means for the item sent with MSH-10 `control_id` (exposed
// for tests).
Delivery classify_ack(const std::string& ack, const std::string& control_id);

// The stored JSON of record (type, id) as the message being forwarded left
// it; nullopt when the store has none.
using StoredRecordLookup =
    std::function<std::optional<std::string>(const std::string& type, const std::string& id)>;

// The transaction Bundle of `raw` for a FHIR destination, as JSON text; an
// empty string with kSkipped when the message has nothing to forward (an ACK,
// a type stored without records), kRejected when it no longer maps.
// A resource the message carries only in part (an MDM notification without
// the document's content, an SIU that names some participants) was merged
// with the stored version when it was stored; with `stored`, the entry sends
// that merged resource, so that the destination's copy is not cut down to
// the part. Its references to resources of the Bundle become their fullUrls
// again; others stay "Type/id" (the ids this gateway holds, which another
// gatewayd receiving the Bundle also gives them).
struct FhirPayload {
  Delivery::Kind kind = Delivery::Kind::kDelivered;
  std::string detail;
  std::string json;
};
FhirPayload fhir_payload(const std::string& raw, const hl7::ParseOptions& parse,
                         const v2fhir::MappingConfig& mapping, FhirRequestStyle style,
                         const StoredRecordLookup& stored = {});

// The transaction Bundle of the record versions one message stored (seq
// order; a received transfer's records and its Provenance), as JSON text.
// kById: every entry PUT Type/<id>. kConditional: a record whose id is a uuid
// and that has an identifier with system and value is a conditional update
// on it (fullUrl urn:uuid:<id>, the others' references to it rewritten to
// that), every other record PUT Type/<id>. kSkipped with no records,
// kRejected when a stored record does not parse or is not what it is stored as.
FhirPayload stored_records_payload(const std::vector<store::StoredRecord>& records,
                                   FhirRequestStyle style);

}  // namespace gw::outbound
