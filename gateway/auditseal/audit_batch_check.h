// What verify_audit_log cannot see from the file alone, per batch (its
// BatchCheck): the batch's signature verifies with the appliance's
// batch-signing key, and the ledger holds this member's anchor of the batch's
// root with kind `audit`, the same seq range and the same signature.
//
// Not wrong (counted, reported as such, like `gatewayctl ledger verify`): a
// batch not signed yet (the newest ones, while the sealer catches up) and a
// batch not anchored yet. Wrong: a bad signature; an unsigned batch older
// than a signed one (the sealer signs in order, so its signature was
// removed); an unsigned batch the file or the ledger says was anchored; a
// batch the file says was anchored that the ledger does not hold; a ledger
// anchor of another kind, range or signature.
//
// Messages name batch ids, seqs, hashes and transactions, never entry
// contents.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/anchoring/batch_audit.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_verify.h"
#include "gateway/base/status.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rpc/eth_client.h"

namespace gw::auditseal {

// Where the anchors are: the node, the AuditAnchor contract, this member.
struct AnchorLedger {
  ledger::EthClient* eth = nullptr;  // must outlive the checker
  ledger::Address anchors{};
  ledger::Address member{};
};

struct BatchTally {
  int64_t batches = 0;
  int64_t signature_ok = 0;
  int64_t not_signed_yet = 0;
  int64_t anchored = 0;          // found on the ledger as expected
  int64_t not_anchored_yet = 0;  // neither the ledger nor the file says it is
  int64_t anchors_not_checked = 0;
};

class AuditBatchChecker {
 public:
  // `batch_key_pem`: KeyStore::batch_signing_public_key(). `last_signed_id`:
  // the newest signed batch's id, read before verification starts (0: none);
  // any older batch must be signed. `ledger`: none to check signatures only.
  static Result<std::unique_ptr<AuditBatchChecker>> create(const std::string& batch_key_pem,
                                                           int64_t last_signed_id,
                                                           std::optional<AnchorLedger> ledger);

  // ok, or what is wrong with `b`. A ledger node that fails mid-run is noted
  // in ledger_problem() and later anchors are not checked (not an error).
  Status check(const audit::AuditBatch& b);
  // check() as verify_audit_log's callback; the checker must outlive it.
  audit::BatchCheck callback() {
    return [this](const audit::AuditBatch& b) { return check(b); };
  }

  const BatchTally& tally() const { return tally_; }
  // Empty, or why anchors stopped being checked.
  const std::string& ledger_problem() const { return ledger_problem_; }

 private:
  AuditBatchChecker(anchoring::BatchSignatureVerifier verifier, int64_t last_signed_id,
                    std::optional<AnchorLedger> ledger)
      : verifier_(std::move(verifier)), last_signed_id_(last_signed_id), ledger_(ledger) {}
  // anchorOf(member, root), or nullopt when the node failed (noted).
  std::optional<ledger::consortium::AnchorRecord> anchor_record(const audit::AuditBatch& b);
  // This member's Anchored event of `root` in `block` (cached per block).
  Result<std::optional<ledger::consortium::Anchored>> anchored_event(uint64_t block,
                                                                     const ledger::Hash256& root);
  Status check_anchor(const audit::AuditBatch& b);

  anchoring::BatchSignatureVerifier verifier_;
  int64_t last_signed_id_;
  std::optional<AnchorLedger> ledger_;
  std::string ledger_problem_;
  std::map<uint64_t, std::vector<ledger::consortium::Anchored>> events_by_block_;
  BatchTally tally_;
};

}  // namespace gw::auditseal
