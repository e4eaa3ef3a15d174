// Deploying the consortium's five contracts from the gateway's own account,
// through the outbox (so a deployment interrupted by a crash or an outage
// resumes instead of starting over: each creation is an outbox call keyed
// "deploy:<Contract>", and re-running returns the addresses already made).
#pragma once

#include <chrono>
#include <vector>

#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/outbox/submitter.h"

namespace gw::ledger {

struct DeployOptions {
  std::vector<consortium::MemberInfo> founders;  // the first members (one of them us)
  uint8_t quorum = 1;
  uint64_t proposal_ttl_seconds = 7 * 24 * 3600;
  std::chrono::milliseconds timeout{120000};
};

// Deploys ProviderRegistry, ConsentRegistry, TransferLog, AuditAnchor and
// RecordToken in that order, each wired to the ones before, and checks the
// code at each address (verify_consortium).
Result<ContractAddresses> deploy_consortium(Submitter& submitter, OutboxStore& store,
                                            EthClient& eth, const DeployOptions& options);

// Checks that each address holds exactly the runtime code this build embeds,
// outside the immutable slots (which hold the addresses of the other
// contracts; they are not compared here).
Status verify_consortium(EthClient& eth, const ContractAddresses& contracts);

}  // namespace gw::ledger
