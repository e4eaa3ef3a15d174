// What both sides of a transfer work with, borrowed from gatewayd's other
// rooms (each outlives the transfer services): the record store, the
// consortium view, the ledger outbox, the payload keys, the transfer state
// and the member-to-member client.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gateway/audit/audit_log.h"
#include "gateway/consortium/consortium_view.h"
#include "gateway/crypto/secret.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/keys/payload_keys.h"
#include "gateway/peering/peer_client.h"
#include "gateway/store/message_store.h"
#include "gateway/transfer/payload.h"
#include "gateway/transfer/transfer_store.h"
#include "ledger-client/outbox/outbox_store.h"

namespace gw::transfer {

struct TransferOptions {
  PayloadLimits limits;  // what a payload may hold, both ways
  // Delivery retries: after retry_initial, doubling up to retry_max.
  std::chrono::milliseconds retry_initial{2000};
  std::chrono::milliseconds retry_max{300000};
  // How long the recipient waits for its view to see the TransferRecorded
  // event a delivery names before asking the sender to come back later.
  std::chrono::milliseconds recorded_wait{5000};
  // Before refusing for want of consent, the sender lets the view catch up
  // with the chain for at most this long (a grant may have just become final).
  std::chrono::milliseconds refusal_refresh{2000};
  // How often the sender's workers look for due transfers when idle.
  std::chrono::milliseconds poll{200};
  // Transfers built (selected, de-identified, sealed) at once, and delivered
  // at once: building is CPU, delivering mostly waits on the recipient.
  size_t build_threads = 2;
  size_t delivery_threads = 8;
  // Deliveries to one recipient at once: as many as the peer client keeps
  // connections to one peer (PeerClientOptions::max_connections_per_peer).
  // A member's listener admits max(1, threads / 2) connections per address
  // before they are identified (gateway/peering/peer_server.h): with the
  // default 8 threads, these 4 first handshakes all get in; with fewer, the
  // extra ones are refused once and the round's deliveries retried.
  size_t delivery_per_peer = 4;
  // At most this many transfers are taken per round of each worker.
  size_t round_size = 256;
  // Wall clock, Unix ms (tests move it).
  std::function<int64_t()> now_ms;
};

struct TransferContext {
  Address self{};  // this gateway's ledger account
  store::MessageStore* store = nullptr;
  consortium::ConsortiumView* view = nullptr;
  ledger::OutboxStore* outbox = nullptr;
  TransferStore* transfers = nullptr;
  const keys::PayloadKeyRing* payload_keys = nullptr;
  // Research pseudonyms are keyed by a secret only this custodian holds
  // (derived from the record key), so no other member can link them.
  const crypto::SecretBytes* study_root_key = nullptr;
  peering::PeerClient* peers = nullptr;
  std::map<Address, std::string> peer_urls;  // [peers]: member account -> base URL
  // The audit trail (transfer_audit.h): sent, received, refused, emergency
  // access. Null: no entries (tests, constructions without one).
  std::shared_ptr<audit::AuditLog> audit;
  TransferOptions options;
};

// Member-to-member API paths.
inline constexpr char kDeliverPath[] = "/peer/v1/transfers";
inline constexpr char kRequestPath[] = "/peer/v1/requests";

}  // namespace gw::transfer
