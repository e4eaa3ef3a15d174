// Durable transfer state, in one SQLite file beside the message store
// (<state_dir>/transfers.db, mode 0600), for both sides of a transfer:
//
//  - outgoing: what this gateway, as a patient's custodian, decided to send.
//    The row id IS the on-chain transfer id (TransferLog ids are the sender's
//    own numbering), so a transfer is recorded and delivered under the same
//    id however often either step is retried: the ledger ignores a recorded
//    id, and the recipient one it stored.
//  - incoming: what other members delivered here, by (sender, transfer id).
//  - requests: the pulls this gateway asked other members for.
//
// A transfer moves forward only. Outgoing: preparing (decided; payload not
// built) -> prepared (payload built and sealed: the bytes the chain's root
// commits to are fixed from here on) -> recording (in the ledger outbox) ->
// recorded (final on chain) -> delivered; or refused (by this gateway's
// checks or by the contract) / failed (the recipient refused it for good, or
// it cannot be built). After a crash each open row resumes at its state.
//
// The sealed payload is stored as sealed: readable only with the payload
// keys (crypto_box is symmetric between the two parties), which the TPM
// holds. Everything else here is tokens, accounts, codes and counts: no PHI.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/transfer/payload.h"

namespace gw::transfer {

enum class OutgoingState : int {
  kPreparing = 0,
  kPrepared = 1,
  kRecording = 2,
  kRecorded = 3,
  kDelivered = 4,
  kRefused = 5,
  kFailed = 6,
};
std::string_view outgoing_state_name(OutgoingState s);  // "preparing", ...
std::optional<OutgoingState> outgoing_state_from_name(std::string_view name);
inline bool is_final(OutgoingState s) { return s >= OutgoingState::kDelivered; }

struct OutgoingRequest {
  Address recipient{};
  Hash256 patient_token{};  // the token the consent was checked under (and goes on chain)
  uint8_t purpose = 0;
  // The scope decided when the transfer was accepted: the categories sent
  // (the grant's, narrowed to those asked for) and the labels kept home.
  uint64_t categories = 0;
  uint64_t exclusions = 0;
  bool emergency = false;        // sent under the emergency-access policy
  std::string emergency_reason;  // the requesting system's named reason (not logged)
  std::string study_id;          // research transfers: the study the pseudonyms belong to
  // Pull requests: who asked and their request id (idempotency: asking again
  // returns the same transfer). Empty for pushes.
  std::optional<Address> requester;
  std::string request_id;
};

struct OutgoingTransfer {
  int64_t id = 0;  // the transfer id on chain
  OutgoingRequest request;
  OutgoingState state = OutgoingState::kPreparing;
  std::string detail;  // why refused or failed, or the last retry's reason (no PHI)
  int64_t record_count = 0;
  std::optional<Hash256> root;
  std::string envelope;  // the sealed payload (prepared and later)
  std::optional<int64_t> outbox_seq;
  std::string tx_hash;             // recorded: the TransferLog transaction
  bool flagged_emergency = false;  // recorded with FLAG_EMERGENCY
  int attempts = 0;                // failed delivery attempts
  int64_t next_attempt_ms = 0;
  int64_t created_ms = 0, updated_ms = 0;
};

enum class IncomingState : int { kStored = 0, kRefused = 1 };
struct IncomingTransfer {
  Address sender{};
  uint64_t transfer_id = 0;
  IncomingState state = IncomingState::kStored;
  std::string detail;  // refused: why
  Hash256 patient_token{};
  uint8_t purpose = 0;
  int64_t record_count = 0;
  int64_t message_id = 0;  // stored: the message store row that holds the records
  std::string tx_hash;
  bool emergency = false;
  std::optional<int64_t> request_id;  // the pull request it answers, if any
  int64_t received_ms = 0;
};

enum class RequestState : int { kPending = 0, kAccepted = 1, kRefused = 2, kReceived = 3 };
std::string_view request_state_name(RequestState s);
struct PullRequest {
  int64_t id = 0;  // sent as the request id
  Address custodian{};
  Hash256 patient_token{};
  uint8_t purpose = 0;
  uint64_t categories = 0;
  std::string emergency_reason, study_id;
  RequestState state = RequestState::kPending;
  std::optional<uint64_t> transfer_id;  // the custodian's transfer, once accepted
  std::string detail;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  int64_t created_ms = 0, updated_ms = 0;
};

class TransferStore {
 public:
  // Opens or creates the file (mode 0600). Refuses a file of another schema.
  static Result<std::unique_ptr<TransferStore>> open(const std::string& path);
  // Opens an existing file read-only, creating and migrating nothing: for
  // gatewayctl beside a running gatewayd (WAL: readers and the writer do not
  // block each other). not-found when there is no file, failed-precondition
  // for a file of another schema; every write then fails.
  static Result<std::unique_ptr<TransferStore>> open_read_only(const std::string& path);
  ~TransferStore();
  TransferStore(const TransferStore&) = delete;
  TransferStore& operator=(const TransferStore&) = delete;

