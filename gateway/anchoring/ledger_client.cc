#include "gateway/anchoring/ledger_client.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger-client/outbox/deploy.h"

namespace gw::anchoring {

using ledger::Error;

ledger::JsonRpcOptions ledger_rpc_options(const config::LedgerConfig& cfg) {
  ledger::JsonRpcOptions o;
  o.url = cfg.rpc_url;
  o.io_timeout = cfg.request_timeout;
  o.connect_timeout = std::min(cfg.request_timeout, std::chrono::milliseconds(3000));
  o.ca_file = cfg.ca_file;
  return o;
}

ledger::SubmitterOptions ledger_submitter_options(const config::LedgerConfig& cfg,
                                                  const ledger::ContractAddresses& contracts) {
  ledger::SubmitterOptions o;
  o.contracts = contracts;
  o.max_transfers_per_tx = cfg.max_transfers_per_tx;
  o.max_in_flight = cfg.max_in_flight;
  o.confirmations = cfg.confirmations;
  o.resubmit_after = cfg.resubmit_after;
  o.retention = std::chrono::hours(24 * cfg.outbox_retention_days);
  o.fees.type = cfg.tx_type == "eip1559"  ? ledger::TxType::kEip1559
                : cfg.tx_type == "legacy" ? ledger::TxType::kLegacy
                                          : ledger::TxType::kAuto;
  o.fees.min_priority_fee = ledger::Uint256::from_u64(cfg.min_priority_fee_wei);
  // The configuration bounds max_fee_gwei by 10^9, so this stays below 2^64.
  o.fees.max_fee_cap = ledger::Uint256::from_u64(cfg.max_fee_gwei * 1'000'000'000ull);
  return o;
}

ledger::Result<std::unique_ptr<OutboxLock>> OutboxLock::acquire(const std::string& outbox_path) {
  const std::string path = outbox_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot open: " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK)
      return Error{"the outbox " + outbox_path +
                   " is in use by another process (gatewayd?); stop it first"};
    return Error{path + ": cannot lock: " + std::strerror(e)};
  }
  return std::unique_ptr<OutboxLock>(new OutboxLock(fd));
}

OutboxLock::~OutboxLock() { ::close(fd_); }  // releases the lock

ledger::Result<LedgerClient> open_ledger_client(const config::LedgerConfig& cfg,
                                                std::span<const uint8_t> ledger_key,
                                                const ledger::ContractAddresses& contracts) {
  if (ledger_key.size() != 32) return Error{"the ledger key is not 32 bytes"};
  LedgerClient c;
  auto rpc = ledger::JsonRpcClient::create(ledger_rpc_options(cfg));
  // The URL may hold credentials: the client's errors never include it.
  if (!rpc) return Error{"[ledger] rpc_url or ca_file: " + rpc.error()};
  c.rpc = std::move(*rpc);
  c.eth = std::make_unique<ledger::EthClient>(*c.rpc);
  auto signer = ledger::LocalKeySigner::create(std::span<const uint8_t, 32>(ledger_key.data(), 32));
  if (!signer) return Error{"the ledger key: " + signer.error()};
  c.signer = std::move(*signer);
  const std::filesystem::path dir = std::filesystem::path(cfg.outbox).parent_path();
  if (!dir.empty())
    if (auto s = make_private_dirs(dir.string()); !s) return Error{s.error()};
  auto lock = OutboxLock::acquire(cfg.outbox);
  if (!lock) return Error{lock.error()};
  c.lock = std::move(*lock);
  auto outbox = ledger::OutboxStore::open(cfg.outbox);
  if (!outbox) return Error{outbox.error()};
  c.outbox = std::move(*outbox);
  c.submitter = std::make_unique<ledger::Submitter>(*c.outbox, *c.eth, *c.signer,
                                                    ledger_submitter_options(cfg, contracts));
  return c;
}

bool ledger_unreachable(const ledger::RpcFailure& failure) { return failure.transient(); }

ledger::Result<NodeCheck> check_ledger_node(ledger::EthClient& eth,
                                            const LedgerDeployment& deployment,
                                            uint64_t configured_chain_id) {
  auto chain = eth.chain_id();
  if (!chain) {
    if (ledger_unreachable(chain.failure())) return NodeCheck{false, chain.failure().describe()};
    return Error{
        "the node at [ledger] rpc_url answered, but not usably (credentials? not a JSON-RPC "
        "endpoint?): " +
        chain.failure().describe()};
  }
  if (configured_chain_id != 0 && *chain != configured_chain_id)
    return Error{"the node at [ledger] rpc_url is on chain " + std::to_string(*chain) +
                 ", not [ledger] chain_id = " + std::to_string(configured_chain_id)};
  if (*chain != deployment.chain_id)
    return Error{"the node at [ledger] rpc_url is on chain " + std::to_string(*chain) +
                 " but the deployment file is for chain " + std::to_string(deployment.chain_id)};
  if (auto s = ledger::verify_consortium(eth, deployment.contracts); !s) {
    // The node may have gone away between the two calls: that is an outage,
    // not a wrong deployment.
    auto again = eth.chain_id();
    if (!again && ledger_unreachable(again.failure()))
      return NodeCheck{false, again.failure().describe()};
    return Error{"the deployment file's contracts do not check out on chain " +
                 std::to_string(*chain) + ": " + s.error()};
  }
  return NodeCheck{true, ""};
}

}  // namespace gw::anchoring
