// gatewayd's transfer room, assembled: the custodian's sender, the
// recipient's receiver and the requester for pulls, over one transfer store,
// with the member-to-member listener (peering) routing deliveries and pull
// requests to them, and the FHIR operations through which a hospital's own
// systems start transfers:
//
//   POST [base]/Patient/{id}/$transfer    push this patient's records to a member
//   POST [base]/$request-transfer         ask a member (the custodian) for a patient
//
// Both take a Parameters resource (README, "Transfers"): recipient / custodian
// (valueIdentifier: the member's org_id), purpose (valueCode or valueCoding,
// v3 ActReason), category (0..*, valueCode: record categories), reason
// (valueString, emergency access), study (valueString, research), and for a
// pull patient (valueIdentifier: one of the patient's identifiers).
#pragma once

#include <memory>

#include "gateway/base/status.h"
#include "gateway/peering/peer_server.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/transfer/receiver.h"
#include "gateway/transfer/requester.h"
#include "gateway/transfer/sender.h"
#include "gateway/transfer/transfer_context.h"

namespace gw::transfer {

class TransferService {
 public:
  // Opens the transfer store at `transfers_path`, starts the workers and,
  // when `peering` is set, the member-to-member listener. `ctx.transfers` is
  // set here.
  static Result<std::unique_ptr<TransferService>> start(
      TransferContext ctx, const std::string& transfers_path,
      std::optional<peering::PeerServerOptions> peering);
  ~TransferService();  // stop()
  TransferService(const TransferService&) = delete;
  TransferService& operator=(const TransferService&) = delete;

  // Stops the listener first (no new deliveries), then the workers.
  void stop();

  // The FHIR operations above, for the REST server's ApiOptions::extensions,
  // and their entries for the CapabilityStatement.
  rest::ExtensionHandler rest_extension();
  static std::vector<rest::CapabilityOperation> operations();

  uint16_t peering_port() const;
  TransferSender& sender() { return *sender_; }
  TransferRequester& requester() { return *requester_; }
  TransferReceiver& receiver() { return *receiver_; }
  TransferStore& store() { return *store_; }

 private:
  TransferService() = default;
  std::optional<rest::ApiResult> handle_rest(const rest::ExtensionRequest& r);
  rest::ApiResult push(const std::string& patient_id, const fhir::JsonValue* parameters,
                       const rest::RestRequest& http);
  rest::ApiResult pull(const fhir::JsonValue* parameters);

  std::unique_ptr<TransferStore> store_;
  std::unique_ptr<TransferContext> ctx_;
  std::unique_ptr<TransferSender> sender_;
  std::unique_ptr<TransferReceiver> receiver_;
  std::unique_ptr<TransferRequester> requester_;
  std::unique_ptr<peering::PeerServer> server_;
};

}  // namespace gw::transfer
