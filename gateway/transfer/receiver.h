// The recipient's side of a transfer: the member API's delivery handler.
//
// A delivery is accepted only when all of this holds, checked in this order
// (the first failure is the answer):
//   1. it is an envelope within the size limits, sent by the member whose
//      certificate made the call, addressed to this gateway;
//   2. it was not received before (then it is answered as stored again,
//      and nothing changes: a sender's retry after a lost answer);
//   3. the sender is an active member;
//   4. the TransferRecorded event (sender, id) is final in the consortium
//      view (not yet: 503, the sender comes back later);
//   5. it opens with one of this gateway's payload keys and was sealed with
//      the sender's registered key;
//   6. it names the same transfer as the event: recipient, patient token,
//      purpose, and a root equal to the recorded commitment;
//   7. every record matches its commitment and the commitments give the root;
//   8. every record is a valid FHIR R4 resource of its stated type and id, and
//      none would overwrite a record of this gateway's own (or another
//      sender's) under the same id.
// Then the records and a Provenance (sender organization, transfer id,
// transaction, purpose, emergency reason) are stored in one message-store
// commit, and the delivery is answered stored. Refusals are answered with a
// reason code both sides log, recorded here, and nothing is stored.
#pragma once

#include "gateway/peering/peer_types.h"
#include "gateway/transfer/transfer_context.h"

namespace gw::transfer {

class TransferReceiver {
 public:
  explicit TransferReceiver(TransferContext& ctx) : ctx_(ctx) {}

  // POST /peer/v1/transfers.
  peering::PeerResponse handle_delivery(const peering::PeerRequest& request);

 private:
  TransferContext& ctx_;
};

// The channel and message type received transfers are stored under (the
// message store's sender is "member:0x<account>", the control id the
// transfer id).
inline constexpr char kPeerChannel[] = "peer";
inline constexpr char kTransferMessageType[] = "TRANSFER";
std::string peer_sender_key(const Address& member);

}  // namespace gw::transfer
