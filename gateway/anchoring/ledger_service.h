// gatewayd's ledger side ([ledger] enabled = true): the outbox submitter on
// its own thread and the record-batch anchorer.
//
// Start-up refuses (with a message naming the problem) what would make every
// later submission wrong: no deployment file, a deployment for another chain
// than [ledger] chain_id, an outbox bound to another chain or key, and, when
// the node answers, a node on another chain or addresses that do not hold
// this build's contracts. A node that does not answer is not a reason to stop
// the gateway: it logs event=ledger.unreachable and the outbox queues until
// the node is back. The ledger is never on the acknowledgement path.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "gateway/anchoring/ledger_anchorer.h"
#include "gateway/anchoring/ledger_client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/crypto/secret.h"

namespace gw::anchoring {

struct LedgerServiceOptions {
  std::chrono::milliseconds submitter_poll{250};
  AnchorerOptions anchorer;
};

// Seconds the oldest open outbox item has waited until now (0: none open).
int64_t oldest_open_age_s(const ledger::OutboxCounts& counts);

class LedgerService {
 public:
  // `messages_db` is the message store file (its record_batches table).
  static gw::Result<std::unique_ptr<LedgerService>> start(const config::GatewayConfig& cfg,
                                                          const crypto::SecretBytes& ledger_key,
                                                          const std::string& messages_db,
                                                          LedgerServiceOptions options = {});
  ~LedgerService();  // stop()
  LedgerService(const LedgerService&) = delete;
  LedgerService& operator=(const LedgerService&) = delete;

  // Anchors what is pending one last time (into the outbox), then stops the
  // submitter thread; an RPC in progress finishes within request_timeout_ms.
  void stop();

  const ledger::Address& address() const { return client_.signer->address(); }
  const LedgerDeployment& deployment() const { return deployment_; }
  // The durable outbox the submitter drains: other rooms (consents) queue
  // their items here. Thread-safe; owned by this service.
  ledger::OutboxStore* outbox() { return client_.outbox.get(); }

  // The outbox's counts (safe from any thread), for stats and /admin/metrics.
  gw::Result<ledger::OutboxCounts> outbox_counts();
  // Logs event=stats.ledger: the outbox's item counts by state, transactions
  // not yet final, and how long the oldest open item has waited (what to
  // alert on when the node is away). gatewayd calls it with its other stats.
  void log_stats();

 private:
  LedgerService() = default;

  LedgerDeployment deployment_;
  LedgerClient client_;
  std::unique_ptr<LedgerAnchorer> anchorer_;
  std::atomic<bool> stop_{false};
  std::thread submitter_thread_;
};

}  // namespace gw::anchoring
