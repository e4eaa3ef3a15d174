// The gateway's ledger client, built from [ledger]: one JSON-RPC connection
// to the consortium node, the signer holding the ledger key (unsealed from
// the TPM), the durable outbox and its submitter. gatewayd and
// `gatewayctl ledger` build it the same way, so they agree on fees, limits and
// the outbox file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "gateway/config/config.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "ledger-client/outbox/outbox_store.h"
#include "ledger-client/outbox/submitter.h"
#include "ledger-client/outbox/tx_signer.h"
#include "ledger-client/rlp/result.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/rpc/json_rpc.h"

namespace gw::anchoring {

ledger::JsonRpcOptions ledger_rpc_options(const config::LedgerConfig& cfg);
ledger::SubmitterOptions ledger_submitter_options(const config::LedgerConfig& cfg,
                                                  const ledger::ContractAddresses& contracts);

// An exclusive lock (flock) on "<outbox>.lock", held while the client lives:
// one submitter per outbox, so gatewayd and `gatewayctl ledger deploy` never
// drain the same outbox at once (they would race for nonces).
class OutboxLock {
 public:
  static ledger::Result<std::unique_ptr<OutboxLock>> acquire(const std::string& outbox_path);
  ~OutboxLock();
  OutboxLock(const OutboxLock&) = delete;
  OutboxLock& operator=(const OutboxLock&) = delete;

 private:
  explicit OutboxLock(int fd) : fd_(fd) {}
  int fd_;
};

// Members are declared in dependency order, so the submitter is destroyed
// before what it borrows, and the lock released last.
struct LedgerClient {
  std::unique_ptr<OutboxLock> lock;
  std::unique_ptr<ledger::JsonRpcClient> rpc;
  std::unique_ptr<ledger::EthClient> eth;
  std::unique_ptr<ledger::LocalKeySigner> signer;
  std::unique_ptr<ledger::OutboxStore> outbox;
  std::unique_ptr<ledger::Submitter> submitter;
};

// Locks and opens the outbox (creating its folder, 0700); connects nothing: the
// first RPC happens when the caller asks. `ledger_key` is copied into the
// signer's locked memory; the caller keeps (and wipes) its own copy.
ledger::Result<LedgerClient> open_ledger_client(const config::LedgerConfig& cfg,
                                                std::span<const uint8_t> ledger_key,
                                                const ledger::ContractAddresses& contracts);

// True when a failed call means "the node is not there right now" (refused,
// reset, timed out, 429/502/503/504) rather than "the node answered and is
// wrong" (bad credentials, not a JSON-RPC endpoint, an error reply).
bool ledger_unreachable(const ledger::RpcFailure& failure);

// What check_ledger_node learnt from a node that answered usably or not at all.
struct NodeCheck {
  bool verified = false;    // the node is there and the deployment checks out
  std::string unreachable;  // when !verified: why the node could not be reached
};

// Asks the node whether `deployment` is usable: its chain id must be the
// deployment's (and [ledger] chain_id's, when set), and each of the five
// addresses must hold this build's contract code. Returns verified, or
// not verified with the reason the node is unreachable (an outage, not a
// mistake), or an Error when the node answers and something is wrong (the
// message names what).
ledger::Result<NodeCheck> check_ledger_node(ledger::EthClient& eth,
                                            const LedgerDeployment& deployment,
                                            uint64_t configured_chain_id);

}  // namespace gw::anchoring