  // --- outgoing ---
  // A new transfer in state preparing, durable when this returns (callers on
  // several threads at once share one commit); returns its id. A pull request already
  // seen (same requester and request id) returns the existing transfer's id
  // and creates nothing.
  Result<int64_t> create_outgoing(const OutgoingRequest& request, int64_t now_ms);
  // Created refused at once (a check failed before anything was built): kept
  // so that the refusal is visible and the pull is answered the same way again.
  Result<int64_t> create_refused(const OutgoingRequest& request, std::string_view reason,
                                 int64_t now_ms);
  Result<std::optional<OutgoingTransfer>> outgoing(int64_t id);
  Result<std::optional<OutgoingTransfer>> outgoing_by_request(const Address& requester,
                                                              std::string_view request_id);
  // preparing -> prepared.
  Status set_prepared(int64_t id, const Hash256& root, int64_t record_count,
                      const std::string& envelope, int64_t now_ms);
  // prepared -> recording.
  Status set_recording(int64_t id, int64_t outbox_seq, int64_t now_ms);
  // recording -> recorded.
  Status set_recorded(int64_t id, const std::string& tx_hash, bool emergency, int64_t now_ms);
  // A recorded transfer's payload sealed again with keys that moved on
  // (same records and root; only the envelope changes).
  Status replace_envelope(int64_t id, const std::string& envelope, int64_t now_ms);
  // Any open state -> delivered / refused / failed.
  Status finish_outgoing(int64_t id, OutgoingState state, std::string_view detail, int64_t now_ms);
  // A delivery attempt failed but may succeed later.
  Status delay_outgoing(int64_t id, std::string_view reason, int64_t next_attempt_ms,
                        int64_t now_ms);
  // Open transfers due at `now_ms` (next_attempt_ms <= now), oldest first;
  // optionally only those in the states first..last.
  Result<std::vector<OutgoingTransfer>> due_outgoing(int64_t now_ms, size_t limit);
  Result<std::vector<OutgoingTransfer>> due_outgoing(int64_t now_ms, size_t limit,
                                                     OutgoingState first, OutgoingState last);
  // Runs `body`, whose calls to this store's methods (but create_outgoing and
  // create_refused, which commit in groups of their own) then land in one SQLite
  // transaction: one fsync for a whole round of state changes instead of one
  // each. Other threads' calls wait meanwhile. A statement that fails inside
  // reports its error to its caller as usual and the others still commit; an
  // error here (the commit itself failed) means none of them took effect.
  Status in_one_commit(const std::function<void()>& body);
  // Newest first, without envelopes; optionally only those of one patient token.
  Result<std::vector<OutgoingTransfer>> list_outgoing(std::optional<Hash256> patient_token,
                                                      size_t limit);

  // --- incoming ---
  // Records an incoming transfer's outcome; a second call for the same
  // (sender, id) changes nothing and returns already-exists.
  Status record_incoming(const IncomingTransfer& t);
  Result<std::optional<IncomingTransfer>> incoming(const Address& sender, uint64_t transfer_id);
  Result<std::vector<IncomingTransfer>> list_incoming(size_t limit);

  // --- pull requests ---
  Result<int64_t> create_request(const PullRequest& r, int64_t now_ms);
  Result<std::optional<PullRequest>> request(int64_t id);
  Status update_request(int64_t id, RequestState state, std::optional<uint64_t> transfer_id,
                        std::string_view detail, int64_t now_ms);
  Status delay_request(int64_t id, std::string_view reason, int64_t next_attempt_ms,
                       int64_t now_ms);
  Result<std::vector<PullRequest>> due_requests(int64_t now_ms, size_t limit);
  // The request whose custodian transfer is (custodian, transfer id), if any.
  Result<std::optional<PullRequest>> request_for_transfer(const Address& custodian,
                                                          uint64_t transfer_id);
  Result<std::vector<PullRequest>> list_requests(size_t limit);

 private:
  TransferStore() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::transfer
