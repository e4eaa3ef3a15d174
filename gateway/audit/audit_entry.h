// One audit entry: who did what to which resource of which patient, why, and
// how it ended. Entries are what the audit trail hashes, chains, encrypts and
// batches (audit_log.h); this header holds the value type, its checks and its
// canonical byte encoding.
//
// No PHI: an entry names a patient only by consortium token (a keyed
// pseudonym, gateway/crypto/tokenizer.h), never by name, MRN or birth date,
// and `detail` is free text that callers promise holds none (it is bounded and
// printable ASCII so that nothing like a message body fits in by accident).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/status.h"

namespace gw::audit {

// Who acted. Written as "client:NAME", "operator" (gatewayctl on the
// appliance), "member:0x<40 hex>" (another consortium member) or "anonymous".
enum class ActorKind : uint8_t { kClient = 1, kOperator = 2, kMember = 3, kAnonymous = 4 };

struct Actor {
  ActorKind kind = ActorKind::kAnonymous;
  std::string id;  // client name or member address; empty for operator and anonymous

  // The written form above (also the searchable "who" of the log).
  std::string to_string() const;
  // Parses the written form; invalid-argument if it is not one.
  static Result<Actor> parse(std::string_view text);
  bool operator==(const Actor&) const = default;
};

// The interaction: FHIR's interaction codes plus the gateway's own events.
enum class Action : uint8_t {
  kRead = 1,
  kVread,
  kSearch,
  kCreate,
  kUpdate,
  kDelete,
  kTransactionEntry,
  kExport,
  kConsentChange,
  kTransferSent,
  kTransferReceived,
  kTransferRefused,
  kEmergencyAccess,
  kAdmin,
  kAttestation,
  kConfigLoad,
  kAuthFailure,
  kOperation,  // a FHIR operation ($name) that is none of the above
};
inline constexpr uint8_t kMaxAction = static_cast<uint8_t>(Action::kOperation);

// "read", "vread", ..., "transaction-entry", "auth-failure".
std::string_view action_name(Action action);
std::optional<Action> parse_action(std::string_view name);

enum class OutcomeKind : uint8_t {
  kSuccess = 1,  // done
  kRefused = 2,  // not allowed: authentication, scope, consent, bad input
  kFailed = 3,   // allowed but the gateway could not do it (server error)
};
std::string_view outcome_name(OutcomeKind kind);  // "success" | "refused" | "failed"

struct Outcome {
  OutcomeKind kind = OutcomeKind::kSuccess;
  int http_status = 0;  // 0 when there is none (CLI, transfers); else 100..599
  std::string reason;   // a code such as "scope" or "consent-denied"; may be empty
  bool operator==(const Outcome&) const = default;
};

using PatientToken = std::array<uint8_t, 32>;

// Bounds of the text fields (bytes). Every text field is printable ASCII.
inline constexpr size_t kMaxActorIdBytes = 64;
inline constexpr size_t kMaxSourceBytes = 64;  // an IPv6 address with port and zone fits
inline constexpr size_t kMaxResourceTypeBytes = 64;
inline constexpr size_t kMaxResourceIdBytes = 64;  // FHIR ids are at most 64
inline constexpr size_t kMaxPurposeBytes = 64;
inline constexpr size_t kMaxReasonBytes = 64;
inline constexpr size_t kMaxDetailBytes = 256;
// No valid encoding is longer than this; decoders refuse longer input first.
inline constexpr size_t kMaxEncodedEntryBytes = 1024;

struct AuditEntry {
  int64_t time_ms = 0;  // Unix ms
  Actor actor;
  std::string source;  // the peer's address ("10.0.0.5:51234"); empty for local
  Action action = Action::kRead;
  std::string resource_type;            // may be empty
  std::string resource_id;              // may be empty
  std::optional<PatientToken> patient;  // consortium token, when a patient is concerned
  std::string purpose;                  // purpose-of-use code (e.g. "TREAT"); may be empty
  Outcome outcome;
  std::string detail;  // no PHI, by the caller's promise

  bool operator==(const AuditEntry&) const = default;
};

// ok, or invalid-argument naming the field that breaks a bound (never its value).
Status validate(const AuditEntry& entry);

// The canonical bytes of a valid entry (what is hashed and encrypted):
//   "GWAE" | version 0x01 | time (int64 BE) | actor kind (1) | actor id |
//   source | action (1) | resource type | resource id | patient flag (1)
//   [| token (32)] | purpose | outcome kind (1) | HTTP status (uint16 BE) |
//   reason | detail
// where each text field is a uint16 BE length then its bytes. One entry has
// exactly one encoding (no optional padding, no field order freedom), so its
// hash is well defined.
std::string encode(const AuditEntry& entry);
// The inverse; invalid-argument for anything that is not exactly one valid
// encoding (bad magic or version, a length past the end, trailing bytes, an
// unknown kind, a field that breaks its bound).
Result<AuditEntry> decode(std::string_view bytes);

}  // namespace gw::audit
