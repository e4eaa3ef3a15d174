// Pulls: this gateway asks a patient's custodian for the patient's records
// (by consortium token, for a purpose), over the member API. The custodian
// decides with the same checks as a push and, if it accepts, records and
// delivers a transfer like any other; the delivery is matched back to the
// request by (custodian, transfer id).
//
// Requests are durable (transfers.db): one that cannot reach the custodian
// is retried with back-off; asking again after a lost answer is harmless,
// since the custodian keys a pull by (requester, request id).
#pragma once

#include <optional>
#include <string>

#include "gateway/peering/peer_types.h"
#include "gateway/transfer/sender.h"
#include "gateway/transfer/transfer_context.h"
#include "gateway/transfer/worker.h"

namespace gw::transfer {

struct PullAsk {
  Address custodian{};
  Hash256 patient_token{};
  uint8_t purpose = 0;
  uint64_t categories = 0;  // 0: all the grant allows
  std::string emergency_reason, study_id;
};

class TransferRequester {
 public:
  explicit TransferRequester(TransferContext& ctx) : ctx_(ctx) {}
  ~TransferRequester() { stop(); }
  TransferRequester(const TransferRequester&) = delete;
  TransferRequester& operator=(const TransferRequester&) = delete;

  // Stores the request and wakes the worker; invalid-argument for a request
  // that cannot be sent (the message names the field).
  Result<PullRequest> ask(const PullAsk& ask);
  // Sends every due request once; returns how many got an answer.
  size_t step();
  void start();
  void stop();

 private:
  void send(const PullRequest& r);

  TransferContext& ctx_;
  Worker worker_;
};

// The custodian's side: POST /peer/v1/requests from the member `request.peer`.
// Answers 200 {"transfer_id", "state", "reason"} for a decision (accepted or
// refused), 400 for a malformed request.
peering::PeerResponse handle_pull_request(TransferSender& sender,
                                          const peering::PeerRequest& request);

}  // namespace gw::transfer
