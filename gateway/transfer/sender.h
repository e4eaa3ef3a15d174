// The custodian's side of a transfer: deciding, building, recording,
// delivering.
//
// request() decides at once, from the local consortium view (no RPC): the
// recipient is an active member other than this gateway; some token of the
// patient has a consent grant that permits the recipient and purpose now
// (or, for ETREAT with a named reason, the emergency policy lets it through
// and no deny stands). A refusal is stored and returned with its reason
// code (the contract's names: NO_CONSENT, REVOKED, DENIED, ...). An accepted
// transfer is stored in state preparing with the scope it was granted.
//
// The workers (start(); step() runs one round of each) then move each open
// transfer on, and after a restart resume each at its state:
//   preparing -> select the records within the scope (record_selection.h;
//                research: de-identified, deid/safe_harbor.h), seal them to
//                the recipient's registered payload key -> prepared
//   prepared  -> TransferLog entry into the ledger outbox (batched with
//                others), commitment = the records' Merkle root -> recording
//   recording -> the outbox item final: recorded (seen in the view, with its
//                transaction and emergency flag), or refused by the contract
//                (e.g. the consent was revoked meanwhile) / failed
//   recorded  -> POST the sealed payload to the recipient's member API;
//                delivered when it answers stored, failed when it refuses for
//                good, retried with back-off while it is unreachable.
// Nothing is delivered before it is final on chain, and a transfer id is
// recorded and delivered once whatever is retried.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/transfer/transfer_context.h"
#include "gateway/transfer/worker.h"

namespace gw::transfer {

struct TransferAsk {
  Address recipient{};
  // The patient: a stored Patient's id (push), or a consortium token (pull).
  std::optional<std::string> patient_id;
  std::optional<Hash256> patient_token;
  uint8_t purpose = 0;               // ConsentRegistry purpose code
  uint64_t categories = 0;           // narrows the grant; 0 = all it allows
  std::string emergency_reason;      // ETREAT without a grant: required
  std::string study_id;              // HRESCH: required, [A-Za-z0-9.-]{1,64}
  std::optional<Address> requester;  // pull: who asked, and their request id
  std::string request_id;
  // The local client (or operator) who asked, for the audit trail's
  // transfer-sent and emergency-access entries. Kept in memory only: after a
  // restart, or when unset, the entries name the other member instead.
  std::optional<audit::Actor> asked_by;
};

class TransferSender {
 public:
  explicit TransferSender(TransferContext& ctx) : ctx_(ctx) {}
  ~TransferSender() { stop(); }
  TransferSender(const TransferSender&) = delete;
  TransferSender& operator=(const TransferSender&) = delete;

  // Decides and stores. The result is the stored transfer (state preparing,
  // or refused with the reason in `detail`); an error only when the request
  // itself is malformed (invalid-argument: the message says which field) or
  // the transfer store fails.
  Result<OutgoingTransfer> request(const TransferAsk& ask);

  // One round of each worker (below), in turn; returns how many transfers
  // changed state.
  size_t step();

  // Two worker threads: the pipeline (preparing -> prepared -> recording ->
  // recorded), and deliveries (recorded -> delivered), so that a recipient
  // that is slow to answer never holds up building and recording. Each takes
  // every due transfer of its states per round, works on several at once and
  // writes the round's state changes in one commit.
  void start();
  void stop();

 private:
  struct Built;
  struct Attempt;
  // The recipients a round's deliveries found unreachable.
  class Unreachable {
   public:
    bool contains(const Address& a) {
      std::lock_guard lock(mu_);
      return set_.count(a) != 0;
    }
    void add(const Address& a) {
      std::lock_guard lock(mu_);
      set_.insert(a);
    }

   private:
    std::mutex mu_;
    std::set<Address> set_;
  };

  size_t pipeline_round();
  size_t delivery_round();
  Built build(const OutgoingTransfer& t) const;
  void apply_built(OutgoingTransfer& t, Built& b);
  void enqueue(const std::vector<OutgoingTransfer*>& prepared);
  bool check_recorded(OutgoingTransfer& t);
  Attempt attempt_delivery(OutgoingTransfer& t, Unreachable& unreachable);
  void apply_attempt(OutgoingTransfer& t, const Attempt& a);
  Status reseal_if_rekeyed(OutgoingTransfer& t, const consortium::MemberEntry& recipient);
  void finish(OutgoingTransfer& t, OutgoingState state, const std::string& detail);
  void retry_later(OutgoingTransfer& t, const std::string& reason);
  int64_t now() const;
  // The audit trail (transfer_audit.h; sender_audit.cc).
  audit::Actor actor_of(const OutgoingTransfer& t);
  Status audit_emergency(const TransferAsk& ask, const OutgoingRequest& r, audit::Outcome outcome,
                         int64_t at);
  void audit_delivered(std::vector<OutgoingTransfer>& ts, std::vector<Attempt>& attempts);
  Status audit_pull_refused(const TransferAsk& ask, audit::Outcome outcome, int64_t at);
  Status audit_sent(const std::vector<const OutgoingTransfer*>& delivered);

  TransferContext& ctx_;
  std::mutex asked_mu_;
  std::map<int64_t, audit::Actor> asked_by_;  // transfer id -> who asked (see TransferAsk)
  Worker pipeline_worker_, delivery_worker_;
};

// ETREAT, HRESCH: the purposes with rules of their own.
inline constexpr uint8_t kPurposeEtreat = 1, kPurposeHresch = 4;

}  // namespace gw::transfer
